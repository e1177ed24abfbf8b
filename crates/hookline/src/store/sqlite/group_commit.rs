//! Group commit for the hot writes: accepted messages, received events, claims, recorded
//! attempts.
//!
//! Each must be on disk before anyone is told (the API's 202, the engine's next step), and a
//! SQLite commit costs an fsync. One writer thread owns its own connection, takes every
//! write waiting at that moment and does them in one transaction (a failure fails only its
//! own job: see `write`), then answers each caller.
//! Under load many writes share one fsync; alone, a write waits for no one.
//!
//! Why a thread with `rusqlite` and not the `sqlx` pool: `sqlx` runs each SQLite connection
//! on a worker thread and hands it every statement over a channel, which costs two context
//! switches per statement; profiling showed those switches, not SQLite, dominating a
//! message's cost. Here a whole batch runs on one thread without a switch.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, params};
use tokio::sync::{mpsc, oneshot};

use crate::gateway::model::{INSERT_REQUEST, is_repeat};
use crate::store::{
    Attempt, Claim, DeliveryStatus, DeliveryUpdate, Message, Millis, Received, ReceivedRequest,
    RequestStatus, Result, StoreError, Targets,
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

fn batch_error(e: &rusqlite::Error) -> StoreError {
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

fn write_message(conn: &Connection, msg: &Message, targets: &Targets, now: Millis) -> Result<Done> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO message (id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at, forward) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![
                msg.id,
                msg.app_id,
                msg.event_id,
                msg.event_type,
                msg.channels.as_ref().map(crate::store::sql::json_text),
                msg.payload,
                msg.payload_expires_at,
                msg.created_at,
                msg.forward.as_ref().map(crate::store::sql::json_text),
            ])
        })
        .map_err(|e| foreign_key_or(&e, "application"))?;
    if inserted == 0 {
        return Err(StoreError::Conflict(
            "a message with this eventId already exists".into(),
        ));
    }
    let queued = match targets {
        // The routing rule of `Targets::Matching`, in SQL so it reads the endpoints as this
        // transaction sees them.
        Targets::Matching => conn
            .prepare_cached(
                "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
                 SELECT ?1, e.id, 1, ?2, ?2, ?2 FROM endpoint e \
                 WHERE e.app_id = ?3 AND e.disabled = 0 \
                   AND (e.event_types IS NULL OR EXISTS (SELECT 1 FROM json_each(e.event_types) t WHERE t.value = ?4)) \
                   AND (e.channels IS NULL OR EXISTS (SELECT 1 FROM json_each(e.channels) c, json_each(?5) m WHERE c.value = m.value))",
            )
            .and_then(|mut s| {
                s.execute(params![
                    msg.id,
                    now,
                    msg.app_id,
                    msg.event_type,
                    msg.channels.as_ref().map(crate::store::sql::json_text),
                ])
            })
            .map_err(|e| batch_error(&e))?,
        // An endpoint deleted since the caller chose it is skipped, not an error.
        Targets::Only(ids) => {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
                     SELECT ?1, ?2, 1, ?3, ?3, ?3 WHERE EXISTS (SELECT 1 FROM endpoint WHERE id = ?2)",
                )
                .map_err(|e| batch_error(&e))?;
            let mut n = 0;
            for id in ids {
                n += stmt
                    .execute(params![msg.id, id, now])
                    .map_err(|e| batch_error(&e))?;
            }
            n
        }
    };
    Ok(Done::Queued(queued))
}

/// A received event: its message unless it is a repeat, then its request's record. A
/// `Conflict` (the application gone) comes before anything is written, as `run` promises.
fn write_received(
    conn: &Connection,
    msg: &Message,
    request: &ReceivedRequest,
    window_ms: Millis,
    now: Millis,
) -> Result<Done> {
    let queued = |done| match done {
        Done::Queued(n) => Ok(n),
        _ => Err(StoreError::Batch(
            "a message write answered out of kind".into(),
        )),
    };
    let (status, msg_id, n) = match write_message(conn, msg, &Targets::Matching, now) {
        Ok(done) => (RequestStatus::Accepted, msg.id.clone(), queued(done)?),
        Err(StoreError::Conflict(_)) if msg.event_id.is_some() => {
            let first: Option<(String, Millis)> = conn
                .prepare_cached(
                    "SELECT id, created_at FROM message WHERE app_id = ? AND event_id = ?",
                )
                .and_then(|mut s| {
                    s.query_row(params![msg.app_id, msg.event_id], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                })
                .map_err(|e| batch_error(&e))?;
            match first {
                Some((id, at)) if is_repeat(at, window_ms, now) => {
                    (RequestStatus::Duplicate, id, 0)
                }
                // Gone meanwhile, or outside the window: a new event, without the id.
                _ => {
                    let fresh = Message {
                        event_id: None,
                        ..msg.clone()
                    };
                    let done = write_message(conn, &fresh, &Targets::Matching, now)?;
                    (RequestStatus::Accepted, msg.id.clone(), queued(done)?)
                }
            }
        }
        Err(e) => return Err(e),
    };
    let r = request;
    conn.prepare_cached(INSERT_REQUEST)
        .and_then(|mut s| {
            s.execute(params![
                r.id,
                r.source_id,
                r.received_at,
                status.as_str(),
                r.reason,
                r.event_id,
                r.event_type,
                msg_id,
                r.url,
                crate::store::sql::json_text(&r.headers),
                (!r.body.is_empty()).then_some(&r.body),
                r.expires_at,
            ])
        })
        .map_err(|e| batch_error(&e))?;
    Ok(Done::Received(Received {
        status,
        msg_id,
        queued: n,
    }))
}

/// A foreign-key failure means the parent row is gone (deleted meanwhile): say which.
fn foreign_key_or(e: &rusqlite::Error, parent: &str) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => {
            StoreError::Conflict(format!("the {parent} no longer exists"))
        }
        _ => batch_error(e),
    }
}

fn write_attempt(conn: &Connection, a: &Attempt, update: DeliveryUpdate) -> Result<Done> {
    // The attempt first: a parent gone is a `Conflict`, found before anything is written.
    conn.prepare_cached(
        "INSERT INTO attempt (id, msg_id, endpoint_id, url, status, response_status_code, response, response_duration_ms, trigger_type, failure_reason, created_at, app_id, request_headers) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            a.id,
            a.msg_id,
            a.endpoint_id,
            a.url,
            a.status as i64,
            a.response_status_code,
            a.response,
            a.response_duration_ms,
            a.trigger_type,
            a.failure_reason,
            a.created_at,
            a.app_id,
            a.request_headers,
        ])
    })
    .map_err(|e| foreign_key_or(&e, "message or endpoint"))?;
    let run = || -> rusqlite::Result<Option<Millis>> {
        conn.prepare_cached(
            "UPDATE delivery SET status = ?, next_attempt_at = ?, attempt_count = attempt_count + 1, lease_until = NULL, manual = 0, updated_at = ? \
             WHERE msg_id = ? AND endpoint_id = ? AND lease_until = ?",
        )?
        .execute(params![
            update.status as i64,
            update.next_attempt_at,
            a.created_at,
            a.msg_id,
            a.endpoint_id,
            update.lease_until,
        ])?;
        if a.status == DeliveryStatus::Success {
            conn.prepare_cached(
                "UPDATE endpoint SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL",
            )?
            .execute(params![a.endpoint_id])?;
            return Ok(None);
        }
        // Only the first failure of a run writes: later ones leave the row untouched.
        conn.prepare_cached(
            "UPDATE endpoint SET failing_since = ? WHERE id = ? AND failing_since IS NULL",
        )?
        .execute(params![a.created_at, a.endpoint_id])?;
        conn.prepare_cached("SELECT failing_since FROM endpoint WHERE id = ?")?
            .query_row(params![a.endpoint_id], |r| r.get(0))
            .optional()
            .map(Option::flatten)
    };
    run().map(Done::FailingSince).map_err(|e| batch_error(&e))
}

#[allow(clippy::too_many_arguments)]
fn claim(
    conn: &Connection,
    now: Millis,
    lease_until: Millis,
    limit: usize,
    per_endpoint: usize,
    busy: &[String],
    since: Millis,
) -> Result<Done> {
    let run = || -> rusqlite::Result<Vec<Claim>> {
        // Due rows (from `since` on), at most `per_endpoint` per endpoint (the earliest),
        // oldest first. The window runs over a bounded prefix of the due rows, read in index
        // order, so a claim costs the same with a backlog of millions as with a hundred.
        // Both parts read partial indexes that hold only pending or only claimed rows.
        let mut stmt = conn.prepare_cached(
            "UPDATE delivery SET status = 3, lease_until = ?1, updated_at = ?2 \
             WHERE rowid IN ( \
               SELECT rid FROM ( \
                 SELECT rid, at, ROW_NUMBER() OVER (PARTITION BY ep ORDER BY at) AS rn FROM ( \
                   SELECT * FROM (SELECT rowid AS rid, endpoint_id AS ep, next_attempt_at AS at FROM delivery \
                     WHERE status = 1 AND next_attempt_at <= ?2 AND next_attempt_at >= ?7 \
                       AND endpoint_id NOT IN (SELECT value FROM json_each(?3)) \
                     ORDER BY next_attempt_at LIMIT ?6) \
                   UNION ALL \
                   SELECT * FROM (SELECT rowid AS rid, endpoint_id AS ep, next_attempt_at AS at FROM delivery \
                     WHERE status = 3 AND lease_until < ?2 \
                       AND endpoint_id NOT IN (SELECT value FROM json_each(?3)) \
                     LIMIT ?6) \
                 ) \
               ) WHERE rn <= ?4 ORDER BY at LIMIT ?5) \
             RETURNING msg_id, endpoint_id, attempt_count, manual, lease_until",
        )?;
        let claims = stmt
            .query_map(
                params![
                    lease_until,
                    now,
                    crate::store::sql::json_text(&busy),
                    i64::try_from(per_endpoint).unwrap_or(i64::MAX),
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    i64::try_from(limit.saturating_mul(4).max(1024)).unwrap_or(i64::MAX),
                    since,
                ],
                claim_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        with_messages(conn, claims)
    };
    run().map(Done::Claims).map_err(|e| batch_error(&e))
}

/// Each endpoint's earliest due pending rows, at most its count: reads only those
/// endpoints' rows (the partial index `delivery_due_endpoint`).
fn claim_for(
    conn: &Connection,
    now: Millis,
    lease_until: Millis,
    wanted: &[(String, usize)],
) -> Result<Done> {
    let run = || -> rusqlite::Result<Vec<Claim>> {
        let mut stmt = conn.prepare_cached(
            "UPDATE delivery SET status = 3, lease_until = ?1, updated_at = ?2 \
             WHERE rowid IN ( \
               SELECT rowid FROM delivery WHERE endpoint_id = ?3 AND status = 1 AND next_attempt_at <= ?2 \
               ORDER BY next_attempt_at LIMIT ?4) \
             RETURNING msg_id, endpoint_id, attempt_count, manual, lease_until",
        )?;
        let mut claims = Vec::new();
        for (endpoint, n) in wanted {
            let rows = stmt.query_map(
                params![
                    lease_until,
                    now,
                    endpoint,
                    i64::try_from(*n).unwrap_or(i64::MAX)
                ],
                claim_row,
            )?;
            for row in rows {
                claims.push(row?);
            }
        }
        with_messages(conn, claims)
    };
    run().map(Done::Claims).map_err(|e| batch_error(&e))
}

fn claim_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claim> {
    Ok(Claim {
        msg_id: r.get(0)?,
        endpoint_id: r.get(1)?,
        attempt_count: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
        manual: r.get(3)?,
        message: None,
        lease_until: r.get(4)?,
    })
}

/// Reads each claim's message, in the claim's transaction (`None` if it was deleted).
fn with_messages(conn: &Connection, mut claims: Vec<Claim>) -> rusqlite::Result<Vec<Claim>> {
    let mut load = conn.prepare_cached(
        "SELECT id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at, forward \
         FROM message WHERE id = ?",
    )?;
    for c in &mut claims {
        c.message = load
            .query_row(params![c.msg_id], |r| {
                Ok(Message {
                    id: r.get(0)?,
                    app_id: r.get(1)?,
                    event_id: r.get(2)?,
                    event_type: r.get(3)?,
                    channels: r
                        .get::<_, Option<String>>(4)?
                        .and_then(|t| serde_json::from_str(&t).ok()),
                    payload: r.get(5)?,
                    payload_expires_at: r.get(6)?,
                    created_at: r.get(7)?,
                    forward: r
                        .get::<_, Option<String>>(8)?
                        .and_then(|t| serde_json::from_str(&t).ok()),
                })
            })
            .optional()?;
    }
    Ok(claims)
}
