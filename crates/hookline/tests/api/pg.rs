//! The PostgreSQL side of the suite: with `HOOKLINE_TEST_POSTGRES` set (a server URL such
//! as `postgres://postgres@127.0.0.1:5432`), every test's server stores in a database of its
//! own, named after its data directory (so a restart on the same directory finds the same
//! database). Databases left by test processes that have exited are dropped when the next
//! run starts; `.ci/run` drops what is left at its end.

use std::sync::OnceLock;

use sqlx::{Connection as _, PgConnection};

/// The server URL from the environment, if the suite runs on PostgreSQL.
pub(crate) fn server_url() -> Option<String> {
    std::env::var("HOOKLINE_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/').to_owned())
}

/// The database for the data directory `dir` (created when missing): its URL.
pub(crate) fn database_for(server: &str, dir: &std::path::Path) -> String {
    let name = database_name(dir);
    let admin = format!("{server}/postgres");
    let created = name.clone();
    // The tests run inside a Tokio runtime, and `config` is not async: a thread of its own
    // with its own runtime does the work.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut conn = PgConnection::connect(&admin)
                .await
                .expect("the PostgreSQL server of HOOKLINE_TEST_POSTGRES answers");
            static SWEPT: OnceLock<()> = OnceLock::new();
            if SWEPT.set(()).is_ok() {
                sweep(&mut conn).await;
            }
            let exists: Option<(i32,)> =
                sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(&created)
                    .fetch_optional(&mut conn)
                    .await
                    .expect("pg_database");
            if exists.is_none() {
                sqlx::raw_sql(&format!("CREATE DATABASE \"{created}\""))
                    .execute(&mut conn)
                    .await
                    .expect("create the test database");
            }
        });
    })
    .join()
    .expect("database setup");
    format!("{server}/{name}")
}

/// `hookline_t_<pid>_<rest of the directory's name>`, in characters a database name takes.
fn database_name(dir: &std::path::Path) -> String {
    let base = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("x")
        .trim_start_matches("hookline-test-");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("hookline_t_{clean}").chars().take(63).collect()
}

/// Drops the test databases of processes that are no longer running.
async fn sweep(conn: &mut PgConnection) {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'hookline_t_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let pid = name
            .trim_start_matches("hookline_t_")
            .split('_')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}
