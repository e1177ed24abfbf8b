//! The PostgreSQL store: several stateless nodes on one database.
//!
//! Each write the API acknowledges is committed before the answer. Accepted messages are
//! group-committed (`batch`: all messages waiting at one moment in one statement), and so
//! are recorded attempts; a claim is one statement. Workers on any node claim due deliveries
//! with `FOR UPDATE SKIP LOCKED` under a lease, so a delivery is attempted by one node at
//! a time and a dead node's claims pass to another when their lease runs out. A new
//! message sends `NOTIFY hookline_due` in its transaction; every node running workers
//! `LISTEN`s and wakes them, and polls as well in case a notification is missed (a dropped listener
//! connection reconnects, but what was sent meanwhile is gone).
//!
//! Migrations are compiled in and applied at start under an advisory lock, so nodes that
//! start together apply each exactly once.

mod batch;
mod engine;
mod writes;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::shared::SqlStore;
use super::sql::Migrate as _;
use super::sql::{KEY_CANARY, check_canary};
use crate::crypto::Cipher;

/// The migrations, in order. Each runs once, in its own transaction.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        include_str!("../../../migrations/postgres/0002_queue_endpoint_index.sql"),
    ),
    (
        3,
        include_str!("../../../migrations/postgres/0003_idempotency_fingerprint.sql"),
    ),
    (
        4,
        include_str!("../../../migrations/postgres/0004_token_name.sql"),
    ),
    (
        5,
        include_str!("../../../migrations/postgres/0005_inbound_gateway.sql"),
    ),
    (
        6,
        include_str!("../../../migrations/postgres/0006_dashboard_sessions.sql"),
    ),
    (
        7,
        include_str!("../../../migrations/postgres/0007_dashboard_speed.sql"),
    ),
    (
        8,
        include_str!("../../../migrations/postgres/0008_attempt_headers.sql"),
    ),
    (
        9,
        include_str!("../../../migrations/postgres/0009_attempt_failed.sql"),
    ),
];

/// The key of the advisory lock held while migrating (any fixed number: "hookline" in ASCII).
const MIGRATION_LOCK: i64 = 0x686f_6f6b_6c69_6e65;

/// The channel new work is announced on.
pub(crate) const DUE_CHANNEL: &str = "hookline_due";

/// The channel changes to applications, endpoints and tokens are announced on.
const CHANGED_CHANNEL: &str = "hookline_changed";

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct PgOptions {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// This node's name, unique among the nodes and the same across its restarts: its
    /// claims carry it, so that after a crash it takes them back at once.
    pub node_id: Option<String>,
}

/// The PostgreSQL store.
pub(crate) type PgStore = SqlStore<PgEngine>;

/// The PostgreSQL engine: the pool, this node's name, and the group-commit writers for
/// accepted messages and for attempts (`batch`).
#[derive(Clone, Debug)]
pub(crate) struct PgEngine {
    pool: PgPool,
    /// See `PgOptions::node_id`.
    node_id: Option<String>,
    writer: tokio::sync::mpsc::Sender<batch::Job>,
    attempts: tokio::sync::mpsc::Sender<batch::AttemptJob>,
}

impl PgStore {
    /// Connects, applies pending migrations and checks the encryption key. Fails with the
    /// reason when the database cannot be reached: a node that cannot start says so at once.
    pub(crate) async fn open(options: &PgOptions, cipher: Arc<Cipher>) -> anyhow::Result<Self> {
        let connect: PgConnectOptions = options
            .url
            .parse()
            .context("database_url: not a valid postgres:// URL")?;
        let connect = connect.application_name("hookline");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.connect_timeout)
            .connect_with(connect)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {}", redact_url(&options.url)))?;
        migrate(&pool)
            .await
            .context("migrating the PostgreSQL schema")?;
        check_key(&pool, &cipher).await?;
        let writer = batch::spawn(pool.clone());
        let attempts = batch::spawn_attempts(pool.clone());
        let engine = PgEngine {
            pool,
            node_id: options.node_id.clone(),
            writer,
            attempts,
        };
        let store = SqlStore::new(engine, cipher);
        // Every node's caches (tokens, applications, endpoints) are keyed on its store's
        // generation: moved on by another node's announced change, they are dropped at once,
        // so a revoked token or a disabled endpoint stops working everywhere, not only
        // within a cache lifetime. A lost connection may have missed announcements: the
        // same.
        let generation = store.generation.clone();
        follow(store.engine.pool.clone(), CHANGED_CHANNEL, move |_| {
            generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        });
        Ok(store)
    }

    /// Listens for new work and wakes `wake` on each announcement, until the pool closes.
    pub(crate) fn listen(&self, wake: Arc<crate::engine::wake::Wake>) {
        follow(
            self.engine.pool.clone(),
            DUE_CHANNEL,
            move |payload| match payload {
                // The payload is the due time the announcing statement wrote (on its node's
                // clock, as the rows are). If this node's clock is behind, the rows are not due
                // here yet and wait for the next whole look (poll).
                Some(p) => match p.parse::<i64>() {
                    Ok(at) => wake.queued(at),
                    Err(_) => wake.anything(),
                },
                // The connection dropped: work announced meanwhile may be anywhere.
                None => wake.anything(),
            },
        );
    }
}

/// Calls `on` with each notification's payload on `channel`, and with `None` whenever the
/// listening connection was lost (what was sent meanwhile is gone), until the pool closes.
/// The listener reconnects by itself.
fn follow(pool: PgPool, channel: &'static str, on: impl Fn(Option<&str>) + Send + 'static) {
    tokio::spawn(async move {
        let mut listener = loop {
            if pool.is_closed() {
                return;
            }
            match PgListener::connect_with(&pool).await {
                Ok(mut l) => match l.listen(channel).await {
                    Ok(()) => break l,
                    Err(e) => tracing::warn!(error = %e, channel, "LISTEN failed; retrying"),
                },
                Err(e) => tracing::warn!(error = %e, channel, "LISTEN connection failed; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => on(Some(n.payload())),
                // The connection dropped: the next call reconnects.
                Ok(None) => on(None),
                Err(e) => {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, channel, "listening; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}

/// The URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    // One connection holds the session-level advisory lock for the whole run: a node that
    // starts meanwhile waits here, then finds every migration applied.
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await?;
    let result = conn.apply(MIGRATIONS).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await?;
    result
}

/// Seals a known value on first start and opens it on every later one (see
/// [`KEY_CANARY`]): every node must run with the same key.
async fn check_key(pool: &PgPool, cipher: &Cipher) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO meta (name, value) VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(cipher.seal("meta/key_check", KEY_CANARY))
    .execute(pool)
    .await?;
    let (sealed,): (Vec<u8>,) = sqlx::query_as("SELECT value FROM meta WHERE name = 'key_check'")
        .fetch_one(pool)
        .await?;
    check_canary(cipher, &sealed)
}
