//! The delivery engine's queue: claims with leases, attempts recorded with their outcome.

use async_trait::async_trait;
use sqlx::Row as _;

use super::SqliteStore;
use super::group_commit::{Done, Work};
use crate::store::{
    Attempt, Claim, DeliveryStore, DeliveryUpdate, Endpoint, Millis, Result, StoreError,
};

pub(super) fn out_of_kind() -> StoreError {
    StoreError::Batch("the writer answered out of kind".into())
}

#[async_trait]
impl DeliveryStore for SqliteStore {
    async fn claim_since(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: usize,
        per_endpoint: usize,
        busy: &[String],
        since: Millis,
    ) -> Result<Vec<Claim>> {
        let work = Work::Claim {
            now,
            lease_until,
            limit,
            per_endpoint,
            busy: busy.to_vec(),
            since,
        };
        match self.group_write(work).await? {
            Done::Claims(c) => Ok(c),
            _ => Err(out_of_kind()),
        }
    }

    async fn claim_for(
        &self,
        now: Millis,
        lease_until: Millis,
        wanted: &[(String, usize)],
    ) -> Result<Vec<Claim>> {
        let work = Work::ClaimFor {
            now,
            lease_until,
            wanted: wanted.to_vec(),
        };
        match self.group_write(work).await? {
            Done::Claims(c) => Ok(c),
            _ => Err(out_of_kind()),
        }
    }

    async fn finish_attempt(&self, a: &Attempt, update: DeliveryUpdate) -> Result<Option<Millis>> {
        let work = Work::Attempt {
            attempt: a.clone(),
            update,
        };
        match self.group_write(work).await? {
            Done::FailingSince(since) => Ok(since),
            _ => Err(out_of_kind()),
        }
    }

    async fn settle_delivery(
        &self,
        msg_id: &str,
        endpoint_id: &str,
        update: DeliveryUpdate,
        now: Millis,
    ) -> Result<()> {
        sqlx::query("UPDATE delivery SET status = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ? WHERE msg_id = ? AND endpoint_id = ? AND lease_until = ?")
            .bind(update.status as i64)
            .bind(update.next_attempt_at)
            .bind(now)
            .bind(msg_id)
            .bind(endpoint_id)
            .bind(update.lease_until)
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

    async fn release_claims(&self, claims: &[(String, String, Millis)], now: Millis) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (msg_id, endpoint_id, lease_until) in claims {
            sqlx::query("UPDATE delivery SET status = 1, next_attempt_at = ?, lease_until = NULL, updated_at = ? WHERE msg_id = ? AND endpoint_id = ? AND status = 3 AND lease_until = ?")
                .bind(now)
                .bind(now)
                .bind(msg_id)
                .bind(endpoint_id)
                .bind(lease_until)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn endpoint_by_id(&self, id: &str) -> Result<Option<Endpoint>> {
        let row = sqlx::query("SELECT * FROM endpoint WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|r| crate::store::rows::endpoint_row(r, &self.cipher))
            .transpose()
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

    async fn disable_endpoint(&self, id: &str, now: Millis) -> Result<()> {
        sqlx::query("UPDATE endpoint SET disabled = 1, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(())
    }

    async fn open_circuit(&self, _endpoint_id: &str, _until: Millis) -> Result<()> {
        Ok(())
    }

    async fn close_circuit(&self, _endpoint_id: &str) -> Result<()> {
        Ok(())
    }

    async fn throttle_slot(
        &self,
        _endpoint_id: &str,
        _interval_us: i64,
        _now_us: i64,
    ) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
