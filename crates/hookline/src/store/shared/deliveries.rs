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

    async fn disable_endpoint(&self, id: &str, now: Millis) -> Result<()> {
        Stmt::new("UPDATE endpoint SET disabled = TRUE, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.changed();
        Ok(())
    }
}
