//! Messages, deliveries and attempts.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row as _};

use super::{PgStore, finish_page, from_json_opt, json_text, push_page};
use crate::store::{
    Attempt, AttemptFilter, AttemptScope, Delivery, DeliveryStatus, Message, MessageFilter,
    MessageStore, Millis, Page, Result, StoreError, Targets,
};

pub(super) fn message_row(r: &PgRow) -> Result<Message> {
    Ok(Message {
        id: r.get("id"),
        app_id: r.get("app_id"),
        event_id: r.get("event_id"),
        event_type: r.get("event_type"),
        channels: from_json_opt(r.get("channels"))?,
        payload: r.get("payload"),
        payload_expires_at: r.get("payload_expires_at"),
        created_at: r.get("created_at"),
    })
}

fn status(n: i64) -> Result<DeliveryStatus> {
    DeliveryStatus::from_i64(n).ok_or_else(|| StoreError::Corrupt(format!("delivery status {n}")))
}

fn delivery_row(r: &PgRow) -> Result<Delivery> {
    Ok(Delivery {
        msg_id: r.get("msg_id"),
        endpoint_id: r.get("endpoint_id"),
        status: status(r.get("status"))?,
        next_attempt_at: r.get("next_attempt_at"),
        created_at: r.get("d_created_at"),
        updated_at: r.get("d_updated_at"),
    })
}

fn attempt_row(r: &PgRow) -> Result<Attempt> {
    Ok(Attempt {
        id: r.get("id"),
        msg_id: r.get("msg_id"),
        endpoint_id: r.get("endpoint_id"),
        url: r.get("url"),
        status: status(r.get("status"))?,
        response_status_code: r.get("response_status_code"),
        response: r.get("response"),
        response_duration_ms: r.get("response_duration_ms"),
        trigger_type: r.get("trigger_type"),
        failure_reason: r.get("failure_reason"),
        created_at: r.get("created_at"),
    })
}

/// ` AND …` for the message filters, on the `message` table aliased `m`.
fn push_message_filter(q: &mut QueryBuilder<'_, Postgres>, f: &MessageFilter) {
    if let Some(channel) = &f.channel {
        q.push(" AND m.channels IS NOT NULL AND m.channels::jsonb ? ");
        q.push_bind(channel.clone());
    }
    if !f.event_types.is_empty() {
        q.push(" AND m.event_type IN (");
        let mut sep = q.separated(", ");
        for et in &f.event_types {
            sep.push_bind(et.clone());
        }
        q.push(")");
    }
    if let Some(before) = f.before {
        q.push(" AND m.created_at < ").push_bind(before);
    }
    if let Some(after) = f.after {
        q.push(" AND m.created_at > ").push_bind(after);
    }
}

fn push_delivery_status(q: &mut QueryBuilder<'_, Postgres>, f: &MessageFilter) {
    if let Some(s) = f.delivery_status {
        q.push(" AND d.status = ").push_bind(s as i64);
    }
}

#[async_trait]
impl MessageStore for PgStore {
    async fn create_message(&self, msg: &Message, targets: &Targets, now: Millis) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO message (id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&msg.id)
        .bind(&msg.app_id)
        .bind(&msg.event_id)
        .bind(&msg.event_type)
        .bind(msg.channels.as_ref().map(json_text))
        .bind(&msg.payload)
        .bind(msg.payload_expires_at)
        .bind(msg.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Conflict("the application no longer exists".into())
            }
            _ => StoreError::Database(e),
        })?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "a message with this eventId already exists".into(),
            ));
        }
        let queued = match targets {
            // The routing rule of `Targets::Matching`, in SQL so it reads the endpoints as
            // this transaction sees them.
            Targets::Matching => sqlx::query(
                "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
                 SELECT $1, e.id, 1, $2, $2, $2 FROM endpoint e \
                 WHERE e.app_id = $3 AND NOT e.disabled \
                   AND (e.event_types IS NULL OR e.event_types::jsonb ? $4) \
                   AND (e.channels IS NULL OR e.channels::jsonb ?| $5)",
            )
            .bind(&msg.id)
            .bind(now)
            .bind(&msg.app_id)
            .bind(&msg.event_type)
            .bind(msg.channels.clone().unwrap_or_default())
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            // An endpoint deleted since the caller chose it is skipped, not an error.
            Targets::Only(ids) => sqlx::query(
                "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
                 SELECT $1, e.id, 1, $2, $2, $2 FROM endpoint e WHERE e.id = ANY($3)",
            )
            .bind(&msg.id)
            .bind(now)
            .bind(ids)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if queued > 0 {
            // Delivered to listeners at commit, not before.
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(super::DUE_CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(usize::try_from(queued).unwrap_or(usize::MAX))
    }

    async fn message(&self, app_id: &str, id_or_event_id: &str) -> Result<Option<Message>> {
        let row = sqlx::query("SELECT * FROM message WHERE app_id = $1 AND (id = $2 OR event_id = $2) ORDER BY id = $2 DESC LIMIT 1")
            .bind(app_id)
            .bind(id_or_event_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(message_row).transpose()
    }

    async fn list_messages(
        &self,
        app_id: &str,
        page: &Page,
        filter: &MessageFilter,
    ) -> Result<Vec<Message>> {
        let mut q = QueryBuilder::new("SELECT m.* FROM message m WHERE m.app_id = ");
        q.push_bind(app_id.to_owned());
        push_message_filter(&mut q, filter);
        push_page(&mut q, "m.id", page);
        let rows = q.build().fetch_all(&self.pool).await?;
        Ok(finish_page(
            page,
            rows.iter().map(message_row).collect::<Result<_>>()?,
        ))
    }

    async fn expunge_message_content(&self, app_id: &str, id: &str) -> Result<bool> {
        let r = sqlx::query("UPDATE message SET payload = NULL WHERE app_id = $1 AND id = $2")
            .bind(app_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn expire_payloads(&self, now: Millis) -> Result<u64> {
        let r = sqlx::query("UPDATE message SET payload = NULL WHERE payload IS NOT NULL AND payload_expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    async fn deliveries_of_message(&self, msg_id: &str) -> Result<Vec<Delivery>> {
        let rows = sqlx::query("SELECT *, created_at AS d_created_at, updated_at AS d_updated_at FROM delivery WHERE msg_id = $1 ORDER BY endpoint_id")
            .bind(msg_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(delivery_row).collect()
    }

    async fn messages_of_endpoint(
        &self,
        endpoint_id: &str,
        page: &Page,
        filter: &MessageFilter,
    ) -> Result<Vec<(Message, Delivery)>> {
        let mut q = QueryBuilder::new(
            "SELECT m.*, d.msg_id, d.endpoint_id, d.status, d.next_attempt_at, d.created_at AS d_created_at, d.updated_at AS d_updated_at \
             FROM delivery d JOIN message m ON m.id = d.msg_id WHERE d.endpoint_id = ",
        );
        q.push_bind(endpoint_id.to_owned());
        push_message_filter(&mut q, filter);
        push_delivery_status(&mut q, filter);
        push_page(&mut q, "m.id", page);
        let rows = q.build().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| Ok((message_row(r)?, delivery_row(r)?)))
            .collect::<Result<_>>()?;
        Ok(finish_page(page, items))
    }

    async fn requeue_delivery(&self, msg_id: &str, endpoint_id: &str, now: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at, manual) VALUES ($1, $2, 1, $3, $3, $3, TRUE) \
             ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET status = 1, next_attempt_at = $3, updated_at = $3, manual = TRUE, lease_until = NULL, attempt_count = 0 \
             WHERE delivery.status != 3",
        )
        .bind(msg_id)
        .bind(endpoint_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn recover_failed(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Option<Millis>,
        now: Millis,
    ) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE delivery SET status = 1, next_attempt_at = $1, updated_at = $1, manual = TRUE, attempt_count = 0 \
             WHERE endpoint_id = $2 AND status = 2 AND msg_id IN (SELECT id FROM message WHERE created_at >= $3 AND created_at < $4)",
        )
        .bind(now)
        .bind(endpoint_id)
        .bind(since)
        .bind(until.unwrap_or(i64::MAX))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    async fn attempt(&self, msg_id: &str, attempt_id: &str) -> Result<Option<Attempt>> {
        let row = sqlx::query("SELECT * FROM attempt WHERE msg_id = $1 AND id = $2")
            .bind(msg_id)
            .bind(attempt_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(attempt_row).transpose()
    }

    async fn list_attempts(
        &self,
        scope: AttemptScope<'_>,
        page: &Page,
        f: &AttemptFilter,
    ) -> Result<Vec<Attempt>> {
        let mut q =
            QueryBuilder::new("SELECT a.* FROM attempt a JOIN message m ON m.id = a.msg_id WHERE ");
        match scope {
            AttemptScope::Message(id) => q.push("a.msg_id = ").push_bind(id.to_owned()),
            AttemptScope::Endpoint(id) => q.push("a.endpoint_id = ").push_bind(id.to_owned()),
        };
        if let Some(s) = f.status {
            q.push(" AND a.status = ").push_bind(s as i64);
        }
        if let Some(ep) = &f.endpoint_id {
            q.push(" AND a.endpoint_id = ").push_bind(ep.clone());
        }
        if let Some(class) = f.status_code_class {
            q.push(" AND a.response_status_code >= ").push_bind(class);
            q.push(" AND a.response_status_code < ")
                .push_bind(if class == 0 { 100 } else { class + 100 });
        }
        push_message_filter(
            &mut q,
            &MessageFilter {
                channel: f.channel.clone(),
                event_types: f.event_types.clone(),
                ..MessageFilter::default()
            },
        );
        if let Some(before) = f.before {
            q.push(" AND a.created_at < ").push_bind(before);
        }
        if let Some(after) = f.after {
            q.push(" AND a.created_at > ").push_bind(after);
        }
        push_page(&mut q, "a.id", page);
        let rows = q.build().fetch_all(&self.pool).await?;
        Ok(finish_page(
            page,
            rows.iter().map(attempt_row).collect::<Result<_>>()?,
        ))
    }

    async fn expunge_attempt_content(&self, msg_id: &str, attempt_id: &str) -> Result<bool> {
        let r = sqlx::query("UPDATE attempt SET response = '' WHERE msg_id = $1 AND id = $2")
            .bind(msg_id)
            .bind(attempt_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }
}
