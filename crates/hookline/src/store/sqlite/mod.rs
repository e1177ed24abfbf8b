//! The embedded SQLite store: WAL mode, `synchronous=FULL` (a commit is on disk before the
//! API answers), foreign keys on, migrations compiled into the binary.

mod apps;
mod auth;
mod deliveries;
mod endpoints;
mod group_commit;
mod messages;

use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub(super) use super::sql::{conflict, finish_page, json_text, push_page};
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
];

/// The SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    cipher: Arc<Cipher>,
    /// The group-commit writer for accepted messages, claims and attempts.
    writer: tokio::sync::mpsc::Sender<group_commit::Job>,
    /// See `EndpointStore::generation`.
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl SqliteStore {
    /// Opens (creating if needed) `path` and applies pending migrations.
    pub async fn open(path: &Path, cipher: Arc<Cipher>) -> anyhow::Result<Self> {
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
        Ok(SqliteStore {
            pool,
            cipher,
            writer,
            generation: Arc::default(),
        })
    }

    /// Called after a committed change to any application or endpoint.
    fn changed(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

async fn migrate(pool: &SqlitePool) -> anyhow::Result<()> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
            .execute(pool)
            .await?;
    for (version, sql) in MIGRATIONS {
        let mut tx = pool.begin().await?;
        let done: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM schema_migration WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migration (version, applied_at) VALUES (?, ?)")
            .bind(version)
            .bind(crate::now_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "applied migration");
    }
    Ok(())
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
