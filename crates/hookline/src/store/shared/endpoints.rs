//! Endpoints. Secrets and custom headers are sealed with the endpoint id as context.

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::store::rows::{endpoint_row, seal};
use crate::store::sql::{Columns as _, Stmt, conflict, finish_page, json_text};
use crate::store::{Endpoint, EndpointHealth, EndpointStats, EndpointStore, Millis, Page, Result};

#[async_trait]
impl<E: Engine> EndpointStore for SqlStore<E> {
    async fn create_endpoint(&self, ep: &Endpoint) -> Result<()> {
        Stmt::new(
            "INSERT INTO endpoint (id, app_id, uid, url, description, disabled, event_types, channels, metadata, throttle_rate, headers, secret, previous_secrets, signature_scheme, tolerance_hint, timeout_secs, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(&ep.id)
        .bind(&ep.app_id)
        .bind(&ep.uid)
        .bind(&ep.url)
        .bind(&ep.description)
        .bind(ep.disabled)
        .bind(ep.event_types.as_ref().map(json_text))
        .bind(ep.channels.as_ref().map(json_text))
        .bind(json_text(&ep.metadata))
        .bind(ep.throttle_rate.map(i64::from))
        .bind(seal(&self.cipher, &ep.id, "headers", json_text(&ep.headers).as_bytes()))
        .bind(seal(&self.cipher, &ep.id, "secret", ep.secret.as_bytes()))
        .bind(seal(&self.cipher, &ep.id, "previous_secrets", json_text(&ep.previous_secrets).as_bytes()))
        .bind(&ep.signature_scheme)
        .bind(ep.tolerance_hint.map(i64::from))
        .bind(ep.timeout_secs.map(i64::from))
        .bind(ep.created_at)
        .bind(ep.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict("an endpoint with this uid already exists in the application"))?;
        // Workers keep a list of the listener endpoints, read again when this moves on.
        self.changed();
        Ok(())
    }

    async fn endpoint(&self, app_id: &str, id_or_uid: &str) -> Result<Option<Endpoint>> {
        let row = Stmt::new("SELECT * FROM endpoint WHERE app_id = $1 AND (id = $2 OR uid = $2) ORDER BY id = $2 DESC LIMIT 1")
            .bind(app_id)
            .bind(id_or_uid)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(|r| endpoint_row(r, &self.cipher))
            .transpose()
    }

    async fn list_endpoints(&self, app_id: &str, page: &Page) -> Result<Vec<Endpoint>> {
        let mut s = Stmt::new("SELECT * FROM endpoint WHERE app_id = $1").bind(app_id);
        s.push_page("id", page);
        let rows = s.fetch_all(self.pool()).await?;
        Ok(finish_page(
            page,
            rows.iter()
                .map(|r| endpoint_row(r, &self.cipher))
                .collect::<Result<_>>()?,
        ))
    }

    async fn update_endpoint(&self, ep: &Endpoint) -> Result<()> {
        Stmt::new(
            "UPDATE endpoint SET uid = $1, url = $2, description = $3, disabled = $4, event_types = $5, channels = $6, metadata = $7, throttle_rate = $8, \
             signature_scheme = $9, tolerance_hint = $10, timeout_secs = $11, updated_at = $12, \
             disabled_reason = CASE WHEN $4 THEN disabled_reason ELSE NULL END WHERE id = $13 AND app_id = $14",
        )
        .bind(&ep.uid)
        .bind(&ep.url)
        .bind(&ep.description)
        .bind(ep.disabled)
        .bind(ep.event_types.as_ref().map(json_text))
        .bind(ep.channels.as_ref().map(json_text))
        .bind(json_text(&ep.metadata))
        .bind(ep.throttle_rate.map(i64::from))
        .bind(&ep.signature_scheme)
        .bind(ep.tolerance_hint.map(i64::from))
        .bind(ep.timeout_secs.map(i64::from))
        .bind(ep.updated_at)
        .bind(&ep.id)
        .bind(&ep.app_id)
        .execute(self.pool())
        .await
        .map_err(conflict("an endpoint with this uid already exists in the application"))?;
        self.changed();
        Ok(())
    }

    async fn update_endpoint_secrets(&self, ep: &Endpoint) -> Result<()> {
        Stmt::new(
            "UPDATE endpoint SET secret = $1, previous_secrets = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(seal(&self.cipher, &ep.id, "secret", ep.secret.as_bytes()))
        .bind(seal(
            &self.cipher,
            &ep.id,
            "previous_secrets",
            json_text(&ep.previous_secrets).as_bytes(),
        ))
        .bind(ep.updated_at)
        .bind(&ep.id)
        .execute(self.pool())
        .await?;
        self.changed();
        Ok(())
    }

    async fn update_endpoint_headers(&self, ep: &Endpoint) -> Result<()> {
        Stmt::new("UPDATE endpoint SET headers = $1, updated_at = $2 WHERE id = $3")
            .bind(seal(
                &self.cipher,
                &ep.id,
                "headers",
                json_text(&ep.headers).as_bytes(),
            ))
            .bind(ep.updated_at)
            .bind(&ep.id)
            .execute(self.pool())
            .await?;
        self.changed();
        Ok(())
    }

    async fn delete_endpoint(&self, app_id: &str, id: &str) -> Result<bool> {
        let n = Stmt::new("DELETE FROM endpoint WHERE app_id = $1 AND id = $2")
            .bind(app_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.changed();
        Ok(n > 0)
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    async fn endpoint_stats(
        &self,
        endpoint_id: &str,
        since: Option<Millis>,
        until: Option<Millis>,
    ) -> Result<EndpointStats> {
        let rows = Stmt::new(
            "SELECT status, COUNT(*) AS n FROM delivery WHERE endpoint_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY status",
        )
        .bind(endpoint_id)
        .bind(since.unwrap_or(i64::MIN))
        .bind(until.unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        let mut stats = EndpointStats::default();
        for r in rows {
            let n = r.int("n");
            match r.int("status") {
                0 => stats.success = n,
                1 => stats.pending = n,
                2 => stats.fail = n,
                3 => stats.sending = n,
                _ => {}
            }
        }
        Ok(stats)
    }

    async fn endpoint_health(
        &self,
        endpoint_id: &str,
        last: usize,
        cap: usize,
    ) -> Result<EndpointHealth> {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        // The last attempts: the newest end of `attempt_endpoint`. The queue: pending rows
        // are `delivery_due_endpoint` (partial, this endpoint's own), sending ones the few
        // under `delivery_leased`, which `endpoint_id || ''` makes the planner use rather
        // than every delivery the endpoint had (`delivery_endpoint`).
        let row = Stmt::new(
            "SELECT                (SELECT COUNT(*) FROM (SELECT status FROM attempt WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2) a WHERE status = 0) AS delivered,                (SELECT COUNT(*) FROM (SELECT status FROM attempt WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2) a WHERE status != 0) AS failed,                (SELECT COUNT(*) FROM (SELECT 1 AS one FROM delivery WHERE endpoint_id = $1 AND status = 1 LIMIT $3) p) AS pending,                (SELECT COUNT(*) FROM (SELECT 1 AS one FROM delivery WHERE endpoint_id || '' = $1 AND status = 3 LIMIT $3) s) AS sending",
        )
        .bind(endpoint_id)
        .bind(n(last))
        .bind(n(cap))
        .fetch_one(self.pool())
        .await?;
        Ok(EndpointHealth {
            delivered: row.int("delivered"),
            failed: row.int("failed"),
            pending: row.int("pending"),
            sending: row.int("sending"),
        })
    }
}
