//! One application: its endpoints (and a form for a new one) and its latest messages.

use axum::Json;
use axum::extract::{Path, State};
use maud::html;

use super::auth::Viewer;
use super::view::{PageResult, csrf_field, page, time_text};
use super::{Dash, call};
use crate::api::caps::Cap;
use crate::api::extract::Params;

/// `GET /app/{app}`.
pub(super) async fn app_page(
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
    let iterator = params.str("iterator").unwrap_or_default().to_owned();
    let Json(messages) = crate::api::message::list_messages(
        api(),
        viewer.auth.clone(),
        Path(app.id.clone()),
        call::params(&[
            ("limit", "20"),
            ("iterator", &iterator),
            ("with_content", "false"),
        ]),
    )
    .await?;
    let base = &dash.api.public_url;
    let manage = viewer.auth.caps.has(Cap::ManageEndpoint);
    let body = html! {
        h1 { (app.name) " " small.muted { code { (app.id) } } }
        p { a href={ "/app/" (app.id) "/log" } { "Delivery log" } }
        h2 { "Endpoints" }
        @if endpoints.data.is_empty() {
            section.empty {
                p { "No endpoints yet: messages to this application go nowhere until one is added." }
                @if manage { p { "Add one below, or with the API:" } }
                pre { "curl -X POST " (base) "/api/v1/app/" (app.id) "/endpoint -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'content-type: application/json' -d '{\"url\": \"https://example.com/webhook\"}'" }
            }
        } @else {
            section.scroll {
                table {
                    thead { tr { th { "URL" } th { "Status" } th { "Events" } th { "Description" } } }
                    tbody {
                        @for ep in &endpoints.data {
                            tr {
                                td { a href={ "/app/" (app.id) "/endpoint/" (ep.id) } { (ep.url) } }
                                td { @if ep.disabled { span.badge.bad { "disabled" } } @else { span.badge.ok { "enabled" } } }
                                td { @match &ep.event_types { Some(t) => { (t.join(", ")) }, None => { span.muted { "all" } } } }
                                td { (ep.description) }
                            }
                        }
                    }
                }
            }
        }
        @if manage {
            details {
                summary { "Add an endpoint" }
                form method="post" action={ "/app/" (app.id) "/endpoint" } {
                    (csrf_field(&viewer))
                    label for="new-url" { "URL" }
                    input #new-url type="url" name="url" required placeholder="https://example.com/webhook";
                    label for="new-desc" { "Description" }
                    input #new-desc type="text" name="description";
                    button type="submit" { "Add endpoint" }
                }
            }
        }
        h2 { "Latest messages" }
        @if messages.data.is_empty() && iterator.is_empty() {
            section.empty {
                p { "No messages yet. Send one:" }
                pre { "curl -X POST " (base) "/api/v1/app/" (app.id) "/msg -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'content-type: application/json' -d '{\"eventType\": \"invoice.paid\", \"payload\": {\"id\": \"in_1\"}}'" }
            }
        } @else {
            section.scroll {
                table {
                    thead { tr { th { "Message" } th { "Event type" } th { "Sent" } } }
                    tbody {
                        @for m in &messages.data {
                            tr {
                                td { a href={ "/app/" (app.id) "/msg/" (m.id) } { code { (m.id) } } }
                                td { code { (m.event_type) } }
                                td { (time_text(&m.timestamp)) }
                            }
                        }
                    }
                }
            }
            (call::pager(&format!("/app/{}?", app.id), &messages.prev_iterator, &messages.iterator, messages.done, !iterator.is_empty()))
        }
    };
    Ok(page(&dash, Some(&viewer), &app.name, body))
}
