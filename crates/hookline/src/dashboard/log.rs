//! The delivery log, a message and one attempt, and Resend.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};

use super::auth::{Submitted, Viewer};
use super::view::{
    PageError, PageResult, confirm_form, page, pretty, see_other, status, time_text,
};
use super::{Dash, call};
use crate::api::attempt as at_api;
use crate::api::caps::Cap;
use crate::api::extract::Params;
use crate::api::types::MessageAttemptOut;

/// Says that the body below is the base64 of bytes that are not text, and how many.
fn binary_note(base64: &str) -> Markup {
    let bytes = base64.len() / 4 * 3 - base64.bytes().rev().take_while(|&b| b == b'=').count();
    html! { p.muted { "The provider sent " (bytes) " bytes that are not text; they are shown in base64 and delivered as they came." } }
}

/// Attempts as rows, newest first, each linking to its detail.
pub(super) fn attempt_table(app_id: &str, rows: &[MessageAttemptOut]) -> Markup {
    html! {
        table {
            thead { tr { th { "Time" } th { "Status" } th { "Response" } th { "Latency" } th { "Message" } th { "Endpoint" } } }
            tbody {
                @for a in rows {
                    tr {
                        td { a href={ "/app/" (app_id) "/msg/" (a.msg_id) "/attempt/" (a.id) } { (time_text(&a.timestamp)) } }
                        td { (status(a.status)) }
                        td { @if a.response_status_code > 0 { code { (a.response_status_code) } } @else { span.muted { "no response" } } }
                        td { (a.response_duration_ms) " ms" }
                        td { a href={ "/app/" (app_id) "/msg/" (a.msg_id) } { code { (a.msg_id) } } }
                        td { a href={ "/app/" (app_id) "/endpoint/" (a.endpoint_id) } { (a.url) } }
                    }
                }
            }
        }
    }
}

/// A `datetime-local` value (the form says UTC) as RFC 3339, or empty.
fn utc(v: &str) -> String {
    match v.len() {
        0 => String::new(),
        16 => format!("{v}:00Z"),
        _ => format!("{v}Z"),
    }
}

/// `GET /app/{app}/log`: the application's attempts, filtered, newest first, on the API's cursors.
pub(super) async fn delivery_log(
    State(dash): State<Dash>,
    viewer: Viewer,
    Path(app_id): Path<String>,
    params: Params,
) -> PageResult {
    let api = || State(dash.api.clone());
    let app = crate::api::app::find(&dash.api, &viewer.auth, &app_id).await?;
    let Json(endpoints) = crate::api::endpoint::list_endpoints(
        api(),
        viewer.auth.clone(),
        Path(app.id.clone()),
        call::params(&[("limit", "250")]),
    )
    .await?;
    let q = |k: &str| params.str(k).unwrap_or_default().to_owned();
    let (endpoint, st, event_type, before, after, iterator) = (
        q("endpoint"),
        q("status"),
        q("event_type"),
        q("before"),
        q("after"),
        q("iterator"),
    );
    let Json(list) = at_api::list_attempts_by_app(
        api(),
        viewer.auth.clone(),
        Path(app.id.clone()),
        call::params(&[
            ("limit", "50"),
            ("endpoint_id", &endpoint),
            ("status", &st),
            ("event_types", &event_type),
            ("before", &utc(&before)),
            ("after", &utc(&after)),
            ("iterator", &iterator),
        ]),
    )
    .await?;
    let here = format!(
        "/app/{}/log?endpoint={}&status={}&event_type={}&before={}&after={}&",
        app.id,
        call::enc(&endpoint),
        call::enc(&st),
        call::enc(&event_type),
        call::enc(&before),
        call::enc(&after)
    );
    let body = html! {
        p { a href={ "/app/" (app.id) } { "← " (app.name) } }
        h1 { "Delivery log" }
        form.inline method="get" action={ "/app/" (app.id) "/log" } {
            div { label for="f-endpoint" { "Endpoint" } select #f-endpoint name="endpoint" {
                option value="" { "all" }
                @for e in &endpoints.data { option value=(e.id) selected[endpoint == e.id] { (e.url) } } } }
            div { label for="f-status" { "Status" } select #f-status name="status" {
                @for (v, l) in [("", "any"), ("0", "success"), ("2", "failed"), ("1", "pending"), ("3", "sending")] { option value=(v) selected[st == v] { (l) } } } }
            div { label for="f-type" { "Event type" } input #f-type type="text" name="event_type" value=(event_type); }
            div { label for="f-after" { "After (UTC)" } input #f-after type="datetime-local" name="after" value=(after); }
            div { label for="f-before" { "Before (UTC)" } input #f-before type="datetime-local" name="before" value=(before); }
            button type="submit" { "Filter" }
        }
        @if list.data.is_empty() && iterator.is_empty() {
            section.empty {
                @if endpoints.data.is_empty() { p { "No endpoints yet, so no attempts: add one on the " a href={ "/app/" (app.id) } { "application's page" } "." } }
                @else { p { "No attempts match." } }
            }
        } @else {
            section.scroll { (attempt_table(&app.id, &list.data)) }
            (call::pager(&here, &list.prev_iterator, &list.iterator, list.done, !iterator.is_empty()))
        }
    };
    Ok(page(&dash, Some(&viewer), "Delivery log", body))
}

/// `GET /app/{app}/msg/{msg}`: the payload, and its delivery to each endpoint with attempts.
pub(super) async fn message(
    State(dash): State<Dash>,
    viewer: Viewer,
    Path((app_id, msg_id)): Path<(String, String)>,
) -> PageResult {
    let api = || State(dash.api.clone());
    let (app, msg) = crate::api::message::find(&dash.api, &viewer.auth, &app_id, &msg_id).await?;
    let ids = || Path((app.id.clone(), msg.id.clone()));
    let Json(dests) = at_api::list_attempted_destinations(
        api(),
        viewer.auth.clone(),
        ids(),
        call::params(&[("limit", "250")]),
    )
    .await?;
    let Json(attempts) = at_api::list_attempts_by_msg(
        api(),
        viewer.auth.clone(),
        ids(),
        call::params(&[("limit", "250")]),
    )
    .await?;
    let can_resend = viewer.auth.caps.has(Cap::CreateAttempts);
    let body = html! {
        p { a href={ "/app/" (app.id) } { "← " (app.name) } }
        h1 { "Message " code { (msg.id) } }
        section { dl.facts {
            dt { "Event type" } dd { code { (msg.event_type) } }
            dt { "Event id" } dd { @if let Some(e) = &msg.event_id { code { (e) } } @else { span.muted { "none" } } }
            dt { "Channels" } dd { @match &msg.channels { Some(c) => { (c.join(", ")) }, None => { span.muted { "none" } } } }
            dt { "Accepted" } dd { (super::view::time(msg.created_at)) }
        } }
        h2 { "Payload" }
        @match &msg.payload {
            Some(p) if msg.is_binary() => { (binary_note(p)) pre aria-label="Payload, raw" { (p) } }
            Some(p) => {
                pre aria-label="Payload, pretty-printed" { (pretty(p)) }
                details { summary { "Raw" } pre aria-label="Payload, raw" { (p) } }
            }
            None => { p.muted { "The payload was removed (expunged or past its retention)." } }
        }
        h2 { "Deliveries" }
        @if dests.data.is_empty() { section.empty { p { "No endpoint matched this message's event type and channels when it was sent." } } }
        @for d in &dests.data {
            section {
                h3 { a href={ "/app/" (app.id) "/endpoint/" (d.id) } { (d.url) } " " (status(d.status)) }
                @if let Some(n) = &d.next_attempt { p { "Next attempt " (time_text(n)) } }
                ol {
                    @for a in attempts.data.iter().filter(|a| a.endpoint_id == d.id) {
                        li { a href={ "/app/" (app.id) "/msg/" (msg.id) "/attempt/" (a.id) } { (time_text(&a.timestamp)) } " " (status(a.status))
                            " " @if a.response_status_code > 0 { code { (a.response_status_code) } } " " (a.response_duration_ms) " ms"
                            @if let Some(r) = &a.failure_reason { " · " (r) } }
                    }
                }
                @if can_resend { (confirm_form(&viewer, &format!("/app/{}/msg/{}/resend/{}", app.id, msg.id, d.id), "Resend", "Send this message to this endpoint again?")) }
            }
        }
    };
    Ok(page(&dash, Some(&viewer), "Message", body))
}

/// `GET /app/{app}/msg/{msg}/attempt/{att}`: what was sent and what came back.
pub(super) async fn attempt(
    State(dash): State<Dash>,
    viewer: Viewer,
    Path((app_id, msg_id, att_id)): Path<(String, String, String)>,
) -> PageResult {
    let api = || State(dash.api.clone());
    let (app, msg, a) = at_api::find(&dash.api, &viewer.auth, &app_id, &msg_id, &att_id).await?;
    let sent_headers = super::detail::request_headers(a.request_headers.as_deref());
    let a = at_api::out(a);
    let Json(dests) = at_api::list_attempted_destinations(
        api(),
        viewer.auth.clone(),
        Path((app.id.clone(), msg.id.clone())),
        call::params(&[("limit", "250")]),
    )
    .await?;
    let next = dests
        .data
        .iter()
        .find(|d| d.id == a.endpoint_id)
        .and_then(|d| d.next_attempt.clone());
    let body = html! {
        p { a href={ "/app/" (app.id) "/msg/" (msg.id) } { "← Message " code { (msg.id) } } }
        h1 { "Attempt " code { (a.id) } }
        section { dl.facts {
            dt { "Status" } dd { (status(a.status)) }
            dt { "When" } dd { (time_text(&a.timestamp)) }
            dt { "Trigger" } dd { @if a.trigger_type == 1 { "manual (resend, recover or test)" } @else { "scheduled" } }
            dt { "Latency" } dd { (a.response_duration_ms) " ms" }
            @if let Some(r) = &a.failure_reason { dt { "Why it failed" } dd.error { (r) } }
            dt { "Next retry" } dd { @match &next { Some(n) => { (time_text(n)) }, None => { span.muted { "none scheduled" } } } }
        } }
        h2 { "Request" }
        section {
            p { code { "POST " (a.url) } }
            (sent_headers)
            @match &msg.payload {
                Some(p) => { @if msg.is_binary() { (binary_note(p)) } pre aria-label="Request body" { (p) } },
                None => { p.muted { "The payload was removed." } }
            }
        }
        h2 { "Response" }
        section {
            p { @if a.response_status_code > 0 { "HTTP " code { (a.response_status_code) } } @else { span.muted { "no response" } } }
            @if !a.response.is_empty() { pre aria-label="Response body" { (a.response) } }
        }
        @if viewer.auth.caps.has(Cap::CreateAttempts) {
            (confirm_form(&viewer, &format!("/app/{}/msg/{}/resend/{}", app.id, msg.id, a.endpoint_id), "Resend", "Send this message to this endpoint again?"))
        }
    };
    Ok(page(&dash, Some(&viewer), "Attempt", body))
}

/// `POST /app/{app}/msg/{msg}/resend/{ep}`.
pub(super) async fn resend(
    State(dash): State<Dash>,
    Path((app_id, msg_id, ep_id)): Path<(String, String, String)>,
    form: Submitted,
) -> PageResult {
    let (status, _) = at_api::resend(
        State(dash.api.clone()),
        form.viewer.auth.clone(),
        Path((app_id.clone(), msg_id.clone(), ep_id)),
    )
    .await?;
    if status != StatusCode::ACCEPTED {
        return Err(PageError::new(status, "resend was not accepted"));
    }
    Ok(see_other(&format!("/app/{app_id}/msg/{msg_id}")))
}
