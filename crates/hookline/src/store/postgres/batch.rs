//! Group commit on PostgreSQL, for accepted messages and for recorded attempts.
//!
//! Every message waiting at one moment is written by one statement: its rows, the
//! deliveries its routing finds, and one notification for idle workers, with one commit
//! and one WAL flush. Likewise every attempt waiting: its row, its delivery moved on, and
//! its endpoint's run of failures. PostgreSQL would group concurrent commits' flushes by itself, but
//! each statement still costs a round trip, a plan and an executor start on a machine
//! whose cores the database shares with the nodes; a batch pays them once.
//!
//! A batch that fails as a whole (an application deleted under one of its messages, a
//! message deleted under one of its attempts) is written again one by one, so each caller
//! gets its own answer.

use tokio::sync::{mpsc, oneshot};

use sqlx::PgPool;

use super::writes::{insert_one, record_one};
use crate::store::{
    Attempt, DeliveryStatus, DeliveryUpdate, Message, Millis, Result, StoreError, Targets,
};

/// Most messages written by one statement.
const MAX_BATCH: usize = 256;

pub(super) struct Job {
    pub(super) msg: Message,
    pub(super) now: Millis,
    pub(super) reply: oneshot::Sender<Result<usize>>,
}

/// Starts the writer task on `pool`; it stops when every sender is gone.
pub(super) fn spawn(pool: PgPool) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
            let batch = std::mem::take(&mut jobs);
            if batch.len() == 1 {
                // Alone: nothing to share, and the single statement reports conflicts
                // precisely.
                for job in batch {
                    let r = insert_again(&pool, &job).await;
                    let _ = job.reply.send(r);
                }
                continue;
            }
            match insert_batch(&pool, &batch).await {
                Ok(queued) => {
                    for (job, r) in batch.into_iter().zip(queued) {
                        // The caller may have gone; the write is committed either way.
                        let _ = job.reply.send(r);
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "a message batch failed; writing one by one");
                    for job in batch {
                        let r = insert_again(&pool, &job).await;
                        let _ = job.reply.send(r);
                    }
                }
            }
        }
    });
    tx
}

/// Writes a message of a failed batch on its own. The batch may have failed after its
/// commit (its answer lost with the connection): then the message is in already, and that
/// is its answer, not a conflict.
async fn insert_again(pool: &PgPool, job: &Job) -> Result<usize> {
    match insert_one(pool, &job.msg, &Targets::Matching, job.now).await {
        Err(StoreError::Conflict(what)) => {
            let written: Option<i64> = sqlx::query_scalar(
                "SELECT (SELECT count(*) FROM delivery WHERE msg_id = $1) FROM message WHERE id = $1",
            )
            .bind(&job.msg.id)
            .fetch_optional(pool)
            .await?;
            match written {
                Some(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
                None => Err(StoreError::Conflict(what)),
            }
        }
        other => other,
    }
}

/// Writes `batch` in one statement; per job, how many deliveries it queued, or a conflict
/// on its `eventId`.
async fn insert_batch(pool: &PgPool, batch: &[Job]) -> Result<Vec<Result<usize>>> {
    let n = batch.len();
    let mut cols = Columns::with_capacity(n);
    for job in batch {
        cols.push(&job.msg, job.now);
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
            "WITH input AS ( \
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[], $9::int8[], $10::text[]) \
                 AS i(id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at, queued_at, forward) \
             ), m AS ( \
               INSERT INTO message (id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at, forward) \
               SELECT id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at, forward FROM input \
               ON CONFLICT DO NOTHING \
               RETURNING id, app_id, event_type, channels \
             ), d AS ( \
               INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
               SELECT m.id, e.id, 1, i.queued_at, i.queued_at, i.queued_at \
               FROM m JOIN input i ON i.id = m.id JOIN endpoint e ON e.app_id = m.app_id \
               WHERE NOT e.disabled \
                 AND (e.event_types IS NULL OR e.event_types::jsonb ? m.event_type) \
                 AND (e.channels IS NULL OR (m.channels IS NOT NULL AND e.channels::jsonb ?| \
                      ARRAY(SELECT jsonb_array_elements_text(m.channels::jsonb)))) \
               RETURNING msg_id \
             ), n AS ( \
               SELECT pg_notify('hookline_due', (SELECT min(queued_at) FROM input)::text) FROM (SELECT 1 FROM d LIMIT 1) AS any_delivery \
             ) \
             SELECT m.id, (SELECT count(*) FROM d WHERE d.msg_id = m.id) + 0 * (SELECT count(*) FROM n) \
             FROM m",
        )
        .bind(&cols.id)
        .bind(&cols.app_id)
        .bind(&cols.event_id)
        .bind(&cols.event_type)
        .bind(&cols.channels)
        .bind(&cols.payload)
        .bind(&cols.payload_expires_at)
        .bind(&cols.created_at)
        .bind(&cols.queued_at)
        .bind(&cols.forward)
        .fetch_all(pool)
        .await?;
    let inserted: std::collections::HashMap<String, i64> = rows.into_iter().collect();
    Ok(batch
        .iter()
        .map(|job| match inserted.get(&job.msg.id) {
            Some(q) => Ok(usize::try_from(*q).unwrap_or(usize::MAX)),
            None => Err(StoreError::Conflict(
                "a message with this eventId already exists".into(),
            )),
        })
        .collect())
}

/// A batch as columns, for `unnest`.
struct Columns {
    id: Vec<String>,
    app_id: Vec<String>,
    event_id: Vec<Option<String>>,
    event_type: Vec<String>,
    channels: Vec<Option<String>>,
    payload: Vec<Option<String>>,
    payload_expires_at: Vec<i64>,
    created_at: Vec<i64>,
    queued_at: Vec<i64>,
    forward: Vec<Option<String>>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns {
            id: Vec::with_capacity(n),
            app_id: Vec::with_capacity(n),
            event_id: Vec::with_capacity(n),
            event_type: Vec::with_capacity(n),
            channels: Vec::with_capacity(n),
            payload: Vec::with_capacity(n),
            payload_expires_at: Vec::with_capacity(n),
            created_at: Vec::with_capacity(n),
            queued_at: Vec::with_capacity(n),
            forward: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, m: &Message, now: Millis) {
        self.id.push(m.id.clone());
        self.app_id.push(m.app_id.clone());
        self.event_id.push(m.event_id.clone());
        self.event_type.push(m.event_type.clone());
        self.channels
            .push(m.channels.as_ref().map(crate::store::sql::json_text));
        self.payload.push(m.payload.clone());
        self.payload_expires_at.push(m.payload_expires_at);
        self.created_at.push(m.created_at);
        self.queued_at.push(now);
        self.forward
            .push(m.forward.as_ref().map(crate::store::sql::json_text));
    }
}

pub(super) struct AttemptJob {
    pub(super) attempt: Attempt,
    pub(super) update: DeliveryUpdate,
    pub(super) reply: oneshot::Sender<Result<Option<Millis>>>,
}

/// Starts the attempt writer on `pool`; it stops when every sender is gone.
pub(super) fn spawn_attempts(pool: PgPool) -> mpsc::Sender<AttemptJob> {
    let (tx, mut rx) = mpsc::channel::<AttemptJob>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
            let batch = std::mem::take(&mut jobs);
            let results = if batch.len() > 1 {
                record_batch(&pool, &batch).await.ok()
            } else {
                None
            };
            match results {
                Some(results) => {
                    for (job, r) in batch.into_iter().zip(results) {
                        let _ = job.reply.send(Ok(r));
                    }
                }
                None => {
                    for job in batch {
                        let r = record_again(&pool, &job.attempt, job.update).await;
                        let _ = job.reply.send(r);
                    }
                }
            }
        }
    });
    tx
}

/// Records an attempt of a failed batch on its own. The batch may have failed after its
/// commit (its answer lost with the connection): then the attempt is in already, and the
/// answer is the endpoint's run of failures as it stands.
async fn record_again(
    pool: &PgPool,
    a: &Attempt,
    update: DeliveryUpdate,
) -> Result<Option<Millis>> {
    match record_one(pool, a, update).await {
        Err(StoreError::Database(sqlx::Error::Database(d))) if d.is_unique_violation() => {
            if a.status == DeliveryStatus::Success {
                return Ok(None);
            }
            let since: Option<Option<i64>> =
                sqlx::query_scalar("SELECT failing_since FROM endpoint WHERE id = $1")
                    .bind(&a.endpoint_id)
                    .fetch_optional(pool)
                    .await?;
            Ok(since.flatten())
        }
        other => other,
    }
}

/// What a batch does to one endpoint's run of failures, from its attempts in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Health {
    /// The last attempt succeeded: no run of failures.
    Clear,
    /// A success, then failures from `since`: the run starts there, whatever it was.
    Restart(Millis),
    /// Only failures: a run starts at `since` unless one is going on.
    Continue(Millis),
}

fn health_of(outcomes: impl Iterator<Item = (bool, Millis)>) -> Option<Health> {
    let mut health = None;
    for (success, at) in outcomes {
        health = Some(match (success, health) {
            (true, _) => Health::Clear,
            (false, Some(Health::Clear)) => Health::Restart(at),
            (false, Some(h @ (Health::Restart(_) | Health::Continue(_)))) => h,
            (false, None) => Health::Continue(at),
        });
    }
    health
}

/// Records `batch` in one statement. Per job, as `finish_attempt` answers: for a failure,
/// when its endpoint's run of failures began, as it stands after the whole batch.
async fn record_batch(pool: &PgPool, batch: &[AttemptJob]) -> Result<Vec<Option<Millis>>> {
    let mut endpoints: Vec<&str> = batch
        .iter()
        .map(|j| j.attempt.endpoint_id.as_str())
        .collect();
    endpoints.sort_unstable();
    endpoints.dedup();
    let mut h_id = Vec::new();
    let mut h_mode = Vec::new();
    let mut h_since = Vec::new();
    for ep in &endpoints {
        let outcomes = batch
            .iter()
            .filter(|j| j.attempt.endpoint_id == *ep)
            .map(|j| {
                (
                    j.attempt.status == DeliveryStatus::Success,
                    j.attempt.created_at,
                )
            });
        let (mode, since) = match health_of(outcomes) {
            Some(Health::Clear) | None => ("clear", None),
            Some(Health::Restart(at)) => ("restart", Some(at)),
            Some(Health::Continue(at)) => ("continue", Some(at)),
        };
        h_id.push((*ep).to_owned());
        h_mode.push(mode);
        h_since.push(since);
    }
    let a = |f: fn(&Attempt) -> String| batch.iter().map(|j| f(&j.attempt)).collect::<Vec<_>>();
    let n = |f: fn(&AttemptJob) -> i64| batch.iter().map(f).collect::<Vec<_>>();
    // The data-modifying parts (`a`, `d`, `e`) run to completion whether or not the final
    // SELECT reads them.
    let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
        "WITH input AS ( \
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[], \
                                $8::int8[], $9::int8[], $10::text[], $11::int8[], $12::int8[], $13::int8[], $17::int8[], $18::text[], $19::text[]) \
             AS i(id, msg_id, endpoint_id, url, status, code, response, duration, trigger_type, failure_reason, created_at, d_status, d_next, lease_until, app_id, request_headers) \
         ), a AS ( \
           INSERT INTO attempt (id, msg_id, endpoint_id, url, status, response_status_code, response, response_duration_ms, trigger_type, failure_reason, created_at, app_id, request_headers) \
           SELECT id, msg_id, endpoint_id, url, status, code, response, duration, trigger_type, failure_reason, created_at, app_id, request_headers FROM input \
           RETURNING 1 \
         ), d AS ( \
           UPDATE delivery SET status = i.d_status, next_attempt_at = i.d_next, attempt_count = delivery.attempt_count + 1, \
             lease_until = NULL, manual = FALSE, updated_at = i.created_at \
           FROM input i WHERE delivery.msg_id = i.msg_id AND delivery.endpoint_id = i.endpoint_id \
             AND delivery.lease_until = i.lease_until \
           RETURNING 1 \
         ), h AS ( \
           SELECT * FROM unnest($14::text[], $15::text[], $16::int8[]) AS h(id, mode, since) \
         ), e AS ( \
           UPDATE endpoint SET failing_since = CASE WHEN h.mode = 'clear' THEN NULL ELSE h.since END \
           FROM h WHERE endpoint.id = h.id AND ( \
             (h.mode = 'clear' AND endpoint.failing_since IS NOT NULL) OR h.mode = 'restart' \
             OR (h.mode = 'continue' AND endpoint.failing_since IS NULL)) \
           RETURNING endpoint.id, endpoint.failing_since \
         ) \
         SELECT h.id, CASE WHEN h.mode = 'clear' THEN NULL \
           ELSE COALESCE((SELECT e.failing_since FROM e WHERE e.id = h.id), \
                         (SELECT failing_since FROM endpoint WHERE endpoint.id = h.id)) END \
         FROM h",
    )
    .bind(a(|x| x.id.clone()))
    .bind(a(|x| x.msg_id.clone()))
    .bind(a(|x| x.endpoint_id.clone()))
    .bind(a(|x| x.url.clone()))
    .bind(n(|j| j.attempt.status as i64))
    .bind(n(|j| j.attempt.response_status_code))
    .bind(a(|x| x.response.clone()))
    .bind(n(|j| j.attempt.response_duration_ms))
    .bind(n(|j| j.attempt.trigger_type))
    .bind(
        batch
            .iter()
            .map(|j| j.attempt.failure_reason.clone())
            .collect::<Vec<_>>(),
    )
    .bind(n(|j| j.attempt.created_at))
    .bind(n(|j| j.update.status as i64))
    .bind(
        batch
            .iter()
            .map(|j| j.update.next_attempt_at)
            .collect::<Vec<_>>(),
    )
    .bind(&h_id)
    .bind(&h_mode)
    .bind(&h_since)
    .bind(n(|j| j.update.lease_until))
    .bind(a(|x| x.app_id.clone()))
    .bind(
        batch
            .iter()
            .map(|j| j.attempt.request_headers.as_deref())
            .collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    let since: std::collections::HashMap<String, Option<i64>> = rows.into_iter().collect();
    Ok(batch
        .iter()
        .map(|j| {
            if j.attempt.status == DeliveryStatus::Success {
                None
            } else {
                since.get(&j.attempt.endpoint_id).copied().flatten()
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{Health, health_of};

    #[test]
    fn a_batch_leaves_each_endpoint_as_its_attempts_in_order_would() {
        assert_eq!(health_of([].into_iter()), None);
        assert_eq!(health_of([(true, 1)].into_iter()), Some(Health::Clear));
        assert_eq!(
            health_of([(false, 1), (false, 2)].into_iter()),
            Some(Health::Continue(1))
        );
        assert_eq!(
            health_of([(false, 1), (true, 2), (false, 3), (false, 4)].into_iter()),
            Some(Health::Restart(3))
        );
        assert_eq!(
            health_of([(false, 1), (true, 2)].into_iter()),
            Some(Health::Clear)
        );
    }
}
