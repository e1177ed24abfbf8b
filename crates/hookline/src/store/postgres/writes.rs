//! PostgreSQL's one-statement writes: a message with its deliveries and its notification,
//! and an attempt with its delivery and its endpoint's run of failures. Each is one round
//! trip and one commit; `batch` sends many of them at once. And a received event, in a
//! transaction of its own (its de-duplication needs a second statement when its id is
//! taken); PostgreSQL groups concurrent commits' flushes by itself.

use sqlx::Row as _;

use crate::gateway::model::{FIRST_OF_EVENT, INSERT_REQUEST, Taken, taken};
use crate::store::sql::json_text;
use crate::store::{
    Attempt, DeliveryStatus, DeliveryUpdate, Message, Millis, Received, ReceivedRequest,
    RequestStatus, Result, StoreError, Targets,
};

/// A foreign-key failure means the parent row is gone (deleted meanwhile): say which.
pub(super) fn foreign_key_or(e: sqlx::Error, parent: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict(format!("the {parent} no longer exists"))
        }
        _ => e.into(),
    }
}

/// `insert_one`'s conflict when the event id is taken: the one failure that leaves a
/// transaction usable (a foreign-key violation aborts it).
const EVENT_ID_TAKEN: &str = "a message with this eventId already exists";

/// Writes one message and its deliveries in one statement (see `create_message`).
pub(super) async fn insert_one<'e>(
    ex: impl sqlx::PgExecutor<'e>,
    msg: &Message,
    targets: &Targets,
    now: Millis,
) -> Result<usize> {
    // One statement, so one round trip and one commit: the message, its deliveries (by
    // the routing rule of `Targets::Matching`, reading the endpoints as this statement
    // sees them, or exactly the endpoints given that still exist), and a notification
    // to idle workers, delivered at commit.
    let route = match targets {
        Targets::Matching => {
            "SELECT m.id, e.id FROM m JOIN endpoint e ON e.app_id = m.app_id \
             WHERE NOT e.disabled \
               AND (e.event_types IS NULL OR e.event_types::jsonb ? m.event_type) \
               AND (e.channels IS NULL OR e.channels::jsonb ?| $10)"
        }
        Targets::Only(_) => "SELECT m.id, e.id FROM m JOIN endpoint e ON e.id = ANY($11)",
    };
    let sql = format!(
        "WITH m AS ( \
           INSERT INTO message (id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at, forward) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $12) ON CONFLICT DO NOTHING \
           RETURNING id, app_id, event_type \
         ), d AS ( \
           INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
           SELECT r.msg_id, r.endpoint_id, 1, $9, $9, $9 FROM ({route}) AS r(msg_id, endpoint_id) \
           RETURNING 1 \
         ), n AS ( \
           SELECT pg_notify('{}', $9::text) FROM (SELECT 1 FROM d LIMIT 1) AS any_delivery \
         ) \
         SELECT (SELECT count(*) FROM m) AS inserted, (SELECT count(*) FROM d) AS queued, \
                (SELECT count(*) FROM n) AS notified",
        super::DUE_CHANNEL
    );
    let only: &[String] = match targets {
        Targets::Only(ids) => ids,
        Targets::Matching => &[],
    };
    let row = sqlx::query(&sql)
        .bind(&msg.id)
        .bind(&msg.app_id)
        .bind(&msg.event_id)
        .bind(&msg.event_type)
        .bind(msg.channels.as_ref().map(json_text))
        .bind(&msg.payload)
        .bind(msg.payload_expires_at)
        .bind(msg.created_at)
        .bind(now)
        .bind(msg.channels.clone().unwrap_or_default())
        .bind(only)
        .bind(msg.forward.as_ref().map(json_text))
        .fetch_one(ex)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Conflict("the application no longer exists".into())
            }
            _ => e.into(),
        })?;
    if row.get::<i64, _>("inserted") == 0 {
        return Err(StoreError::Conflict(EVENT_ID_TAKEN.into()));
    }
    Ok(usize::try_from(row.get::<i64, _>("queued")).unwrap_or(usize::MAX))
}

/// Commits a received event (see `QueueStore::receive_event`).
pub(super) async fn receive_one(
    pool: &sqlx::PgPool,
    msg: &Message,
    request: &ReceivedRequest,
    window_ms: Millis,
    now: Millis,
) -> Result<Received> {
    let mut tx = pool.begin().await?;
    let (status, msg_id, queued) = match insert_one(&mut *tx, msg, &Targets::Matching, now).await {
        Ok(n) => (RequestStatus::Accepted, msg.id.clone(), n),
        Err(StoreError::Conflict(what)) if what == EVENT_ID_TAKEN => {
            // The first writer's commit is what the unique index waited for: it is visible
            // to this statement (read committed).
            let first: Option<(String, Millis)> = sqlx::query_as(FIRST_OF_EVENT)
                .bind(&msg.app_id)
                .bind(&msg.event_id)
                .fetch_optional(&mut *tx)
                .await?;
            match taken(msg, first, window_ms, now) {
                Taken::Duplicate(id) => (RequestStatus::Duplicate, id, 0),
                Taken::New(fresh) => {
                    let n = insert_one(&mut *tx, &fresh, &Targets::Matching, now).await?;
                    (RequestStatus::Accepted, msg.id.clone(), n)
                }
            }
        }
        Err(e) => return Err(e),
    };
    let r = request;
    sqlx::query(INSERT_REQUEST)
        .bind(&r.id)
        .bind(&r.source_id)
        .bind(r.received_at)
        .bind(status.as_str())
        .bind(&r.reason)
        .bind(&r.event_id)
        .bind(&r.event_type)
        .bind(&msg_id)
        .bind(&r.url)
        .bind(json_text(&r.headers))
        .bind((!r.body.is_empty()).then_some(&r.body))
        .bind(r.expires_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Received {
        status,
        msg_id,
        queued,
    })
}

/// Records one attempt in one statement (see `finish_attempt`).
pub(super) async fn record_one(
    pool: &sqlx::PgPool,
    a: &Attempt,
    update: DeliveryUpdate,
) -> Result<Option<Millis>> {
    // One statement (one round trip, one commit): the attempt, its delivery moved on,
    // and the endpoint's run of failures: a success clears it, the first failure of a
    // run starts it, later failures leave the row alone. The last SELECT sees the
    // endpoint as it was before the statement, hence the CASE.
    let success = a.status == DeliveryStatus::Success;
    let failing_since = sqlx::query_scalar::<_, Option<i64>>(
        "WITH a AS ( \
           INSERT INTO attempt (id, msg_id, endpoint_id, url, status, response_status_code, response, response_duration_ms, trigger_type, failure_reason, created_at, app_id, request_headers) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $16, $17) RETURNING 1 \
         ), d AS ( \
           UPDATE delivery SET status = $12, next_attempt_at = $13, attempt_count = attempt_count + 1, lease_until = NULL, manual = FALSE, updated_at = $11 \
           WHERE msg_id = $2 AND endpoint_id = $3 AND lease_until = $15 RETURNING 1 \
         ), e AS ( \
           UPDATE endpoint SET failing_since = CASE WHEN $14 THEN NULL ELSE $11 END \
           WHERE id = $3 AND (CASE WHEN $14 THEN failing_since IS NOT NULL ELSE failing_since IS NULL END) \
           RETURNING failing_since \
         ) \
         SELECT CASE WHEN $14 THEN NULL \
                ELSE COALESCE((SELECT failing_since FROM e), (SELECT failing_since FROM endpoint WHERE id = $3)) END",
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
    .bind(update.status as i64)
    .bind(update.next_attempt_at)
    .bind(success)
    .bind(update.lease_until)
    .bind(&a.app_id)
    .bind(&a.request_headers)
    .fetch_one(pool)
    .await
    .map_err(|e| foreign_key_or(e, "message or endpoint"))?;
    Ok(failing_since)
}
