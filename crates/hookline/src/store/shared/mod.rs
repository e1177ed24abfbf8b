//! The store written once for both engines: [`SqlStore`] implements every store trait with
//! statements that SQLite and PostgreSQL both accept (see `sql::stmt`), over an [`Engine`]
//! that supplies its pool and the few things only it does. What the engines do
//! differently lives in their own folders and says why: SQLite's single-writer group
//! commit (`sqlite/group_commit.rs`), PostgreSQL's one-statement batches (`postgres/batch.rs`),
//! its `FOR UPDATE SKIP LOCKED` claims and the gates its nodes share
//! (`postgres/queue.rs`), `LISTEN/NOTIFY`, advisory-locked migrations.
//!
//! How to add a table or a method: see `README.md` beside this file.

mod activity;
mod apps;
mod auth;
mod deliveries;
mod endpoints;
mod messages;
mod sessions;
mod sources;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::sql::{Exec, Stmt};
use crate::crypto::Cipher;

/// A store on one engine.
#[derive(Clone, Debug)]
pub(crate) struct SqlStore<E> {
    pub(super) engine: E,
    pub(super) cipher: Arc<Cipher>,
    /// See `EndpointStore::generation`: changes made through this process, and on PostgreSQL
    /// those other nodes announce (`Engine::announce_change`).
    pub(super) generation: Arc<AtomicU64>,
}

impl<E: Engine> SqlStore<E> {
    pub(super) fn new(engine: E, cipher: Arc<Cipher>) -> Self {
        SqlStore {
            engine,
            cipher,
            generation: Arc::default(),
        }
    }

    pub(super) fn pool(&self) -> &E::Pool {
        self.engine.pool()
    }

    /// Called after a committed change to any application, endpoint, token or source.
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.engine.announce_change();
    }
}

/// One engine: its pool, and the one fragment of SQL whose spelling differs. What an
/// engine writes its own way is its own `impl QueueStore` (`sqlite/engine.rs`,
/// `postgres/engine.rs`).
pub(crate) trait Engine: Send + Sync + 'static {
    type Pool: Exec;

    fn pool(&self) -> &Self::Pool;

    /// Appends ` AND <column> holds <value>`, for a column holding a JSON array of strings
    /// (SQLite's `json_each`, PostgreSQL's `jsonb ?`); a NULL column holds nothing.
    fn push_json_holds<'a>(s: &mut Stmt<'a>, column: &str, value: &'a str);

    /// Tells the other processes on the same database that an application, endpoint or
    /// token changed (so they drop their caches); a single-process engine has no one to tell.
    fn announce_change(&self) {}
}
