//! Messages, deliveries and attempts.

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Row as _};

use super::{PgStore, finish_page, json_text, push_page};
use crate::store::rows::{attempt_row, delivery_row, message_row};
use crate::store::{
    Attempt, AttemptFilter, AttemptScope, Delivery, Message, MessageFilter, MessageStore, Millis,
    Page, Result, StoreError, Targets,
};

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
        if *targets != Targets::Matching {
            return insert_one(&self.pool, msg, targets, now).await;
        }
        // Messages routed by their endpoints' filters (the API's) are group-committed.
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || StoreError::Batch("the message writer has stopped".into());
        self.writer
            .send(super::batch::Job {
                msg: msg.clone(),
                now,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
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

/// Writes one message and its deliveries in one statement (see `create_message`).
pub(super) async fn insert_one(
    pool: &sqlx::PgPool,
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
           INSERT INTO message (id, app_id, event_id, event_type, channels, payload, payload_expires_at, created_at) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING \
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
        .fetch_one(pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Conflict("the application no longer exists".into())
            }
            _ => e.into(),
        })?;
    if row.get::<i64, _>("inserted") == 0 {
        return Err(StoreError::Conflict(
            "a message with this eventId already exists".into(),
        ));
    }
    Ok(usize::try_from(row.get::<i64, _>("queued")).unwrap_or(usize::MAX))
}
