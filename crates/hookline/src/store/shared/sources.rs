//! The inbound gateway's sources and received requests.

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::gateway::model::INSERT_REQUEST;
use crate::ids::id_floor;
use crate::store::rows::{request_row, seal, source_row};
use crate::store::sql::{Columns as _, Stmt, conflict, finish_page, json_text};
use crate::store::{
    Millis, Page, ReceivedRequest, RequestCounts, RequestFilter, RequestStatus, Result, Source,
    SourceStore, StoreError,
};

const UID_TAKEN: &str = "a source with this uid already exists";

impl<E: Engine> SqlStore<E> {
    fn sealed_secrets(&self, s: &Source) -> Vec<u8> {
        seal(
            &self.cipher,
            &s.id,
            "secrets",
            json_text(&s.secrets).as_bytes(),
        )
    }

    fn sealed_token(&self, s: &Source) -> Option<Vec<u8>> {
        s.verify_token
            .as_ref()
            .map(|t| seal(&self.cipher, &s.id, "verify_token", t.as_bytes()))
    }
}

fn opt_u32(v: Option<u32>) -> Option<i64> {
    v.map(i64::from)
}

#[async_trait]
impl<E: Engine> SourceStore for SqlStore<E> {
    async fn create_source(&self, s: &Source) -> Result<()> {
        Stmt::new(
            "INSERT INTO source (id, uid, name, scheme, scheme_definition, secrets, handshake, verify_token, \
             tolerance_secs, dedupe_window_secs, app_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&s.id)
        .bind(&s.uid)
        .bind(&s.name)
        .bind(&s.scheme)
        .bind(&s.scheme_definition)
        .bind(self.sealed_secrets(s))
        .bind(&s.handshake)
        .bind(self.sealed_token(s))
        .bind(opt_u32(s.tolerance_secs))
        .bind(i64::from(s.dedupe_window_secs))
        .bind(&s.app_id)
        .bind(s.created_at)
        .bind(s.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict(UID_TAKEN))?;
        // The gateway caches resolved sources by the store's generation.
        self.changed();
        Ok(())
    }

    async fn source(&self, id_or_uid: &str) -> Result<Option<Source>> {
        let row = Stmt::new(
            "SELECT * FROM source WHERE id = $1 OR uid = $1 ORDER BY id = $1 DESC LIMIT 1",
        )
        .bind(id_or_uid)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(|r| source_row(r, &self.cipher))
            .transpose()
    }

    async fn list_sources(&self, page: &Page) -> Result<Vec<Source>> {
        let mut s = Stmt::new("SELECT * FROM source WHERE TRUE");
        s.push_page("id", page);
        let rows = s.fetch_all(self.pool()).await?;
        Ok(finish_page(
            page,
            rows.iter()
                .map(|r| source_row(r, &self.cipher))
                .collect::<Result<_>>()?,
        ))
    }

    async fn update_source(&self, s: &Source) -> Result<()> {
        Stmt::new(
            "UPDATE source SET uid = $2, name = $3, scheme = $4, scheme_definition = $5, secrets = $6, \
             handshake = $7, verify_token = $8, tolerance_secs = $9, dedupe_window_secs = $10, updated_at = $11 \
             WHERE id = $1",
        )
        .bind(&s.id)
        .bind(&s.uid)
        .bind(&s.name)
        .bind(&s.scheme)
        .bind(&s.scheme_definition)
        .bind(self.sealed_secrets(s))
        .bind(&s.handshake)
        .bind(self.sealed_token(s))
        .bind(opt_u32(s.tolerance_secs))
        .bind(i64::from(s.dedupe_window_secs))
        .bind(s.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict(UID_TAKEN))?;
        // The gateway caches resolved sources by the store's generation.
        self.changed();
        Ok(())
    }

    async fn delete_source(&self, id: &str) -> Result<bool> {
        let n = Stmt::new("DELETE FROM source WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        self.changed();
        Ok(n > 0)
    }

    async fn record_request(&self, r: &ReceivedRequest) -> Result<()> {
        let n = Stmt::new(INSERT_REQUEST)
            .bind(&r.id)
            .bind(&r.source_id)
            .bind(r.received_at)
            .bind(r.status.as_str())
            .bind(&r.reason)
            .bind(&r.event_id)
            .bind(&r.event_type)
            .bind(&r.msg_id)
            .bind(&r.url)
            .bind(json_text(&r.headers))
            .bind((!r.body.is_empty()).then(|| r.body.clone()))
            .bind(r.expires_at)
            .execute(self.pool())
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict(
                "the request is already recorded".into(),
            ));
        }
        Ok(())
    }

    async fn record_rejection(&self, r: &ReceivedRequest, keep: usize) -> Result<()> {
        self.record_request(r).await?;
        // Ids sort by time: everything older than the newest `keep` rejections goes.
        Stmt::new(
            "DELETE FROM source_request WHERE source_id = $1 AND status = 'rejected' AND id < \
             (SELECT id FROM source_request WHERE source_id = $1 AND status = 'rejected' ORDER BY id DESC LIMIT 1 OFFSET $2)",
        )
        .bind(&r.source_id)
        .bind(i64::try_from(keep.saturating_sub(1)).unwrap_or(i64::MAX))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn list_requests(
        &self,
        source_id: &str,
        page: &Page,
        f: &RequestFilter,
    ) -> Result<Vec<ReceivedRequest>> {
        let mut s = Stmt::new("SELECT * FROM source_request WHERE source_id = $1").bind(source_id);
        if let Some(status) = f.status {
            s.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(before) = f.before {
            s.push(" AND received_at < ").push_bind(before);
        }
        if let Some(after) = f.after {
            s.push(" AND received_at > ").push_bind(after);
        }
        s.push_page("id", page);
        let rows = s.fetch_all(self.pool()).await?;
        Ok(finish_page(
            page,
            rows.iter().map(request_row).collect::<Result<_>>()?,
        ))
    }

    async fn request(&self, source_id: &str, id: &str) -> Result<Option<ReceivedRequest>> {
        let row = Stmt::new("SELECT * FROM source_request WHERE source_id = $1 AND id = $2")
            .bind(source_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(request_row).transpose()
    }

    async fn count_requests(
        &self,
        source_id: &str,
        since: Millis,
        cap: usize,
    ) -> Result<RequestCounts> {
        // Request ids start with their time (`ids`), so `id >= floor` is the index range of
        // the period, read newest first and cut at `cap` before anything is counted.
        let rows = Stmt::new(
            "SELECT status, COUNT(*) AS n FROM (SELECT status FROM source_request \
             WHERE source_id = $1 AND id >= $2 ORDER BY id DESC LIMIT $3) recent GROUP BY status",
        )
        .bind(source_id)
        .bind(id_floor("req", since))
        .bind(i64::try_from(cap).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        let mut c = RequestCounts::default();
        for r in &rows {
            let n = u64::try_from(r.int("n")).unwrap_or(0);
            match RequestStatus::parse(&r.text("status")) {
                Some(RequestStatus::Accepted) => c.accepted += n,
                Some(RequestStatus::Duplicate) => c.duplicate += n,
                Some(RequestStatus::Rejected) => c.rejected += n,
                None => {}
            }
        }
        c.capped = c.accepted + c.duplicate + c.rejected >= cap as u64;
        Ok(c)
    }

    async fn purge_requests(&self, now: Millis) -> Result<u64> {
        Ok(
            Stmt::new("DELETE FROM source_request WHERE expires_at < $1")
                .bind(now)
                .execute(self.pool())
                .await?,
        )
    }
}
