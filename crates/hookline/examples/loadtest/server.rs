//! The server under load: a fresh store for each phase (a PostgreSQL database, or an
//! SQLite file in a new directory) and a Hookline started on it, in this process.

use hookline::config::{Config, Role, Secret};
use hookline::server::Application;

pub(crate) const TOKEN: &str = "hk_loadtest-token-0123456789abcdef";

/// Fresh PostgreSQL databases for the phases, when the harness runs on PostgreSQL.
pub(crate) struct Postgres {
    server: String,
    created: std::sync::Mutex<Vec<String>>,
}

impl Postgres {
    pub(crate) fn from_env() -> Option<Postgres> {
        let server = std::env::var("HOOKLINE_BENCH_POSTGRES").ok()?;
        Some(Postgres {
            server: server.trim_end_matches('/').to_owned(),
            created: std::sync::Mutex::default(),
        })
    }

    async fn admin(&self) -> sqlx::PgConnection {
        use sqlx::Connection as _;
        sqlx::PgConnection::connect(&format!("{}/postgres", self.server))
            .await
            .expect("HOOKLINE_BENCH_POSTGRES answers")
    }

    pub(crate) async fn fresh(&self) -> String {
        let name = format!(
            "hookline_bench_{}",
            hookline::ids::new_id("b").to_ascii_lowercase()
        );
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut self.admin().await)
            .await
            .expect("create database");
        self.created.lock().expect("lock").push(name.clone());
        format!("{}/{name}", self.server)
    }

    pub(crate) async fn drop_all(&self) {
        let names = std::mem::take(&mut *self.created.lock().expect("lock"));
        let mut admin = self.admin().await;
        for name in names {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
    }
}

/// Where a phase stores: a fresh database when on PostgreSQL, else a fresh SQLite file.
pub(crate) async fn fresh_store(pg: Option<&Postgres>) -> Option<String> {
    match pg {
        Some(pg) => Some(pg.fresh().await),
        None => None,
    }
}

pub(crate) async fn start(
    role: Role,
    dir: Option<std::path::PathBuf>,
    database_url: Option<String>,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let dir = dir.unwrap_or_else(|| std::env::temp_dir().join(hookline::ids::new_id("loadtest")));
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir,
        admin_token: Secret::new(Some(TOKEN.into())),
        role,
        ssrf_allow: vec!["127.0.0.0/8".parse().expect("subnet")],
        database_url: Secret::new(database_url),
        database_max_connections: 32,
        encryption_key: Secret::new(Some("42".repeat(32))),
        ..Config::default()
    };
    let app = Application::build(&config).await.expect("server");
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run(async move {
        let _ = rx.await;
    }));
    (base, tx, task)
}
