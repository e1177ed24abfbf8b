//! What SQLite does its own way: the hot writes (accepted messages, claims, recorded
//! attempts) go through the single-writer group commit (`group_commit`), and the state
//! several nodes would share (open circuits, throttle slots) has no table: one process
//! holds it all in memory (the circuits the engine announced, for the dashboard, in
//! `SqliteEngine::circuits`).

use async_trait::async_trait;

use super::group_commit::{Done, Work};
use super::{SqliteEngine, SqliteStore};
use crate::store::shared::Engine;
use crate::store::sql::Stmt;
use crate::store::{
    Attempt, Claim, DeliveryUpdate, Message, Millis, QueueStore, Received, ReceivedRequest, Result,
    StoreError, Targets,
};

fn out_of_kind() -> StoreError {
    StoreError::Batch("the writer answered out of kind".into())
}

impl SqliteEngine {
    fn circuits(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Millis>> {
        // Single inserts and removes cannot leave the map inconsistent: a poisoned lock
        // is used as it is.
        self.circuits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Engine for SqliteEngine {
    type Pool = sqlx::SqlitePool;

    fn pool(&self) -> &Self::Pool {
        &self.pool
    }

    fn push_json_holds<'a>(s: &mut Stmt<'a>, column: &str, value: &'a str) {
        s.push(&format!(
            " AND EXISTS (SELECT 1 FROM json_each({column}) WHERE value = "
        ));
        s.push_bind(value).push(")");
    }
}

#[async_trait]
impl QueueStore for SqliteStore {
    async fn create_message(&self, msg: &Message, targets: &Targets, now: Millis) -> Result<usize> {
        let work = Work::Message {
            msg: msg.clone(),
            targets: targets.clone(),
            now,
        };
        match self.engine.group_write(work).await? {
            Done::Queued(n) => Ok(n),
            _ => Err(out_of_kind()),
        }
    }

    async fn receive_event(
        &self,
        msg: &Message,
        request: &ReceivedRequest,
        window_ms: Millis,
        now: Millis,
    ) -> Result<Received> {
        let work = Work::Received {
            msg: msg.clone(),
            request: Box::new(request.clone()),
            window_ms,
            now,
        };
        match self.engine.group_write(work).await? {
            Done::Received(r) => Ok(r),
            _ => Err(out_of_kind()),
        }
    }

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
        match self.engine.group_write(work).await? {
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
        match self.engine.group_write(work).await? {
            Done::Claims(c) => Ok(c),
            _ => Err(out_of_kind()),
        }
    }

    async fn finish_attempt(&self, a: &Attempt, update: DeliveryUpdate) -> Result<Option<Millis>> {
        let work = Work::Attempt {
            attempt: a.clone(),
            update,
        };
        match self.engine.group_write(work).await? {
            Done::FailingSince(since) => Ok(since),
            _ => Err(out_of_kind()),
        }
    }

    async fn reclaim_after_restart(&self, now: Millis) -> Result<u64> {
        // One process owns the file: every claim still held was left by one that died.
        Ok(Stmt::new("UPDATE delivery SET status = 1, next_attempt_at = $1, lease_until = NULL, updated_at = $1 WHERE status = 3")
            .bind(now)
            .execute(&self.engine.pool)
            .await?)
    }

    async fn release_claims(&self, claims: &[(String, String, Millis)], now: Millis) -> Result<()> {
        let mut tx = self.engine.pool.begin().await?;
        for (msg_id, endpoint_id, lease_until) in claims {
            sqlx::query("UPDATE delivery SET status = 1, next_attempt_at = $1, lease_until = NULL, updated_at = $1 WHERE msg_id = $2 AND endpoint_id = $3 AND status = 3 AND lease_until = $4")
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

    async fn open_circuit(&self, endpoint_id: &str, until: Millis) -> Result<()> {
        // As PostgreSQL's gate: a later reopen time wins.
        let mut open = self.engine.circuits();
        let at = open.entry(endpoint_id.to_owned()).or_insert(until);
        *at = (*at).max(until);
        Ok(())
    }

    async fn close_circuit(&self, endpoint_id: &str) -> Result<()> {
        self.engine.circuits().remove(endpoint_id);
        Ok(())
    }

    async fn open_circuits(&self, endpoint_ids: &[String]) -> Result<Vec<(String, Millis)>> {
        let open = self.engine.circuits();
        Ok(endpoint_ids
            .iter()
            .filter_map(|id| open.get(id).map(|t| (id.clone(), *t)))
            .collect())
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
        self.engine.pool.close().await;
    }
}
