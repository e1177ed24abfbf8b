//! The overview's chart: messages accepted and attempts by outcome per time bucket, as
//! server-rendered SVG (attributes, not inline styles, so the CSP needs no exception).

use maud::{Markup, html};

use crate::store::ActivityBucket;

/// A window the chart can show: its name, length and bucket size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Range {
    pub name: &'static str,
    pub label: &'static str,
    pub span_ms: i64,
    pub bucket_ms: i64,
}

pub(super) const RANGES: [Range; 3] = [
    Range {
        name: "hour",
        label: "Last hour",
        span_ms: 3_600_000,
        bucket_ms: 60_000,
    },
    Range {
        name: "day",
        label: "Last day",
        span_ms: 86_400_000,
        bucket_ms: 1_800_000,
    },
    Range {
        name: "week",
        label: "Last week",
        span_ms: 7 * 86_400_000,
        bucket_ms: 7_200_000,
    },
];

impl Range {
    /// The range named, the last hour otherwise.
    pub(super) fn named(name: Option<&str>) -> Range {
        RANGES
            .into_iter()
            .find(|r| Some(r.name) == name)
            .unwrap_or(RANGES[0])
    }

    fn buckets(self) -> i64 {
        self.span_ms / self.bucket_ms
    }

    /// Where the first bucket starts, `now` being in the last (buckets aligned on their size,
    /// so a reload a moment later draws the same bars).
    pub(super) fn since(self, now: i64) -> i64 {
        (now / self.bucket_ms - self.buckets() + 1) * self.bucket_ms
    }
}

/// The SVG for `rows` (sparse: missing buckets had nothing).
pub(super) fn chart(range: Range, rows: &[ActivityBucket]) -> Markup {
    let n = range.buckets();
    let mut all = vec![ActivityBucket::default(); usize::try_from(n).unwrap_or(0)];
    for r in rows {
        if let Some(slot) = usize::try_from(r.index).ok().and_then(|i| all.get_mut(i)) {
            *slot = *r;
        }
    }
    let peak = all
        .iter()
        .map(|b| b.messages.max(b.delivered + b.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    let h = |v: i64| v as f64 * 100.0 / peak as f64;
    let (m, d, f) = all.iter().fold((0, 0, 0), |(m, d, f), b| {
        (m + b.messages, d + b.delivered, f + b.failed)
    });
    let summary = format!(
        "{}: {m} messages accepted, {d} attempts delivered, {f} failed",
        range.label
    );
    html! {
        svg.chart viewBox={ "0 0 " (n * 10) " 100" } preserveAspectRatio="none" role="img" aria-label=(summary) {
            @for (i, b) in all.iter().enumerate() {
                @let x = i as f64 * 10.0;
                g {
                    title { (b.messages) " messages, " (b.delivered) " delivered, " (b.failed) " failed" }
                    rect.m x=(x + 1.0) width="3.5" y=(100.0 - h(b.messages)) height=(h(b.messages)) {}
                    rect.s x=(x + 5.0) width="4" y=(100.0 - h(b.delivered)) height=(h(b.delivered)) {}
                    rect.f x=(x + 5.0) width="4" y=(100.0 - h(b.delivered) - h(b.failed)) height=(h(b.failed)) {}
                }
            }
        }
        p.legend { span.lm { "■ messages " (m) } span.ok { "■ delivered " (d) } span.bad { "■ failed " (f) } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_line_up_with_now_and_sum_into_the_label() {
        let r = Range::named(Some("day"));
        assert_eq!(r.buckets(), 48);
        let now = 1_000_000_000_000;
        let since = r.since(now);
        assert!(since <= now - r.span_ms + r.bucket_ms && (now - since) / r.bucket_ms == 47);
        assert_eq!(Range::named(Some("nonsense")), RANGES[0]);
        let rows = [ActivityBucket {
            index: 47,
            messages: 3,
            delivered: 2,
            failed: 1,
        }];
        let svg = chart(r, &rows).into_string();
        assert!(
            svg.contains("3 messages accepted, 2 attempts delivered, 1 failed"),
            "{svg}"
        );
        assert!(!svg.contains("style="), "no inline styles under the CSP");
    }
}
