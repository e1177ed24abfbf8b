//! Messages, deliveries and attempts.

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::store::rows::{attempt_row, delivery_row, message_row};
use crate::store::sql::{Stmt, finish_page};
use crate::store::{
    Attempt, AttemptFilter, AttemptScope, Delivery, DeliveryStatus, Message, MessageFilter,
    MessageStore, Millis, Page, Result,
};

/// ` AND …` for the message filters, on the `message` table aliased `m`.
fn push_message_filter<'a, E: Engine>(s: &mut Stmt<'a>, f: &'a MessageFilter) {
    if let Some(channel) = &f.channel {
        E::push_json_holds(s, "m.channels", channel);
    }
    if !f.event_types.is_empty() {
        s.push(" AND m.event_type IN ");
        s.push_list(&f.event_types);
    }
    if let Some(before) = f.before {
        s.push(" AND m.created_at < ").push_bind(before);
    }
    if let Some(after) = f.after {
        s.push(" AND m.created_at > ").push_bind(after);
    }
}

fn push_delivery_status(s: &mut Stmt<'_>, f: &MessageFilter) {
    if let Some(status) = f.delivery_status {
        s.push(" AND d.status = ").push_bind(status as i64);
    }
}

#[async_trait]
impl<E: Engine> MessageStore for SqlStore<E> {
    async fn message(&self, app_id: &str, id_or_event_id: &str) -> Result<Option<Message>> {
        let row = Stmt::new("SELECT * FROM message WHERE app_id = $1 AND (id = $2 OR event_id = $2) ORDER BY id = $2 DESC LIMIT 1")
            .bind(app_id)
            .bind(id_or_event_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(message_row).transpose()
    }

    async fn list_messages(
        &self,
        app_id: &str,
        page: &Page,
        filter: &MessageFilter,
    ) -> Result<Vec<Message>> {
        let mut s = Stmt::new("SELECT m.* FROM message m WHERE m.app_id = $1").bind(app_id);
        push_message_filter::<E>(&mut s, filter);
        s.push_page("m.id", page);
        let rows = s.fetch_all(self.pool()).await?;
        Ok(finish_page(
            page,
            rows.iter().map(message_row).collect::<Result<_>>()?,
        ))
    }

    async fn expunge_message_content(&self, app_id: &str, id: &str) -> Result<bool> {
        let n = Stmt::new("UPDATE message SET payload = NULL WHERE app_id = $1 AND id = $2")
            .bind(app_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(n > 0)
    }

    async fn expire_payloads(&self, now: Millis) -> Result<u64> {
        let n = Stmt::new("UPDATE message SET payload = NULL WHERE payload IS NOT NULL AND payload_expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(n)
    }

    async fn deliveries_of_message(&self, msg_id: &str) -> Result<Vec<Delivery>> {
        let rows = Stmt::new("SELECT *, created_at AS d_created_at, updated_at AS d_updated_at FROM delivery WHERE msg_id = $1 ORDER BY endpoint_id")
            .bind(msg_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(delivery_row).collect()
    }

    async fn messages_of_endpoint(
        &self,
        endpoint_id: &str,
        page: &Page,
        filter: &MessageFilter,
    ) -> Result<Vec<(Message, Delivery)>> {
        let mut s = Stmt::new(
            "SELECT m.*, d.msg_id, d.endpoint_id, d.status, d.next_attempt_at, d.created_at AS d_created_at, d.updated_at AS d_updated_at \
             FROM delivery d JOIN message m ON m.id = d.msg_id WHERE d.endpoint_id = $1",
        )
        .bind(endpoint_id);
        push_message_filter::<E>(&mut s, filter);
        push_delivery_status(&mut s, filter);
        s.push_page("m.id", page);
        let rows = s.fetch_all(self.pool()).await?;
        let items = rows
            .iter()
            .map(|r| Ok((message_row(r)?, delivery_row(r)?)))
            .collect::<Result<_>>()?;
        Ok(finish_page(page, items))
    }

    async fn requeue_delivery(&self, msg_id: &str, endpoint_id: &str, now: Millis) -> Result<()> {
        Stmt::new(
            "INSERT INTO delivery (msg_id, endpoint_id, status, next_attempt_at, created_at, updated_at, manual) VALUES ($1, $2, 1, $3, $3, $3, TRUE) \
             ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET status = 1, next_attempt_at = $3, updated_at = $3, manual = TRUE, lease_until = NULL, attempt_count = 0 \
             WHERE delivery.status != 3",
        )
        .bind(msg_id)
        .bind(endpoint_id)
        .bind(now)
        .execute(self.pool())
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
        let n = Stmt::new(
            "UPDATE delivery SET status = 1, next_attempt_at = $1, updated_at = $1, manual = TRUE, attempt_count = 0 \
             WHERE endpoint_id = $2 AND status = 2 AND msg_id IN (SELECT id FROM message WHERE created_at >= $3 AND created_at < $4)",
        )
        .bind(now)
        .bind(endpoint_id)
        .bind(since)
        .bind(until.unwrap_or(i64::MAX))
        .execute(self.pool())
        .await?;
        Ok(n)
    }

    async fn attempt(&self, msg_id: &str, attempt_id: &str) -> Result<Option<Attempt>> {
        let row = Stmt::new("SELECT * FROM attempt WHERE msg_id = $1 AND id = $2")
            .bind(msg_id)
            .bind(attempt_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(attempt_row).transpose()
    }

    async fn list_attempts(
        &self,
        scope: AttemptScope<'_>,
        page: &Page,
        f: &AttemptFilter,
    ) -> Result<Vec<Attempt>> {
        // The message is joined only for its filters: each scope is then a range of one
        // index on `attempt` (`attempt_msg`, `attempt_endpoint`, `attempt_app`), read in id
        // order up to the page's end, whatever the number of attempts stored.
        let on_message = !f.event_types.is_empty() || f.channel.is_some();
        let mut s = Stmt::new(if on_message {
            "SELECT a.* FROM attempt a JOIN message m ON m.id = a.msg_id WHERE "
        } else {
            "SELECT a.* FROM attempt a WHERE "
        });
        match scope {
            AttemptScope::Message(id) => s.push("a.msg_id = ").push_bind(id),
            AttemptScope::Endpoint(id) => s.push("a.endpoint_id = ").push_bind(id),
            AttemptScope::App(id) => s.push("a.app_id = ").push_bind(id),
        };
        if let Some(status) = f.status {
            s.push(" AND a.status = ").push_bind(status as i64);
            // Spelled out so that the planner may read the failed attempts' partial indexes
            // (`attempt_app_failed`, `attempt_endpoint_failed`: `WHERE status <> 0`); a bound
            // value alone cannot show it that the query implies their condition.
            if status != DeliveryStatus::Success {
                s.push(" AND a.status <> 0");
            }
        }
        if let Some(ep) = &f.endpoint_id {
            s.push(" AND a.endpoint_id = ").push_bind(ep);
        }
        if let Some(class) = f.status_code_class {
            s.push(" AND a.response_status_code >= ").push_bind(class);
            s.push(" AND a.response_status_code < ")
                .push_bind(if class == 0 { 100 } else { class + 100 });
        }
        let on_message = MessageFilter {
            channel: f.channel.clone(),
            event_types: f.event_types.clone(),
            ..MessageFilter::default()
        };
        push_message_filter::<E>(&mut s, &on_message);
        if let Some(before) = f.before {
            s.push(" AND a.created_at < ").push_bind(before);
        }
        if let Some(after) = f.after {
            s.push(" AND a.created_at > ").push_bind(after);
        }
        s.push_page("a.id", page);
        let rows = s.fetch_all(self.pool()).await?;
        Ok(finish_page(
            page,
            rows.iter().map(attempt_row).collect::<Result<_>>()?,
        ))
    }

    async fn expunge_attempt_content(&self, msg_id: &str, attempt_id: &str) -> Result<bool> {
        let n = Stmt::new("UPDATE attempt SET response = '' WHERE msg_id = $1 AND id = $2")
            .bind(msg_id)
            .bind(attempt_id)
            .execute(self.pool())
            .await?;
        Ok(n > 0)
    }
}
