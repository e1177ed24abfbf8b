//! The endpoint page and what can be done there, each action through the API's handler.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use maud::html;
use serde_json::{Value, json};

use super::auth::{Submitted, Viewer};
use super::view::{PageError, PageResult, confirm_form, csrf_field, page, see_other, time_text};
use super::{Dash, call};
use crate::api::caps::Cap;
use crate::api::endpoint as ep_api;
use crate::api::endpoint_ops as ops;
use crate::api::extract::Params;

type Ids = Path<(String, String)>;

/// How many of the endpoint's latest attempts its success rate is read from.
const RECENT: usize = 1000;
/// Past this many pending deliveries the page says "10000+".
const QUEUE_CAP: usize = 10_000;
const QUEUE_CAP_I: i64 = 10_000;

/// `GET /app/{app}/endpoint/{ep}`.
async fn render(
    dash: &Dash,
    viewer: &Viewer,
    app_id: String,
    ep_id: String,
    params: &Params,
) -> PageResult {
    let api = || State(dash.api.clone());
    let auth = || viewer.auth.clone();
    let ids = || Path((app_id.clone(), ep_id.clone()));
    let Json(ep) = ep_api::get_endpoint(api(), auth(), ids()).await?;
    // Bounded counts (the API's `/stats` counts every delivery the endpoint ever had): the
    // endpoint was found through the API just above, in the viewer's scope.
    let health = dash
        .api
        .store
        .endpoint_health(&ep.id, RECENT, QUEUE_CAP)
        .await
        .map_err(crate::api::error::ApiError::from)?;
    // Its circuit and its run of failures.
    let gate = super::detail::health(dash, &ep.id).await?;
    let Json(attempts) = crate::api::attempt::list_attempts_by_endpoint(
        api(),
        auth(),
        ids(),
        call::params(&[("limit", "10")]),
    )
    .await?;
    let Json(types) =
        crate::api::event_type::list_event_types(api(), auth(), call::params(&[("limit", "250")]))
            .await?;
    let headers = if viewer.auth.caps.has(Cap::ManageEndpoint) {
        Some(ops::get_headers(api(), auth(), ids()).await?.0)
    } else {
        None
    };
    let caps = viewer.auth.caps;
    let base = format!("/app/{app_id}/endpoint/{}", ep.id);
    let subscribed = |name: &str| {
        ep.event_types
            .as_ref()
            .is_some_and(|t| t.iter().any(|x| x == name))
    };
    let recent = health.delivered + health.failed;
    let queued = health.pending + health.sending;
    let body = html! {
        p { a href={ "/app/" (app_id) } { "← Application" } }
        h1 { "Endpoint " code { (ep.id) } }
        @if let Some(done) = params.str("done").and_then(done_text) { p.ok role="status" { (done) } }
        section {
            dl.facts {
                dt { "URL" } dd { code { (ep.url) } }
                dt { "Description" } dd { (ep.description) }
                dt { "Status" } dd { @if ep.disabled { (super::detail::disabled(gate.as_ref().and_then(|(h, _)| h.disabled_reason.as_deref()))) } @else { span.badge.ok { "enabled" } } }
                @if let Some((h, c)) = &gate {
                    dt { "Circuit" } dd { (super::detail::circuit(*c)) }
                    @if let Some(t) = h.failing_since { dt { "Failing since" } dd { (super::view::time(t)) } }
                }
                dt { "Last " (recent) " attempts" } dd { (health.delivered) " delivered, " (health.failed) " failed"
                    @if recent > 0 { " (" (health.delivered * 100 / recent) "% success)" } }
                dt { "Queued" } dd { (queued) @if health.pending >= QUEUE_CAP_I || health.sending >= QUEUE_CAP_I { "+" } " pending" }
                dt { "Signature scheme" } dd { code { (ep.signature_scheme) } }
                dt { "Throttle" } dd { @match ep.throttle_rate { Some(r) => { (r) " per second" }, None => { "none" } } }
                dt { "Events" } dd { @match &ep.event_types { Some(t) => { (t.join(", ")) }, None => { "all event types" } } }
            }
        }
        @if caps.has(Cap::ViewEndpointSecret) {
            section {
                h2 { "Signing secret" }
                div.secret {
                    code #secret hidden data-src={ (base) "/secret" } { "" }
                    button.secondary type="button" data-reveal="secret" aria-pressed="false" aria-controls="secret" { "Reveal" }
                    button.secondary type="button" data-copy="secret" { "Copy" }
                }
                @if caps.has(Cap::ManageEndpointSecret) {
                    p.hint { "Rotating makes a new secret sign every delivery; the old one keeps signing too for 24 hours, so receivers can switch over without failures." }
                    (confirm_form(viewer, &format!("{base}/rotate"), "Rotate secret", "Rotate the signing secret? The old one stays valid for 24 hours."))
                }
            }
        }
        h2 { "Latest attempts" }
        // After a test event the script refreshes this part for a while, so its attempt appears.
        div #attempts data-live[params.str("done") == Some("test")] {
            @if attempts.data.is_empty() { section.empty { p { "No attempts yet." @if caps.has(Cap::CreateAttempts) { " Send a test event below." } } } }
            @else { section.scroll { (super::log::attempt_table(&app_id, &attempts.data)) } }
        }
        p { a href={ "/app/" (app_id) "/log?endpoint=" (ep.id) } { "All attempts to this endpoint" } }
        @if caps.has(Cap::CreateAttempts) {
            section {
                h2 { "Send a test event" }
                form.inline method="post" action={ (base) "/test" } {
                    (csrf_field(viewer))
                    div { label for="test-type" { "Event type" }
                        select #test-type name="eventType" required {
                            @for t in &types.data { option value=(t.name) { (t.name) } }
                        } }
                    button type="submit" { "Send test event" }
                }
                @if types.data.is_empty() { p.hint { "Create an event type first (see Event types)." } }
                h2 { "Recover failed messages" }
                form.inline method="post" action={ (base) "/recover" } {
                    (csrf_field(viewer))
                    div { label for="since" { "Since (UTC)" } input #since type="datetime-local" name="since" required; }
                    button type="submit" { "Recover" }
                }
            }
        }
        @if caps.has(Cap::ManageEndpoint) {
            section {
                h2 { "Settings" }
                form method="post" action={ (base) "/edit" } {
                    (csrf_field(viewer))
                    label for="url" { "URL" } input #url type="url" name="url" value=(ep.url) required;
                    label for="description" { "Description" } input #description type="text" name="description" value=(ep.description);
                    label for="throttle" { "Throttle rate (deliveries per second, empty for none)" }
                    input #throttle type="number" name="throttleRate" min="1" max="65535" value=[ep.throttle_rate];
                    button type="submit" { "Save" }
                }
                h2 { "Event subscription" }
                form method="post" action={ (base) "/events" } {
                    (csrf_field(viewer))
                    fieldset { legend { "Deliver these event types (none ticked: every event type)" }
                        @for t in &types.data {
                            label.check { input type="checkbox" name="eventType" value=(t.name) checked[subscribed(&t.name)]; (t.name) }
                        }
                    }
                    button type="submit" { "Save subscription" }
                }
                h2 { "Custom headers" }
                form method="post" action={ (base) "/headers" } {
                    (csrf_field(viewer))
                    label for="headers" { "One per line, as Name: value" }
                    textarea #headers name="headers" {
                        @if let Some(h) = &headers { @for (k, v) in &h.headers { (k) ": " (v) "\n" } }
                    }
                    button type="submit" { "Save headers" }
                }
                h2 { "Enable, disable, delete" }
                div.actions {
                    @if ep.disabled {
                        form method="post" action={ (base) "/enable" } { (csrf_field(viewer)) button type="submit" { "Enable" } }
                    } @else {
                        (confirm_form(viewer, &format!("{base}/disable"), "Disable", "Disable this endpoint? Nothing is delivered to it until it is enabled again."))
                    }
                    (confirm_form(viewer, &format!("{base}/delete"), "Delete endpoint", "Delete this endpoint? This cannot be undone."))
                }
            }
        }
        p.hint { "Created " (time_text(&ep.created_at)) ", updated " (time_text(&ep.updated_at)) }
    };
    Ok(page(dash, Some(viewer), "Endpoint", body))
}

pub(super) async fn endpoint_page(
    State(dash): State<Dash>,
    viewer: Viewer,
    Path((app_id, ep_id)): Ids,
    params: Params,
) -> PageResult {
    render(&dash, &viewer, app_id, ep_id, &params).await
}

/// `GET .../secret`: the secret as text, for the reveal button (no-store; same-origin only,
/// as no CORS header lets another site read it).
pub(super) async fn secret(State(dash): State<Dash>, viewer: Viewer, ids: Ids) -> PageResult {
    let Json(s) = ops::get_secret(State(dash.api.clone()), viewer.auth.clone(), ids).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], s.key).into_response())
}

/// `POST /app/{app}/endpoint`: a new endpoint, then its page.
pub(super) async fn create(
    State(dash): State<Dash>,
    Path(app_id): Path<String>,
    form: Submitted,
) -> PageResult {
    let input = json!({ "url": form.get("url").unwrap_or(""), "description": form.get("description").unwrap_or("") });
    let (_, Json(ep)) = ep_api::create_endpoint(
        State(dash.api.clone()),
        form.viewer.auth.clone(),
        Path(app_id.clone()),
        call::body(&input)?,
    )
    .await?;
    Ok(see_other(&format!("/app/{app_id}/endpoint/{}", ep.id)))
}

/// `POST /app/{app}/endpoint/{ep}/{action}`.
pub(super) async fn act(
    State(dash): State<Dash>,
    Path((app_id, ep_id, action)): Path<(String, String, String)>,
    form: Submitted,
) -> PageResult {
    let api = || State(dash.api.clone());
    let auth = || form.viewer.auth.clone();
    let ids = || Path((app_id.clone(), ep_id.clone()));
    match action.as_str() {
        "edit" => {
            let throttle = match form
                .get("throttleRate")
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                Some(t) => Value::from(t.parse::<u64>().map_err(|_| {
                    PageError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "throttle rate: expected a whole number",
                    )
                })?),
                None => Value::Null,
            };
            let input = json!({ "url": form.get("url").unwrap_or(""), "description": form.get("description").unwrap_or(""), "throttleRate": throttle });
            let _ = ep_api::patch_endpoint(api(), auth(), ids(), call::body(&input)?).await?;
        }
        "events" => {
            let types = form.all("eventType");
            let input =
                json!({ "eventTypes": if types.is_empty() { Value::Null } else { json!(types) } });
            let _ = ep_api::patch_endpoint(api(), auth(), ids(), call::body(&input)?).await?;
        }
        "headers" => {
            let mut headers = serde_json::Map::new();
            for line in form
                .get("headers")
                .unwrap_or("")
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                let (k, v) = line.split_once(':').ok_or_else(|| {
                    PageError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("header line without a colon: {line:?}"),
                    )
                })?;
                headers.insert(k.trim().to_owned(), Value::from(v.trim()));
            }
            let _ = ops::update_headers(
                api(),
                auth(),
                ids(),
                call::body(&json!({ "headers": headers }))?,
            )
            .await?;
        }
        "rotate" => {
            let _ = ops::rotate_secret(api(), auth(), ids(), call::body(&json!({}))?).await?;
        }
        "enable" | "disable" => {
            let _ = ep_api::patch_endpoint(
                api(),
                auth(),
                ids(),
                call::body(&json!({ "disabled": action == "disable" }))?,
            )
            .await?;
        }
        "test" => {
            let input = json!({ "eventType": form.get("eventType").unwrap_or("") });
            let _ = ops::send_example(api(), auth(), ids(), call::body(&input)?).await?;
        }
        "recover" => {
            // `datetime-local` has no zone: the label says UTC.
            let since = form.get("since").unwrap_or("");
            let since = if since.len() == 16 {
                format!("{since}:00Z")
            } else {
                format!("{since}Z")
            };
            let _ = ops::recover(
                api(),
                auth(),
                ids(),
                call::body(&json!({ "since": since }))?,
            )
            .await?;
        }
        "delete" => {
            ep_api::delete_endpoint(api(), auth(), ids()).await?;
            return Ok(see_other(&format!("/app/{app_id}")));
        }
        _ => return Err(PageError::new(StatusCode::NOT_FOUND, "no such action")),
    }
    Ok(see_other(&format!(
        "/app/{app_id}/endpoint/{ep_id}?done={action}"
    )))
}

/// What the page says after an action (by name: a link cannot make the page say anything else).
fn done_text(action: &str) -> Option<&'static str> {
    Some(match action {
        "edit" => "Settings saved.",
        "events" => "Subscription saved.",
        "headers" => "Headers saved.",
        "rotate" => "Secret rotated: the previous one signs too for 24 hours.",
        "enable" => "Endpoint enabled.",
        "disable" => "Endpoint disabled.",
        "test" => "Test event sent: its attempt appears below.",
        "recover" => "Failed messages since then are scheduled again.",
        _ => return None,
    })
}
