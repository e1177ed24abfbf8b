//! Group commit for the two hot writes: accepted messages and recorded attempts.
//!
//! Each must be on disk before anyone is told (the API's 202, the engine's next step), and a
//! SQLite commit costs an fsync. One writer task takes every write waiting at that moment and
//! does them in one transaction, each in its own savepoint (so one message's `eventId`
//! conflict fails only that message), then answers each caller. Under load many writes share
//! one fsync; alone, a write waits for no one.

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{conflict, json_text};
use crate::store::{Attempt, DeliveryUpdate, Message, Millis, Result, StoreError};

/// Most messages written in one transaction.
const MAX_BATCH: usize = 512;

pub(super) struct Job {
    pub(super) work: Work,
    pub(super) reply: oneshot::Sender<Result<()>>,
}

pub(super) enum Work {
    /// A message and its pending deliveries.
    Message {
        msg: Message,
        endpoint_ids: Vec<String>,
        now: Millis,
    },
    /// An attempt and where its delivery goes next.
    Attempt {
        attempt: Attempt,
        update: DeliveryUpdate,
    },
}

impl super::SqliteStore {
    /// Hands `work` to the writer and waits until it is committed.
    pub(super) async fn group_write(&self, work: Work) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Batch("the writer has stopped".into());
        self.writer
            .send(Job { work, reply })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Starts the writer; it stops when every sender is gone.
pub(super) fn spawn(pool: SqlitePool) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
            let results = write(&pool, &jobs).await;
            for (job, result) in jobs.drain(..).zip(results) {
                // The caller may have gone away; the write is committed either way.
                let _ = job.reply.send(result);
            }
        }
    });
    tx
}

/// Writes `jobs` in one transaction; one result per job.
async fn write(pool: &SqlitePool, jobs: &[Job]) -> Vec<Result<()>> {
    let failed_all = |e: &sqlx::Error| {
        jobs.iter()
            .map(|_| Err(StoreError::Batch(e.to_string())))
            .collect()
    };
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return failed_all(&e),
    };
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        results.push(in_savepoint(&mut tx, job).await);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => failed_all(&e),
    }
}

/// One job inside its own savepoint: its failure undoes only its own rows.
async fn in_savepoint(conn: &mut SqliteConnection, job: &Job) -> Result<()> {
    sqlx::query("SAVEPOINT msg").execute(&mut *conn).await?;
    let written = write_one(&mut *conn, job).await;
    if written.is_err() {
        sqlx::query("ROLLBACK TO msg").execute(&mut *conn).await?;
    }
    sqlx::query("RELEASE msg").execute(&mut *conn).await?;
    written
}

async fn write_one(conn: &mut SqliteConnection, job: &Job) -> Result<()> {
    match &job.work {
        Work::Message {
            msg,
            endpoint_ids,
            now,
        } => write_message(conn, msg, endpoint_ids, *now).await,
        Work::Attempt { attempt, update } => write_attempt(conn, attempt, *update).await,
    }
}

async fn write_message(
    conn: &mut SqliteConnection,
    msg: &Message,
    endpoint_ids: &[String],
    now: Millis,
) -> Result<()> {
    sqlx::query("INSERT INTO message (id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(&msg.id)
        .bind(&msg.app_id)
        .bind(&msg.event_id)
        .bind(&msg.event_type)
        .bind(msg.channels.as_ref().map(json_text))
        .bind(&msg.payload)
        .bind(msg.payload_expires_at)
        .bind(msg.created_at)
        .execute(&mut *conn)
        .await
        .map_err(conflict("a message with this eventId already exists"))?;
    // An endpoint deleted since the caller chose it is skipped, not an error.
    for ep in endpoint_ids {
        sqlx::query(
            "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
             SELECT ?1, ?2, 1, ?3, ?3, ?3 WHERE EXISTS (SELECT 1 FROM endpoint WHERE id = ?2)",
        )
        .bind(&msg.id)
        .bind(ep)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn write_attempt(
    conn: &mut SqliteConnection,
    a: &Attempt,
    update: DeliveryUpdate,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO attempt (id, msg_id, endpoint_id, url, status, response_status_code, response, response_duration_ms, trigger_type, failure_reason, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&a.id)
    .bind(&a.msg_id)
    .bind(&a.endpoint_id)
    .bind(&a.url)
    .bind(a.status as i64)
    .bind(a.response_status_code)
    .bind(&a.response)
    .bind(a.response_duration_ms)
    .bind(a.trigger_type)
    .bind(&a.failure_reason)
    .bind(a.created_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE delivery SET status = ?, next_attempt_at = ?, attempt_count = attempt_count + 1, lease_until = NULL, manual = 0, updated_at = ? \
         WHERE msg_id = ? AND endpoint_id = ?",
    )
    .bind(update.status as i64)
    .bind(update.next_attempt_at)
    .bind(a.created_at)
    .bind(&a.msg_id)
    .bind(&a.endpoint_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
