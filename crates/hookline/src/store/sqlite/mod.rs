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

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::{Order, Page, Result, StoreError};
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

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
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

/// Seals a known value on first start and opens it on every later one, so a wrong
/// `HOOKLINE_ENCRYPTION_KEY` (or a swapped key file) fails at start, not on some later
/// request that needs a secret.
async fn check_key(pool: &SqlitePool, cipher: &Cipher) -> anyhow::Result<()> {
    const CANARY: &[u8] = b"hookline encryption key check";
    sqlx::query("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)")
        .execute(pool)
        .await?;
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT value FROM meta WHERE name = 'key_check'")
        .fetch_optional(pool)
        .await?;
    match row {
        Some((sealed,)) => {
            let opened = cipher.open("meta/key_check", &sealed).ok();
            if opened.as_deref() != Some(CANARY) {
                anyhow::bail!(
                    "the encryption key does not match this data directory: set HOOKLINE_ENCRYPTION_KEY (or restore encryption.key) to the key it was created with"
                );
            }
        }
        None => {
            sqlx::query("INSERT INTO meta (name, value) VALUES ('key_check', ?)")
                .bind(cipher.seal("meta/key_check", CANARY))
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// Appends ` AND key >|< cursor ORDER BY key ASC|DESC LIMIT n` for `page`. Rows come back
/// in query order; [`finish_page`] puts a backwards page back into the requested order.
fn push_page(q: &mut QueryBuilder<'_, Sqlite>, key: &str, page: &Page) {
    let ascending_scan = (page.order == Order::Ascending) != page.backwards;
    if let Some(cursor) = &page.cursor {
        q.push(format_args!(
            " AND {key} {} ",
            if ascending_scan { ">" } else { "<" }
        ));
        q.push_bind(cursor.clone());
    }
    q.push(format_args!(
        " ORDER BY {key} {} LIMIT ",
        if ascending_scan { "ASC" } else { "DESC" }
    ));
    q.push_bind(i64::try_from(page.limit).unwrap_or(i64::MAX));
}

fn finish_page<T>(page: &Page, mut rows: Vec<T>) -> Vec<T> {
    if page.backwards {
        rows.reverse();
    }
    rows
}

/// Unique-constraint violations become `Conflict`; the rest stay database errors.
fn conflict(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(what.to_owned())
        }
        _ => StoreError::Database(e),
    }
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    // Serializing maps, vectors and values of strings cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json_opt<T: serde::de::DeserializeOwned>(text: Option<String>) -> Result<Option<T>> {
    text.map(|t| from_json(&t)).transpose()
}

#[cfg(test)]
mod tests;
