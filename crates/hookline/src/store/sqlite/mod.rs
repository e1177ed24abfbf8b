//! The embedded SQLite store: WAL mode, `synchronous=FULL` (a commit is on disk before the
//! API answers), foreign keys on, migrations compiled into the binary.

mod engine;
mod group_commit;
mod jobs;

use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::shared::SqlStore;
use super::sql::Migrate as _;
use crate::crypto::Cipher;

/// The migrations, in order. Each runs once, in its own transaction.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../../migrations/sqlite/0002_delivery_engine.sql"),
    ),
    (
        3,
        include_str!("../../../migrations/sqlite/0003_endpoint_failing_since.sql"),
    ),
    (
        4,
        include_str!("../../../migrations/sqlite/0004_endpoint_timeout.sql"),
    ),
    (
        5,
        include_str!("../../../migrations/sqlite/0005_queue_indexes.sql"),
    ),
    (
        6,
        include_str!("../../../migrations/sqlite/0006_idempotency_fingerprint.sql"),
    ),
    (
        7,
        include_str!("../../../migrations/sqlite/0007_token_name.sql"),
    ),
    (
        8,
        include_str!("../../../migrations/sqlite/0008_inbound_gateway.sql"),
    ),
    (
        9,
        include_str!("../../../migrations/sqlite/0009_dashboard_sessions.sql"),
    ),
    (
        10,
        include_str!("../../../migrations/sqlite/0010_dashboard_speed.sql"),
    ),
    (
        11,
        include_str!("../../../migrations/sqlite/0011_attempt_headers.sql"),
    ),
    (
        12,
        include_str!("../../../migrations/sqlite/0012_attempt_failed.sql"),
    ),
];

/// The SQLite store.
pub(crate) type SqliteStore = SqlStore<SqliteEngine>;

/// The SQLite engine: a pool for reads and the shared statements, and the group-commit
/// writer for accepted messages, claims and attempts.
#[derive(Clone, Debug)]
pub(crate) struct SqliteEngine {
    pool: SqlitePool,
    writer: tokio::sync::mpsc::Sender<group_commit::Job>,
    /// The circuits the engine announced open, with their reopen times: PostgreSQL's
    /// `endpoint_gate.circuit_open_until` kept in memory, since one process owns the file
    /// and its breakers (in memory too) are the whole truth. Read by the dashboard through
    /// `QueueStore::open_circuits`. A std mutex: held for a map update, never across an await.
    circuits: Arc<std::sync::Mutex<std::collections::HashMap<String, super::Millis>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `path` and applies pending migrations.
    pub(crate) async fn open(path: &Path, cipher: Arc<Cipher>) -> anyhow::Result<Self> {
        // Payloads and token hashes are for the server's user alone (see `data_dir`).
        crate::data_dir::prepare_file(path)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            crate::data_dir::restrict_existing(Path::new(&side), 0o600)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        check_key(&pool, &cipher).await?;
        let writer = group_commit::spawn(path)?;
        Ok(SqlStore::new(
            SqliteEngine {
                pool,
                writer,
                circuits: Arc::default(),
            },
            cipher,
        ))
    }
}

async fn migrate(pool: &SqlitePool) -> anyhow::Result<()> {
    pool.acquire().await?.apply(MIGRATIONS).await
}

/// Seals a known value on first start and opens it on every later one (see
/// [`super::sql::KEY_CANARY`]).
async fn check_key(pool: &SqlitePool, cipher: &Cipher) -> anyhow::Result<()> {
    sqlx::query("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)")
        .execute(pool)
        .await?;
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT value FROM meta WHERE name = 'key_check'")
        .fetch_optional(pool)
        .await?;
    match row {
        Some((sealed,)) => super::sql::check_canary(cipher, &sealed)?,
        None => {
            sqlx::query("INSERT INTO meta (name, value) VALUES ('key_check', ?)")
                .bind(cipher.seal("meta/key_check", super::sql::KEY_CANARY))
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}
