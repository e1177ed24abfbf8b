//! The overview's counts: activity over time, endpoints not delivering.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::ids::id_floor;
use crate::store::sql::{Columns, Stmt};
use crate::store::{ActivityBucket, ActivityStore, FailingEndpoint, Millis, Result};

#[async_trait]
impl<E: Engine> ActivityStore for SqlStore<E> {
    async fn activity(&self, since: Millis, bucket_ms: i64) -> Result<Vec<ActivityBucket>> {
        let bucket_ms = bucket_ms.max(1);
        let mut out: BTreeMap<i64, ActivityBucket> = BTreeMap::new();
        // `id >= floor` first: the primary key's range, not a scan of the whole table.
        let rows = Stmt::new(
            "SELECT (created_at - $1) / $2 AS b, COUNT(*) AS n FROM message \
             WHERE id >= $3 AND created_at >= $1 GROUP BY (created_at - $1) / $2",
        )
        .bind(since)
        .bind(bucket_ms)
        .bind(id_floor("msg", since))
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let b = r.int("b");
            out.entry(b)
                .or_insert(ActivityBucket {
                    index: b,
                    ..ActivityBucket::default()
                })
                .messages = r.int("n");
        }
        let rows = Stmt::new(
            "SELECT (created_at - $1) / $2 AS b, status, COUNT(*) AS n FROM attempt \
             WHERE id >= $3 AND created_at >= $1 GROUP BY (created_at - $1) / $2, status",
        )
        .bind(since)
        .bind(bucket_ms)
        .bind(id_floor("atmpt", since))
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let b = r.int("b");
            let e = out.entry(b).or_insert(ActivityBucket {
                index: b,
                ..ActivityBucket::default()
            });
            // Svix's numbers: 0 success, 2 fail (an attempt is one or the other).
            match r.int("status") {
                0 => e.delivered += r.int("n"),
                _ => e.failed += r.int("n"),
            }
        }
        Ok(out.into_values().collect())
    }

    async fn failing_endpoints(&self, limit: usize) -> Result<Vec<FailingEndpoint>> {
        let rows = Stmt::new(
            "SELECT id, app_id, url, disabled, disabled_reason, failing_since FROM endpoint \
             WHERE disabled OR failing_since IS NOT NULL ORDER BY failing_since IS NULL, failing_since, id LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(failing_row).collect())
    }

    async fn endpoint_health(&self, id: &str) -> Result<Option<FailingEndpoint>> {
        let row = Stmt::new(
            "SELECT id, app_id, url, disabled, disabled_reason, failing_since FROM endpoint WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(failing_row))
    }
}

fn failing_row(r: &impl Columns) -> FailingEndpoint {
    FailingEndpoint {
        id: r.text("id"),
        app_id: r.text("app_id"),
        url: r.text("url"),
        disabled: r.flag("disabled"),
        disabled_reason: r.opt_text("disabled_reason"),
        failing_since: r.opt_int("failing_since"),
    }
}
