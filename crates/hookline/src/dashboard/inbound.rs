//! The inbound gateway's pages: the sources, and one source with its settings and its
//! request log. Operators only: sources are the admin token's (`api::source` refuses an
//! application's token), so an app-portal session gets 404 here, as if they did not exist.
//!
//! Nothing here shows a secret: `SourceOut` has none, and the keys stay with
//! `GET /api/v1/source/{id}/secret`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};

use super::auth::Viewer;
use super::view::{PageError, PageResult, page, pretty, time_text};
use super::{Dash, call};
use crate::api::error::ApiError;
use crate::api::extract::Params;
use crate::api::source as src_api;
use crate::api::source_request as req_api;
use crate::api::source_types::{SourceOut, SourceRequestOut};
use crate::gateway::model::RequestCounts;

/// The period the counts cover, and the most requests they read per source: the cost of a
/// page view stays bounded however busy a source is.
const COUNT_PERIOD_MS: i64 = 24 * 3600 * 1000;
const COUNT_CAP: usize = 1000;

/// Refuses an app-portal session with 404: what a source would be to it. (An `Option`
/// rather than a `Result<(), _>`: the error is a whole page.)
pub(super) fn portal_refused(viewer: &Viewer) -> Option<PageError> {
    viewer
        .auth
        .app_id
        .is_some()
        .then(|| PageError::new(StatusCode::NOT_FOUND, "page not found"))
}

/// The name of the source's application, `None` when it no longer exists.
pub(super) async fn app_name(
    dash: &Dash,
    viewer: &Viewer,
    app_id: &str,
) -> Result<Option<String>, PageError> {
    match crate::api::app::find(&dash.api, &viewer.auth, app_id).await {
        Ok(app) => Ok(Some(app.name)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn counts(dash: &Dash, source_id: &str) -> Result<RequestCounts, PageError> {
    let since = crate::now_millis() - COUNT_PERIOD_MS;
    Ok(dash
        .api
        .store
        .count_requests(source_id, since, COUNT_CAP)
        .await
        .map_err(ApiError::from)?)
}

/// The last day's decisions, each linking to the log filtered by it.
fn counts_view(source_id: &str, c: &RequestCounts) -> Markup {
    let total = c.accepted + c.duplicate + c.rejected;
    html! {
        @if total == 0 { span.muted { "none in the last 24 hours" } }
        @else {
            @for (n, word, class) in [(c.accepted, "accepted", "ok"), (c.duplicate, "duplicate", "wait"), (c.rejected, "rejected", "bad")] {
                a class={ "count " (class) } href={ "/source/" (source_id) "?status=" (word) } { (n) " " (word) } " "
            }
            @if c.capped { span.muted { "(of the latest " (COUNT_CAP) ")" } }
        }
    }
}

/// A link to the source's application, by name when it still exists.
pub(super) fn app_link(app_id: &str, name: Option<&str>) -> Markup {
    html! {
        @match name {
            Some(n) => { a href={ "/app/" (app_id) } { (n) } }
            None => { code { (app_id) } " " span.muted { "(deleted)" } }
        }
    }
}

/// The ingest URL with a copy button (the script copies the element's text).
fn ingest_url(s: &SourceOut) -> Markup {
    let id = format!("ingest-{}", s.id);
    html! {
        span.secret {
            code id=(id) data-loaded="1" { (s.ingest_url) }
            button.secondary type="button" data-copy=(id) aria-label={ "Copy the ingest URL of " (s.name) } { "Copy" }
        }
    }
}

/// A decision as a word, styled by outcome.
pub(super) fn decision(status: &str) -> Markup {
    let class = match status {
        "accepted" => "ok",
        "duplicate" => "wait",
        _ => "bad",
    };
    html! { span class={ "badge " (class) } { (status) } }
}

/// `GET /sources`.
pub(super) async fn sources(
    State(dash): State<Dash>,
    viewer: Viewer,
    params: Params,
) -> PageResult {
    if let Some(e) = portal_refused(&viewer) {
        return Err(e);
    }
    let iterator = params.str("iterator").unwrap_or_default().to_owned();
    let Json(list) = src_api::list_sources(
        State(dash.api.clone()),
        viewer.auth.clone(),
        call::params(&[("limit", "50"), ("iterator", &iterator)]),
    )
    .await?;
    let mut rows = Vec::with_capacity(list.data.len());
    for s in &list.data {
        let name = app_name(&dash, &viewer, &s.app_id).await?;
        rows.push((s, name, counts(&dash, &s.id).await?));
    }
    let base = &dash.api.public_url;
    let body = html! {
        h1 { "Inbound sources" }
        p.hint { "A source receives one provider's webhooks at its ingest URL, verifies them and forwards each event to the endpoints of its application." }
        @if list.data.is_empty() && iterator.is_empty() {
            section.empty {
                p { "No sources yet. Create one for a provider (here Stripe, with its signing secret):" }
                pre { "curl -X POST " (base) "/api/v1/source -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'content-type: application/json' \\\n  -d '{\"name\": \"Stripe\", \"uid\": \"stripe\", \"scheme\": \"stripe\", \"secrets\": [\"whsec_...\"]}'" }
                p { "Then give the provider its ingest URL, " code { (base) "/in/stripe" } ", and add endpoints to the application it forwards through (created with the source's uid)." }
            }
        } @else {
            section.scroll {
                table {
                    thead { tr { th { "Source" } th { "Scheme" } th { "Ingest URL" } th { "Application" } th { "Last 24 hours" } } }
                    tbody {
                        @for (s, app, c) in &rows {
                            tr {
                                td { a href={ "/source/" (s.id) } { (s.name) } br; small.muted { code { (s.uid.as_deref().unwrap_or(&s.id)) } } }
                                td { code { (s.scheme) } }
                                td { (ingest_url(s)) }
                                td { (app_link(&s.app_id, app.as_deref())) }
                                td { (counts_view(&s.id, c)) }
                            }
                        }
                    }
                }
            }
            (call::pager("/sources?", &list.prev_iterator, &list.iterator, list.done, !iterator.is_empty()))
        }
    };
    Ok(page(&dash, Some(&viewer), "Inbound", body))
}

/// A `datetime-local` value (the form says UTC) as RFC 3339, or empty (as the delivery
/// log's filter reads it).
fn utc_input(v: &str) -> String {
    match v.len() {
        0 => String::new(),
        16 => format!("{v}:00Z"),
        _ => format!("{v}Z"),
    }
}

/// Requests as rows, newest first, each linking to its page.
fn request_table(source_id: &str, app_id: &str, rows: &[SourceRequestOut]) -> Markup {
    html! {
        table {
            thead { tr { th { "Received" } th { "Decision" } th { "Event type" } th { "Event id" } th { "Reason" } th { "Message" } } }
            tbody {
                @for r in rows {
                    tr {
                        td { a href={ "/source/" (source_id) "/request/" (r.id) } { (time_text(&r.received_at)) } }
                        td { (decision(&r.status)) }
                        td { @if let Some(t) = &r.event_type { code { (t) } } }
                        td { @if let Some(e) = &r.event_id { code { (e) } } }
                        td { @if let Some(why) = &r.reason { (why) } }
                        td { @if let Some(m) = &r.message_id { a href={ "/app/" (app_id) "/msg/" (m) } { code { (m) } } } }
                    }
                }
            }
        }
    }
}

/// `GET /source/{src}`: the settings and the request log, filtered, on the API's cursors.
pub(super) async fn source(
    State(dash): State<Dash>,
    viewer: Viewer,
    Path(src_id): Path<String>,
    params: Params,
) -> PageResult {
    if let Some(e) = portal_refused(&viewer) {
        return Err(e);
    }
    let api = || State(dash.api.clone());
    let Json(s) = src_api::get_source(api(), viewer.auth.clone(), Path(src_id)).await?;
    let q = |k: &str| params.str(k).unwrap_or_default().to_owned();
    let (st, after, before, iterator) = (q("status"), q("after"), q("before"), q("iterator"));
    let Json(list) = req_api::list_requests(
        api(),
        viewer.auth.clone(),
        Path(s.id.clone()),
        call::params(&[
            ("limit", "50"),
            ("status", &st),
            ("after", &utc_input(&after)),
            ("before", &utc_input(&before)),
            ("iterator", &iterator),
        ]),
    )
    .await?;
    let app = app_name(&dash, &viewer, &s.app_id).await?;
    let c = counts(&dash, &s.id).await?;
    let here = format!(
        "/source/{}?status={}&after={}&before={}&",
        s.id,
        call::enc(&st),
        call::enc(&after),
        call::enc(&before)
    );
    let filtered = !(st.is_empty() && after.is_empty() && before.is_empty());
    let body = html! {
        p { a href="/sources" { "← Inbound sources" } }
        h1 { (s.name) " " small.muted { code { (s.uid.as_deref().unwrap_or(&s.id)) } } }
        section { dl.facts {
            dt { "Ingest URL" } dd { (ingest_url(&s)) }
            dt { "Application" } dd { (app_link(&s.app_id, app.as_deref())) " " span.hint { "(its endpoints receive the events)" } }
            dt { "Scheme" } dd { code { (s.scheme) } }
            dt { "Handshake" } dd { @match &s.handshake { Some(h) => { code { (h) } }, None => { span.muted { "none" } } } }
            dt { "Timestamp tolerance" } dd { @match s.tolerance_seconds { Some(t) => { (t) " seconds either way" }, None => { "the scheme's" } } }
            dt { "De-duplication window" } dd { (window(s.dedupe_window_seconds)) }
            dt { "Last 24 hours" } dd { (counts_view(&s.id, &c)) }
            dt { "Id" } dd { code { (s.id) } }
            dt { "Created" } dd { (time_text(&s.created_at)) ", updated " (time_text(&s.updated_at)) }
        } }
        @if let Some(d) = &s.scheme_definition {
            details { summary { "Custom scheme definition" } pre { (pretty(&d.to_string())) } }
        }
        p.hint { "The source's keys are not shown here: " code { "GET /api/v1/source/" (s.id) "/secret" } " with the admin token." }
        h2 { "Requests" }
        form.inline method="get" action={ "/source/" (s.id) } {
            div { label for="f-status" { "Decision" } select #f-status name="status" {
                @for (v, l) in [("", "any"), ("accepted", "accepted"), ("duplicate", "duplicate"), ("rejected", "rejected")] { option value=(v) selected[st == v] { (l) } } } }
            div { label for="f-after" { "After (UTC)" } input #f-after type="datetime-local" name="after" value=(after); }
            div { label for="f-before" { "Before (UTC)" } input #f-before type="datetime-local" name="before" value=(before); }
            button type="submit" { "Filter" }
        }
        @if list.data.is_empty() && iterator.is_empty() {
            section.empty {
                @if filtered { p { "No requests match." } }
                @else {
                    p { "Nothing received yet. The provider posts to " code { (s.ingest_url) } "; rejected requests are kept an hour, accepted ones 90 days." }
                }
            }
        } @else {
            section.scroll { (request_table(&s.id, &s.app_id, &list.data)) }
            (call::pager(&here, &list.prev_iterator, &list.iterator, list.done, !iterator.is_empty()))
        }
    };
    Ok(page(&dash, Some(&viewer), &s.name, body))
}

/// A de-duplication window in words.
fn window(secs: u32) -> String {
    let (n, unit) = match secs {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3600 && s % 3600 == 0 => (s / 3600, "hour"),
        s => return format!("{s} seconds"),
    };
    format!(
        "{n} {unit}{} ({secs} seconds)",
        if n == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_and_filter_times_read_as_people_write_them() {
        assert_eq!(super::window(604_800), "7 days (604800 seconds)");
        assert_eq!(super::window(7200), "2 hours (7200 seconds)");
        assert_eq!(super::window(90), "90 seconds");
        assert_eq!(super::window(86_400), "1 day (86400 seconds)");
        assert_eq!(super::utc_input("2026-12-02T01:30"), "2026-12-02T01:30:00Z");
        assert_eq!(super::utc_input(""), "");
    }
}
