//! The delivery engine's queue: claims with leases, attempts recorded with their outcome.

use async_trait::async_trait;
use sqlx::Row as _;

use super::SqliteStore;
use super::messages::message_row;
use crate::store::{
    Attempt, Claim, DeliveryStore, DeliveryUpdate, Endpoint, Message, Millis, Result,
};

#[async_trait]
impl DeliveryStore for SqliteStore {
    async fn claim_due(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: usize,
        busy: &[String],
    ) -> Result<Vec<Claim>> {
        // One statement: the UPDATE takes SQLite's write lock, so two workers cannot claim
        // the same row.
        let mut q = sqlx::QueryBuilder::new("UPDATE delivery SET status = 3, lease_until = ");
        q.push_bind(lease_until)
            .push(", updated_at = ")
            .push_bind(now);
        q.push(" WHERE (msg_id, endpoint_id) IN (SELECT msg_id, endpoint_id FROM delivery WHERE ((status = 1 AND next_attempt_at <= ");
        q.push_bind(now)
            .push(") OR (status = 3 AND lease_until < ")
            .push_bind(now)
            .push("))");
        if !busy.is_empty() {
            q.push(" AND endpoint_id NOT IN (");
            let mut sep = q.separated(", ");
            for id in busy {
                sep.push_bind(id.clone());
            }
            q.push(")");
        }
        q.push(" ORDER BY next_attempt_at LIMIT ")
            .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
        q.push(") RETURNING msg_id, endpoint_id, attempt_count, manual");
        let rows = q.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| Claim {
                msg_id: r.get("msg_id"),
                endpoint_id: r.get("endpoint_id"),
                attempt_count: u32::try_from(r.get::<i64, _>("attempt_count")).unwrap_or(u32::MAX),
                manual: r.get("manual"),
            })
            .collect())
    }

    async fn finish_attempt(&self, a: &Attempt, update: DeliveryUpdate) -> Result<()> {
        self.group_write(super::group_commit::Work::Attempt {
            attempt: a.clone(),
            update,
        })
        .await
    }

    async fn settle_delivery(
        &self,
        msg_id: &str,
        endpoint_id: &str,
        update: DeliveryUpdate,
        now: Millis,
    ) -> Result<()> {
        sqlx::query("UPDATE delivery SET status = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ? WHERE msg_id = ? AND endpoint_id = ?")
            .bind(update.status as i64)
            .bind(update.next_attempt_at)
            .bind(now)
            .bind(msg_id)
            .bind(endpoint_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn reclaim_after_restart(&self, now: Millis) -> Result<u64> {
        let r = sqlx::query("UPDATE delivery SET status = 1, next_attempt_at = ?1, lease_until = NULL, updated_at = ?1 WHERE status = 3")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    async fn release_claims(&self, claims: &[(String, String)], now: Millis) -> Result<()> {
        for (msg_id, endpoint_id) in claims {
            sqlx::query("UPDATE delivery SET status = 1, next_attempt_at = ?, lease_until = NULL, updated_at = ? WHERE msg_id = ? AND endpoint_id = ? AND status = 3")
                .bind(now)
                .bind(now)
                .bind(msg_id)
                .bind(endpoint_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    async fn message_by_id(&self, id: &str) -> Result<Option<Message>> {
        let row = sqlx::query("SELECT * FROM message WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(message_row).transpose()
    }

    async fn endpoint_by_id(&self, id: &str) -> Result<Option<Endpoint>> {
        let row = sqlx::query("SELECT * FROM endpoint WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| self.endpoint_row(r)).transpose()
    }

    async fn gauges(&self, now: Millis) -> Result<crate::metrics::Gauges> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM delivery WHERE status = 1 AND next_attempt_at <= ?1) AS due, \
               (SELECT COUNT(*) FROM delivery WHERE status = 1 AND next_attempt_at > ?1) AS later, \
               (SELECT COUNT(*) FROM delivery WHERE status = 3) AS sending, \
               (SELECT COUNT(*) FROM endpoint WHERE disabled = 1) AS disabled",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(crate::metrics::Gauges {
            due_now: row.get("due"),
            scheduled_later: row.get("later"),
            sending: row.get("sending"),
            disabled_endpoints: row.get("disabled"),
        })
    }

    async fn note_endpoint_health(
        &self,
        id: &str,
        success: bool,
        now: Millis,
    ) -> Result<Option<Millis>> {
        if success {
            sqlx::query("UPDATE endpoint SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL").bind(id).execute(&self.pool).await?;
            return Ok(None);
        }
        let row = sqlx::query("UPDATE endpoint SET failing_since = COALESCE(failing_since, ?) WHERE id = ? RETURNING failing_since")
            .bind(now)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|r| r.get("failing_since")))
    }

    async fn disable_endpoint(&self, id: &str, now: Millis) -> Result<()> {
        sqlx::query("UPDATE endpoint SET disabled = 1, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
