//! Group commit for accepted messages.
//!
//! Each accepted message must be on disk before the API answers, and a SQLite commit costs
//! an fsync (a few hundred microseconds to milliseconds). One writer task takes every message
//! waiting at that moment and writes them in one transaction, each in its own savepoint (so
//! one message's `eventId` conflict does not fail the others), then answers each request.
//! Under load many requests share one fsync; alone, a request waits for no one.

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{conflict, json_text};
use crate::store::{Message, Millis, Result, StoreError};

/// Most messages written in one transaction.
const MAX_BATCH: usize = 512;

pub(super) struct Job {
    pub(super) msg: Message,
    pub(super) endpoint_ids: Vec<String>,
    pub(super) now: Millis,
    pub(super) reply: oneshot::Sender<Result<()>>,
}

/// Starts the writer; it stops when every sender is gone.
pub(super) fn spawn(pool: SqlitePool) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
    tokio::spawn(async move {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
            let results = write(&pool, &jobs).await;
            for (job, result) in jobs.drain(..).zip(results) {
                // The requester may have gone away; the message is committed either way.
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
    let msg = &job.msg;
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
    for ep in &job.endpoint_ids {
        sqlx::query(
            "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
             SELECT ?1, ?2, 1, ?3, ?3, ?3 WHERE EXISTS (SELECT 1 FROM endpoint WHERE id = ?2)",
        )
        .bind(&msg.id)
        .bind(ep)
        .bind(job.now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
