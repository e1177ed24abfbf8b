//! The overview's counts: activity over time, endpoints not delivering.
//!
//! Counting every message and attempt of a week on each view would be linear in the week's
//! rows (seconds with millions). Instead a minute is counted once, by the first read after
//! it has closed, into `activity_minute`; reads add the minutes from there to a live count
//! of the minutes still open. The writers (the hot paths) are left alone: they do not know
//! the rollup exists. `activity_counted` holds the one span of minutes counted so far, so a
//! minute with nothing in it is known as counted without a row of its own.
//!
//! A counted minute is not counted again: a message or attempt deleted afterwards (its
//! application deleted) stays in the chart's history, as it happened.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::ids::id_floor;
use crate::store::sql::{Columns, Stmt};
use crate::store::{ActivityBucket, ActivityStore, FailingEndpoint, Millis, Result};

/// The rollup's grain. The chart's buckets (a minute, half an hour, two hours) are whole
/// numbers of it.
pub(crate) const MINUTE: i64 = 60_000;

/// How long after its end a minute is taken as closed. Rows carry the time they were made
/// and commit a little later (the group commit, a batch), on nodes whose clocks differ a
/// little: half a minute covers both with room to spare.
pub(crate) const SETTLE_MS: i64 = 30_000;

/// How far an id's time may be from its row's `created_at` (both are read from the clock
/// moments apart); the id range of a count is widened by this much on each side.
const ID_SLACK_MS: i64 = 60_000;

/// Minutes older than this are forgotten (the chart's longest window is a week).
const KEEP_MS: i64 = 8 * 86_400_000;

/// What a read does to the rollup before it reads it: count these spans of closed minutes,
/// then record `counted` as the span counted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub count: Vec<(Millis, Millis)>,
    pub counted: Option<(Millis, Millis)>,
}

/// Plans the counting needed to read the closed minutes `[lo, hi)` from the rollup, given
/// the span already counted (pure). Spans stay one contiguous span: a window that does not
/// touch the one counted starts a new one (the old rows stay, and are set again if counted
/// again), so a minute is counted once as long as the windows read overlap.
pub(crate) fn plan(counted: Option<(Millis, Millis)>, lo: Millis, hi: Millis) -> Plan {
    if hi <= lo {
        return Plan {
            count: vec![],
            counted,
        };
    }
    match counted {
        Some((from, until)) if until >= lo && from <= hi => {
            let mut count = vec![];
            if lo < from {
                count.push((lo, from));
            }
            if until < hi {
                count.push((until, hi));
            }
            Plan {
                count,
                counted: Some((from.min(lo), until.max(hi))),
            }
        }
        _ => Plan {
            count: vec![(lo, hi)],
            counted: Some((lo, hi)),
        },
    }
}

#[async_trait]
impl<E: Engine> ActivityStore for SqlStore<E> {
    async fn activity(
        &self,
        since: Millis,
        bucket_ms: i64,
        now: Millis,
    ) -> Result<Vec<ActivityBucket>> {
        let bucket_ms = bucket_ms.max(1);
        let mut out = BTreeMap::new();
        if since % MINUTE != 0 || bucket_ms % MINUTE != 0 {
            // Buckets the rollup cannot make: everything live.
            self.count_live(since, bucket_ms, since, &mut out).await?;
            return Ok(out.into_values().collect());
        }
        let closed = ((now - SETTLE_MS).div_euclid(MINUTE) * MINUTE).max(since);
        self.fill_rollup(since, closed, now).await?;
        let rows = Stmt::new(
            "SELECT (minute - $1) / $2 AS b, CAST(SUM(messages) AS BIGINT) AS m, \
             CAST(SUM(delivered) AS BIGINT) AS d, CAST(SUM(failed) AS BIGINT) AS f \
             FROM activity_minute WHERE minute >= $1 AND minute < $3 GROUP BY (minute - $1) / $2",
        )
        .bind(since)
        .bind(bucket_ms)
        .bind(closed)
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let e = bucket(&mut out, r.int("b"));
            e.messages += r.int("m");
            e.delivered += r.int("d");
            e.failed += r.int("f");
        }
        self.count_live(since, bucket_ms, closed, &mut out).await?;
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

    async fn failing_endpoint(&self, id: &str) -> Result<Option<FailingEndpoint>> {
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

fn bucket(out: &mut BTreeMap<i64, ActivityBucket>, index: i64) -> &mut ActivityBucket {
    out.entry(index).or_insert(ActivityBucket {
        index,
        ..ActivityBucket::default()
    })
}

impl<E: Engine> SqlStore<E> {
    /// Counts the closed minutes of `[lo, hi)` not counted yet into `activity_minute`.
    /// Two readers at once may count the same minutes: each sets the same numbers.
    async fn fill_rollup(&self, lo: Millis, hi: Millis, now: Millis) -> Result<()> {
        let row = Stmt::new("SELECT from_ms, until_ms FROM activity_counted WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        let counted = row.map(|r| (r.int("from_ms"), r.int("until_ms")));
        let plan = plan(counted, lo, hi);
        if plan.count.is_empty() {
            return Ok(());
        }
        for &(from, until) in &plan.count {
            self.count_into_rollup(from, until).await?;
        }
        let keep = now - KEEP_MS;
        Stmt::new("DELETE FROM activity_minute WHERE minute < $1")
            .bind(keep)
            .execute(self.pool())
            .await?;
        if let Some((from, until)) = plan.counted {
            // After the rows: a reader that sees the span finds its minutes there.
            Stmt::new(
                "INSERT INTO activity_counted (id, from_ms, until_ms) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET from_ms = excluded.from_ms, until_ms = excluded.until_ms",
            )
            .bind(from.max(keep.div_euclid(MINUTE) * MINUTE).min(until))
            .bind(until)
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }

    /// Counts the minutes of `[from, until)` (whole minutes) from the rows themselves, on
    /// the ids' time order (a range of each primary key), into `activity_minute`.
    async fn count_into_rollup(&self, from: Millis, until: Millis) -> Result<()> {
        // `WHERE TRUE` before `ON CONFLICT`: SQLite's parser needs it after a SELECT.
        Stmt::new(
            "INSERT INTO activity_minute (minute, messages, delivered, failed) \
             SELECT minute, SUM(m), SUM(d), SUM(f) FROM ( \
               SELECT created_at / 60000 * 60000 AS minute, COUNT(*) AS m, 0 AS d, 0 AS f FROM message \
                 WHERE id >= $3 AND id < $4 AND created_at >= $1 AND created_at < $2 GROUP BY created_at / 60000 \
               UNION ALL \
               SELECT created_at / 60000 * 60000 AS minute, 0 AS m, \
                 SUM(CASE WHEN status = 0 THEN 1 ELSE 0 END) AS d, SUM(CASE WHEN status = 0 THEN 0 ELSE 1 END) AS f FROM attempt \
                 WHERE id >= $5 AND id < $6 AND created_at >= $1 AND created_at < $2 GROUP BY created_at / 60000 \
             ) t WHERE TRUE GROUP BY minute \
             ON CONFLICT (minute) DO UPDATE SET messages = excluded.messages, delivered = excluded.delivered, failed = excluded.failed",
        )
        .bind(from)
        .bind(until)
        .bind(id_floor("msg", from - ID_SLACK_MS))
        .bind(id_floor("msg", until + ID_SLACK_MS))
        .bind(id_floor("atmpt", from - ID_SLACK_MS))
        .bind(id_floor("atmpt", until + ID_SLACK_MS))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Adds the messages and attempts made from `from` on to `out`, in buckets of
    /// `bucket_ms` from `since`: the minutes not closed yet.
    async fn count_live(
        &self,
        since: Millis,
        bucket_ms: i64,
        from: Millis,
        out: &mut BTreeMap<i64, ActivityBucket>,
    ) -> Result<()> {
        // `id >= floor` first: the primary key's range, not a scan of the whole table.
        let rows = Stmt::new(
            "SELECT (created_at - $1) / $2 AS b, COUNT(*) AS n FROM message \
             WHERE id >= $3 AND created_at >= $4 GROUP BY (created_at - $1) / $2",
        )
        .bind(since)
        .bind(bucket_ms)
        .bind(id_floor("msg", from - ID_SLACK_MS))
        .bind(from)
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            bucket(out, r.int("b")).messages += r.int("n");
        }
        let rows = Stmt::new(
            "SELECT (created_at - $1) / $2 AS b, status, COUNT(*) AS n FROM attempt \
             WHERE id >= $3 AND created_at >= $4 GROUP BY (created_at - $1) / $2, status",
        )
        .bind(since)
        .bind(bucket_ms)
        .bind(id_floor("atmpt", from - ID_SLACK_MS))
        .bind(from)
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let e = bucket(out, r.int("b"));
            // Svix's numbers: 0 success, 2 fail (an attempt is one or the other).
            match r.int("status") {
                0 => e.delivered += r.int("n"),
                _ => e.failed += r.int("n"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_counts_each_minute_once_and_keeps_one_span() {
        let m = MINUTE;
        // Nothing counted: the whole window.
        assert_eq!(
            plan(None, 0, 10 * m),
            Plan {
                count: vec![(0, 10 * m)],
                counted: Some((0, 10 * m))
            }
        );
        // The same window a minute later: only the minute that closed meanwhile.
        assert_eq!(
            plan(Some((0, 10 * m)), m, 11 * m),
            Plan {
                count: vec![(10 * m, 11 * m)],
                counted: Some((0, 11 * m))
            }
        );
        // A longer window: the older part, and nothing already counted.
        assert_eq!(
            plan(Some((5 * m, 10 * m)), 0, 10 * m).count,
            vec![(0, 5 * m)]
        );
        // Both sides.
        assert_eq!(
            plan(Some((5 * m, 8 * m)), 0, 10 * m),
            Plan {
                count: vec![(0, 5 * m), (8 * m, 10 * m)],
                counted: Some((0, 10 * m))
            }
        );
        // Inside the counted span: nothing to count, nothing to write.
        assert_eq!(
            plan(Some((0, 10 * m)), 2 * m, 9 * m),
            Plan {
                count: vec![],
                counted: Some((0, 10 * m))
            }
        );
        // Apart from it (the dashboard unread for a while): a new span.
        assert_eq!(
            plan(Some((0, 2 * m)), 5 * m, 9 * m),
            Plan {
                count: vec![(5 * m, 9 * m)],
                counted: Some((5 * m, 9 * m))
            }
        );
        // No closed minute in the window yet.
        assert_eq!(plan(None, 5 * m, 5 * m).count, vec![]);
    }
}
