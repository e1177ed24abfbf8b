//! `hookline serve`: the management API and the delivery engine, on embedded SQLite or on
//! PostgreSQL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hookline::config::{Config, LogFormat, Overrides};
use hookline::server::{Application, shutdown_signal};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// A configuration file (default: ./hookline.toml if present; env HOOKLINE_CONFIG).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address to listen on (default 127.0.0.1:8071; env HOOKLINE_LISTEN).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Where the database and the encryption key live (default ./hookline-data; env HOOKLINE_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// `human` or `json` (env HOOKLINE_LOG_FORMAT).
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<String>,
    /// `all` (API and delivery, the default), `api` or `worker` (env HOOKLINE_ROLE).
    #[arg(long, value_name = "ROLE")]
    role: Option<String>,
    /// A `postgres://` URL: store in PostgreSQL, shared by several nodes (default: the
    /// embedded SQLite file in the data directory; env HOOKLINE_DATABASE_URL).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

pub(crate) fn run(a: &ServeArgs) -> anyhow::Result<ExitCode> {
    let flags = Overrides {
        config_file: a.config.clone(),
        listen: a.listen.clone(),
        data_dir: a.data_dir.clone(),
        log_format: a.log_format.clone(),
        role: a.role.clone(),
        database_url: a.database_url.clone(),
    };
    let config = Config::load(&flags, |k| std::env::var(k).ok())?;
    init_logs(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Application::build(&config).await?;
        if let Some(token) = &app.new_admin_token {
            say!("Admin API token (shown once; only its hash is stored):\n\n    {token}\n");
        }
        say!("Hookline listening on http://{}", app.local_addr());
        app.run(shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn init_logs(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HOOKLINE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}
