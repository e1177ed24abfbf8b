//! The delivery engine's queue, but for its hot path (`QueueStore`), which each engine
//! writes its own way.

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::store::sql::{Columns as _, Stmt};
use crate::store::{DeliveryStore, DeliveryUpdate, Endpoint, Millis, Result};

#[async_trait]
impl<E: Engine> DeliveryStore for SqlStore<E> {
    async fn settle_delivery(
        &self,
        msg_id: &str,
        endpoint_id: &str,
        update: DeliveryUpdate,
        now: Millis,
    ) -> Result<()> {
        Stmt::new("UPDATE delivery SET status = $1, next_attempt_at = $2, lease_until = NULL, updated_at = $3 WHERE msg_id = $4 AND endpoint_id = $5 AND lease_until = $6")
            .bind(update.status as i64)
            .bind(update.next_attempt_at)
            .bind(now)
            .bind(msg_id)
            .bind(endpoint_id)
            .bind(update.lease_until)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn endpoint_by_id(&self, id: &str) -> Result<Option<Endpoint>> {
        let row = Stmt::new("SELECT * FROM endpoint WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(|r| crate::store::rows::endpoint_row(r, &self.cipher))
            .transpose()
    }

    async fn gauges(&self, now: Millis) -> Result<crate::metrics::Gauges> {
        let row = Stmt::new(
            "SELECT \
               (SELECT COUNT(*) FROM delivery WHERE status = 1 AND next_attempt_at <= $1) AS due, \
               (SELECT COUNT(*) FROM delivery WHERE status = 1 AND next_attempt_at > $1) AS later, \
               (SELECT COUNT(*) FROM delivery WHERE status = 3) AS sending, \
               (SELECT COUNT(*) FROM endpoint WHERE disabled) AS disabled",
        )
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(crate::metrics::Gauges {
            due_now: row.int("due"),
            scheduled_later: row.int("later"),
            sending: row.int("sending"),
            disabled_endpoints: row.int("disabled"),
        })
    }

    async fn disable_endpoint(&self, id: &str, reason: &str, now: Millis) -> Result<()> {
        Stmt::new(
            "UPDATE endpoint SET disabled = TRUE, disabled_reason = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(reason)
        .bind(now)
        .bind(id)
            .execute(self.pool())
            .await?;
        self.changed();
        Ok(())
    }

    async fn listener_endpoints(&self, prefix: &str) -> Result<Vec<String>> {
        // `substr` rather than LIKE, whose wildcards a prefix would have to escape.
        let rows = Stmt::new("SELECT id FROM endpoint WHERE substr(url, 1, length($1)) = $1")
            .bind(prefix)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(|r| r.text("id")).collect())
    }

    async fn release_endpoint_claims(&self, endpoint_id: &str, now: Millis) -> Result<u64> {
        Ok(Stmt::new("UPDATE delivery SET status = 1, next_attempt_at = $1, lease_until = NULL, updated_at = $1 WHERE endpoint_id = $2 AND status = 3")
            .bind(now)
            .bind(endpoint_id)
            .execute(self.pool())
            .await?)
    }

    async fn skip_pending_before(
        &self,
        endpoint_id: &str,
        before: Millis,
        now: Millis,
    ) -> Result<u64> {
        Ok(Stmt::new("UPDATE delivery SET status = 2, next_attempt_at = NULL, updated_at = $1 WHERE endpoint_id = $2 AND status = 1 AND msg_id IN (SELECT id FROM message WHERE created_at < $3)")
            .bind(now)
            .bind(endpoint_id)
            .bind(before)
            .execute(self.pool())
            .await?)
    }

    async fn endpoint_has_claims(&self, endpoint_id: &str, now: Millis) -> Result<bool> {
        let row = Stmt::new("SELECT 1 AS one FROM delivery WHERE endpoint_id = $1 AND status = 3 AND lease_until >= $2 LIMIT 1")
            .bind(endpoint_id)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    async fn leased_delivery(
        &self,
        msg_id: &str,
        endpoint_id: &str,
    ) -> Result<Option<(u32, Millis)>> {
        let row = Stmt::new("SELECT attempt_count, lease_until FROM delivery WHERE msg_id = $1 AND endpoint_id = $2 AND status = 3")
            .bind(msg_id)
            .bind(endpoint_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.and_then(|r| {
            let lease = r.opt_int("lease_until")?;
            Some((
                u32::try_from(r.int("attempt_count")).unwrap_or(u32::MAX),
                lease,
            ))
        }))
    }
}
