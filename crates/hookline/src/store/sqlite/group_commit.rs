//! Group commit for the hot writes: accepted messages, received events, claims, recorded
//! attempts.
//!
//! Each must be on disk before anyone is told (the API's 202, the engine's next step), and a
//! SQLite commit costs an fsync. One writer thread owns its own connection, takes every
//! write waiting at that moment and does them in one transaction (a failure fails only its
//! own job: see `write`), then answers each caller.
//! Under load many writes share one fsync; alone, a write waits for no one. The statements
//! each kind of job runs are in `jobs`.
//!
//! Why a thread with `rusqlite` and not the `sqlx` pool: `sqlx` runs each SQLite connection
//! on a worker thread and hands it every statement over a channel, which costs two context
//! switches per statement; profiling showed those switches, not SQLite, dominating a
//! message's cost. Here a whole batch runs on one thread without a switch.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::jobs::{claim, claim_for, write_attempt, write_message, write_received};
use crate::store::{
    Attempt, Claim, DeliveryUpdate, Message, Millis, Received, ReceivedRequest, Result, StoreError,
    Targets,
};

/// Most jobs written in one transaction.
const MAX_BATCH: usize = 512;

pub(super) struct Job {
    pub(super) work: Work,
    pub(super) reply: oneshot::Sender<Result<Done>>,
}

pub(super) enum Work {
    /// A message and its pending deliveries.
    Message {
        msg: Message,
        targets: Targets,
        now: Millis,
    },
    /// An event received by the gateway, with its request's record (see
    /// `QueueStore::receive_event`).
    Received {
        msg: Message,
        /// Boxed: with the message beside it, the largest variant by far.
        request: Box<ReceivedRequest>,
        window_ms: Millis,
        now: Millis,
    },
    /// An attempt and where its delivery goes next.
    Attempt {
        attempt: Attempt,
        update: DeliveryUpdate,
    },
    /// Lease due deliveries (see `DeliveryStore::claim_due`).
    Claim {
        now: Millis,
        lease_until: Millis,
        limit: usize,
        per_endpoint: usize,
        busy: Vec<String>,
        since: Millis,
    },
    /// Lease due deliveries of the endpoints named (see `DeliveryStore::claim_for`).
    ClaimFor {
        now: Millis,
        lease_until: Millis,
        wanted: Vec<(String, usize)>,
    },
}

/// What a job produced.
pub(super) enum Done {
    /// Deliveries queued for a message.
    Queued(usize),
    /// When the endpoint's current run of failures began, after an attempt.
    FailingSince(Option<Millis>),
    Claims(Vec<Claim>),
    Received(Received),
}

impl super::SqliteEngine {
    /// Hands `work` to the writer and waits until it is committed.
    pub(super) async fn group_write(&self, work: Work) -> Result<Done> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Batch("the writer has stopped".into());
        self.writer
            .send(Job { work, reply })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Opens the writer's connection on `path` (already migrated) and starts its thread; the
/// thread stops when every sender is gone.
pub(super) fn spawn(path: &Path) -> anyhow::Result<mpsc::Sender<Job>> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(32);
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
    std::thread::Builder::new()
        .name("hookline-writer".into())
        .spawn(move || {
            let mut jobs = Vec::with_capacity(MAX_BATCH);
            while let Some(job) = rx.blocking_recv() {
                jobs.push(job);
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let results = write(&mut conn, &jobs);
                for (job, result) in jobs.drain(..).zip(results) {
                    // The caller may have gone away; the write is committed either way.
                    let _ = job.reply.send(result);
                }
            }
        })?;
    Ok(tx)
}

pub(super) fn batch_error(e: &rusqlite::Error) -> StoreError {
    StoreError::Batch(e.to_string())
}

/// Writes `jobs` in one transaction; one result per job.
///
/// First without a savepoint per job, as nearly every batch succeeds whole and a savepoint
/// costs each job two statements and a copy of every page it touches. A job that fails
/// having written nothing (a `Conflict`: see `run`) leaves the batch as it was. Any other
/// failure may have left part of a job behind: the transaction is rolled back and the batch
/// written again with each job in its own savepoint, so the failure undoes only its own.
fn write(conn: &mut Connection, jobs: &[Job]) -> Vec<Result<Done>> {
    match write_whole(conn, jobs) {
        Some(results) => results,
        None => write_isolated(conn, jobs),
    }
}

fn failed_all(jobs: &[Job], e: &rusqlite::Error) -> Vec<Result<Done>> {
    jobs.iter().map(|_| Err(batch_error(e))).collect()
}

/// The batch in one transaction without savepoints; `None` (rolled back) if a job failed
/// after writing part of its rows.
fn write_whole(conn: &mut Connection, jobs: &[Job]) -> Option<Vec<Result<Done>>> {
    let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return Some(failed_all(jobs, &e)),
    };
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let result = run(&tx, &job.work);
        if matches!(&result, Err(e) if !matches!(e, StoreError::Conflict(_))) {
            // Dropping the transaction rolls it back.
            return None;
        }
        results.push(result);
    }
    Some(match tx.commit() {
        Ok(()) => results,
        Err(e) => failed_all(jobs, &e),
    })
}

/// The batch in one transaction, each job in its own savepoint.
fn write_isolated(conn: &mut Connection, jobs: &[Job]) -> Vec<Result<Done>> {
    let mut tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return failed_all(jobs, &e),
    };
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        results.push(in_savepoint(&mut tx, &job.work));
    }
    match tx.commit() {
        Ok(()) => results,
        Err(e) => failed_all(jobs, &e),
    }
}

/// One job inside its own savepoint: its failure undoes only its own rows.
fn in_savepoint(tx: &mut rusqlite::Transaction<'_>, work: &Work) -> Result<Done> {
    let sp = tx.savepoint().map_err(|e| batch_error(&e))?;
    match run(&sp, work) {
        Ok(done) => {
            sp.commit().map_err(|e| batch_error(&e))?;
            Ok(done)
        }
        // Dropping the savepoint rolls it back.
        Err(e) => Err(e),
    }
}

/// One job. It fails with `Conflict` only before it has written anything (an `eventId`
/// already taken, or a parent row gone, found by its first statement); `write_whole`
/// relies on that.
fn run(conn: &Connection, work: &Work) -> Result<Done> {
    match work {
        Work::Message { msg, targets, now } => write_message(conn, msg, targets, *now),
        Work::Received {
            msg,
            request,
            window_ms,
            now,
        } => write_received(conn, msg, request, *window_ms, *now),
        Work::Attempt { attempt, update } => write_attempt(conn, attempt, *update),
        Work::Claim {
            now,
            lease_until,
            limit,
            per_endpoint,
            busy,
            since,
        } => claim(
            conn,
            *now,
            *lease_until,
            *limit,
            *per_endpoint,
            busy,
            *since,
        ),
        Work::ClaimFor {
            now,
            lease_until,
            wanted,
        } => claim_for(conn, *now, *lease_until, wanted),
    }
}
