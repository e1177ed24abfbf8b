//! The statements each job of the group commit runs (`group_commit` is the writer that
//! batches them). Each job fails with `Conflict` only before it has written anything (an
//! `eventId` already taken, or a parent row gone, found by its first statement): the
//! writer's `write_whole` relies on that to keep a batch without savepoints.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::group_commit::{Done, batch_error};
use crate::gateway::model::{FIRST_OF_EVENT, INSERT_REQUEST, Taken, taken};
use crate::store::{
    Attempt, Claim, DeliveryStatus, DeliveryUpdate, Message, Millis, Received, ReceivedRequest,
    RequestStatus, Result, StoreError, Targets,
};

pub(super) fn write_message(
    conn: &Connection,
    msg: &Message,
    targets: &Targets,
    now: Millis,
) -> Result<Done> {
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
pub(super) fn write_received(
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
                .prepare_cached(FIRST_OF_EVENT)
                .and_then(|mut s| {
                    s.query_row(params![msg.app_id, msg.event_id], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                })
                .map_err(|e| batch_error(&e))?;
            match taken(msg, first, window_ms, now) {
                Taken::Duplicate(id) => (RequestStatus::Duplicate, id, 0),
                Taken::New(fresh) => {
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

pub(super) fn write_attempt(
    conn: &Connection,
    a: &Attempt,
    update: DeliveryUpdate,
) -> Result<Done> {
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
pub(super) fn claim(
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
pub(super) fn claim_for(
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
