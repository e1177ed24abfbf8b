//! What PostgreSQL does its own way: messages and attempts group-committed in batches of
//! one-statement writes (`batch`, `writes`), claims that several nodes take at once without
//! meeting (`FOR UPDATE SKIP LOCKED`) under leases, and the per-endpoint state the nodes
//! share (open circuits, throttle slots), in table `endpoint_gate`.

use async_trait::async_trait;
use sqlx::Row as _;

use super::{PgEngine, PgStore};
use crate::store::rows::message_row;
use crate::store::shared::Engine;
use crate::store::sql::Stmt;
use crate::store::{
    Attempt, Claim, DeliveryUpdate, Message, Millis, QueueStore, Received, ReceivedRequest, Result,
    StoreError, Targets,
};

/// The end of a claim statement: leases the rows of its `locked` part, reading each one's
/// message in the same statement. `$1` is the lease's end, `$2` now and `$NODE` stands
/// for the parameter holding this node's id.
const LEASE_LOCKED: &str = "UPDATE delivery d SET status = 3, lease_until = $1, updated_at = $2, claimed_by = $NODE \
     FROM locked l LEFT JOIN message m ON m.id = l.msg_id \
     WHERE d.msg_id = l.msg_id AND d.endpoint_id = l.endpoint_id \
     RETURNING d.msg_id, d.endpoint_id, d.attempt_count, d.manual, d.next_attempt_at, d.lease_until, \
       m.id, m.app_id, m.event_id, m.event_type, m.channels, m.payload, m.payload_expires_at, m.created_at, m.forward";

/// Claims from the rows a claim statement returned, oldest first.
fn claims(rows: &[sqlx::postgres::PgRow]) -> Result<Vec<Claim>> {
    let mut rows: Vec<_> = rows.iter().collect();
    rows.sort_by_key(|r| r.get::<Option<i64>, _>("next_attempt_at"));
    rows.into_iter()
        .map(|r| {
            // The message was read in the same statement; gone if it was deleted.
            let message = match r.get::<Option<String>, _>("id") {
                Some(_) => Some(message_row(r)?),
                None => None,
            };
            Ok(Claim {
                msg_id: r.get("msg_id"),
                endpoint_id: r.get("endpoint_id"),
                attempt_count: u32::try_from(r.get::<i64, _>("attempt_count")).unwrap_or(u32::MAX),
                manual: r.get("manual"),
                message,
                lease_until: r.get("lease_until"),
            })
        })
        .collect()
}

impl Engine for PgEngine {
    type Pool = sqlx::PgPool;

    fn pool(&self) -> &Self::Pool {
        &self.pool
    }

    fn push_json_holds<'a>(s: &mut Stmt<'a>, column: &str, value: &'a str) {
        s.push(&format!(" AND {column} IS NOT NULL AND {column}::jsonb ? "));
        s.push_bind(value);
    }

    fn announce_change(&self) {
        // After the change committed; every node (this one too) drops its caches on it
        // (`PgStore::open`). Not awaited: the change is made whether or not the others
        // hear of it now, and a lost announcement costs them a cache lifetime (a second).
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let sent = sqlx::query("SELECT pg_notify($1, '')")
                .bind(super::CHANGED_CHANNEL)
                .execute(&pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "announcing a change to the other nodes failed");
            }
        });
    }
}

#[async_trait]
impl QueueStore for PgStore {
    async fn create_message(&self, msg: &Message, targets: &Targets, now: Millis) -> Result<usize> {
        if *targets != Targets::Matching {
            return super::writes::insert_one(&self.engine.pool, msg, targets, now).await;
        }
        // Messages routed by their endpoints' filters (the API's) are group-committed.
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || StoreError::Batch("the message writer has stopped".into());
        self.engine
            .writer
            .send(super::batch::Job {
                msg: msg.clone(),
                now,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    async fn receive_event(
        &self,
        msg: &Message,
        request: &ReceivedRequest,
        window_ms: Millis,
        now: Millis,
    ) -> Result<Received> {
        super::writes::receive_one(&self.engine.pool, msg, request, window_ms, now).await
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
        // Due rows (from `since` on) and rows whose lease expired, each read in index order
        // over a bounded prefix (so a claim costs the same whatever the backlog), leaving
        // out endpoints this node holds at their cap and endpoints whose circuit is open on
        // any node; then at most `per_endpoint` per endpoint, oldest first. Only the rows
        // picked are locked (a row lock is a write), skipping any another node is claiming
        // this instant, and each is checked again once locked: a row another node claimed
        // since this statement's snapshot no longer qualifies and is left out.
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "WITH due AS ( \
               SELECT msg_id, endpoint_id, next_attempt_at AS at FROM delivery \
               WHERE status = 1 AND next_attempt_at <= $2 AND next_attempt_at >= $8 AND endpoint_id <> ALL($3) \
                 AND NOT EXISTS (SELECT 1 FROM endpoint_gate g WHERE g.endpoint_id = delivery.endpoint_id AND g.circuit_open_until > $2) \
               ORDER BY next_attempt_at LIMIT $6 \
             ), expired AS ( \
               SELECT msg_id, endpoint_id, next_attempt_at AS at FROM delivery \
               WHERE status = 3 AND lease_until < $2 AND endpoint_id <> ALL($3) \
                 AND NOT EXISTS (SELECT 1 FROM endpoint_gate g WHERE g.endpoint_id = delivery.endpoint_id AND g.circuit_open_until > $2) \
               ORDER BY lease_until LIMIT $6 \
             ), ranked AS ( \
               SELECT msg_id, endpoint_id, at, row_number() OVER (PARTITION BY endpoint_id ORDER BY at) AS rn \
               FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) c \
             ), picked AS ( \
               SELECT msg_id, endpoint_id FROM ranked WHERE rn <= $4 ORDER BY at LIMIT $5 \
             ), locked AS ( \
               SELECT d.msg_id, d.endpoint_id FROM delivery d \
               JOIN picked p ON d.msg_id = p.msg_id AND d.endpoint_id = p.endpoint_id \
               WHERE (d.status = 1 AND d.next_attempt_at <= $2) OR (d.status = 3 AND d.lease_until < $2) \
               FOR UPDATE OF d SKIP LOCKED \
             ) {}",
                LEASE_LOCKED.replace("$NODE", "$7")
            )
        });
        let rows = sqlx::query(SQL.as_str())
            .bind(lease_until)
            .bind(now)
            .bind(busy)
            .bind(i64::try_from(per_endpoint).unwrap_or(i64::MAX))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(limit.saturating_mul(4).max(1024)).unwrap_or(i64::MAX))
            .bind(&self.engine.node_id)
            .bind(since)
            .fetch_all(&self.engine.pool)
            .await?;
        claims(&rows)
    }

    async fn claim_for(
        &self,
        now: Millis,
        lease_until: Millis,
        wanted: &[(String, usize)],
    ) -> Result<Vec<Claim>> {
        // Each endpoint's earliest due rows from the partial index `delivery_due_endpoint`
        // (never another endpoint's backlog), unless its circuit is open on some node;
        // locked and checked again as in `claim_since`.
        let (endpoints, counts): (Vec<&str>, Vec<i64>) = wanted
            .iter()
            .map(|(e, n)| (e.as_str(), i64::try_from(*n).unwrap_or(i64::MAX)))
            .unzip();
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "WITH picked AS ( \
               SELECT p.msg_id, p.endpoint_id FROM unnest($3::text[], $4::bigint[]) AS w(ep, n) \
               CROSS JOIN LATERAL ( \
                 SELECT msg_id, endpoint_id FROM delivery \
                 WHERE endpoint_id = w.ep AND status = 1 AND next_attempt_at <= $2 \
                 ORDER BY next_attempt_at LIMIT w.n) p \
               WHERE NOT EXISTS (SELECT 1 FROM endpoint_gate g WHERE g.endpoint_id = w.ep AND g.circuit_open_until > $2) \
             ), locked AS ( \
               SELECT d.msg_id, d.endpoint_id FROM delivery d \
               JOIN picked p ON d.msg_id = p.msg_id AND d.endpoint_id = p.endpoint_id \
               WHERE d.status = 1 AND d.next_attempt_at <= $2 \
               FOR UPDATE OF d SKIP LOCKED \
             ) {}",
                LEASE_LOCKED.replace("$NODE", "$5")
            )
        });
        let rows = sqlx::query(SQL.as_str())
            .bind(lease_until)
            .bind(now)
            .bind(&endpoints)
            .bind(&counts)
            .bind(&self.engine.node_id)
            .fetch_all(&self.engine.pool)
            .await?;
        claims(&rows)
    }

    async fn finish_attempt(&self, a: &Attempt, update: DeliveryUpdate) -> Result<Option<Millis>> {
        // Group-committed with the other attempts finishing now (`batch`).
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || StoreError::Batch("the attempt writer has stopped".into());
        self.engine
            .attempts
            .send(super::batch::AttemptJob {
                attempt: a.clone(),
                update,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    async fn reclaim_after_restart(&self, now: Millis) -> Result<u64> {
        // Claims in the database may be another live node's: they are left to their
        // leases, but for those this node made under its own name before it restarted.
        let Some(node) = &self.engine.node_id else {
            return Ok(0);
        };
        let r = sqlx::query(
            "UPDATE delivery SET status = 1, next_attempt_at = $1, lease_until = NULL, claimed_by = NULL, updated_at = $1 \
             WHERE status = 3 AND claimed_by = $2",
        )
        .bind(now)
        .bind(node)
        .execute(&self.engine.pool)
        .await?;
        Ok(r.rows_affected())
    }

    async fn release_claims(&self, claims: &[(String, String, Millis)], now: Millis) -> Result<()> {
        let msgs: Vec<&str> = claims.iter().map(|c| c.0.as_str()).collect();
        let endpoints: Vec<&str> = claims.iter().map(|c| c.1.as_str()).collect();
        let leases: Vec<Millis> = claims.iter().map(|c| c.2).collect();
        sqlx::query(
            "UPDATE delivery d SET status = 1, next_attempt_at = $1, lease_until = NULL, updated_at = $1 \
             FROM unnest($2::text[], $3::text[], $4::int8[]) AS r(msg_id, endpoint_id, lease_until) \
             WHERE d.msg_id = r.msg_id AND d.endpoint_id = r.endpoint_id AND d.status = 3 AND d.lease_until = r.lease_until",
        )
        .bind(now)
        .bind(&msgs)
        .bind(&endpoints)
        .bind(&leases)
        .execute(&self.engine.pool)
        .await?;
        Ok(())
    }

    async fn open_circuit(&self, endpoint_id: &str, until: Millis) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO endpoint_gate (endpoint_id, circuit_open_until) VALUES ($1, $2) \
             ON CONFLICT (endpoint_id) DO UPDATE SET circuit_open_until = GREATEST(endpoint_gate.circuit_open_until, $2)",
        )
        .bind(endpoint_id)
        .bind(until)
        .execute(&self.engine.pool)
        .await;
        ignore_deleted_endpoint(r)
    }

    async fn close_circuit(&self, endpoint_id: &str) -> Result<()> {
        sqlx::query("UPDATE endpoint_gate SET circuit_open_until = NULL WHERE endpoint_id = $1 AND circuit_open_until IS NOT NULL")
            .bind(endpoint_id)
            .execute(&self.engine.pool)
            .await?;
        Ok(())
    }

    async fn open_circuits(&self, endpoint_ids: &[String]) -> Result<Vec<(String, Millis)>> {
        Ok(sqlx::query_as(
            "SELECT endpoint_id, circuit_open_until FROM endpoint_gate \
             WHERE endpoint_id = ANY($1) AND circuit_open_until IS NOT NULL",
        )
        .bind(endpoint_ids)
        .fetch_all(&self.engine.pool)
        .await?)
    }

    async fn throttle_slot(
        &self,
        endpoint_id: &str,
        interval_us: i64,
        now_us: i64,
    ) -> Result<Option<i64>> {
        // One row per endpoint holds its next free slot; taking a slot moves it on by one
        // interval, atomically, whichever node asks.
        let slot = sqlx::query_scalar::<_, i64>(
            "INSERT INTO endpoint_gate (endpoint_id, throttle_next_us) VALUES ($1, $2 + $3) \
             ON CONFLICT (endpoint_id) DO UPDATE SET throttle_next_us = GREATEST(endpoint_gate.throttle_next_us, $2) + $3 \
             RETURNING throttle_next_us - $3",
        )
        .bind(endpoint_id)
        .bind(now_us)
        .bind(interval_us)
        .fetch_one(&self.engine.pool)
        .await;
        match slot {
            Ok(at) => Ok(Some(at)),
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Ok(Some(now_us)),
            Err(e) => Err(e.into()),
        }
    }

    async fn close(&self) {
        self.engine.pool.close().await;
    }
}

/// An endpoint deleted meanwhile has no gate to write: not an error.
fn ignore_deleted_endpoint(
    r: std::result::Result<sqlx::postgres::PgQueryResult, sqlx::Error>,
) -> Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Ok(()),
        Err(e) => Err(e.into()),
    }
}
