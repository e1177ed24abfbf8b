//! `hookline health`: exit 0 when a server answers its health check. Made for container
//! health checks, where the image has no curl (`deploy/Dockerfile`).

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    /// The server's base URL.
    #[arg(
        long,
        env = "HOOKLINE_SERVER",
        value_name = "URL",
        default_value = "http://127.0.0.1:8071"
    )]
    server: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    timeout: u64,
}

pub(crate) fn run(a: &HealthArgs) -> anyhow::Result<ExitCode> {
    let url = format!("{}/api/v1/health", a.server.trim_end_matches('/'));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(a.timeout))
        .build()?;
    super::output::block_on(async {
        match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                say!("ok");
                Ok(ExitCode::SUCCESS)
            }
            Ok(r) => {
                eprintln!("unhealthy: {url} answered {}", r.status());
                Ok(ExitCode::from(super::EXIT_API_ERROR))
            }
            Err(e) => {
                eprintln!("unhealthy: {url}: {e}");
                Ok(ExitCode::from(super::EXIT_UNREACHABLE))
            }
        }
    })
}
