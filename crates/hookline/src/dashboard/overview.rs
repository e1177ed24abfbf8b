//! The overview, the applications and the event-type catalog (the operator's pages; an
//! app portal is sent to its own application).

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};

use super::auth::Viewer;
use super::view::{PageResult, page, pretty, see_other, time_text};
use super::{Dash, call};
use crate::api::extract::Params;

/// `GET /`: queue depth, and where to go next.
pub(super) async fn overview(State(dash): State<Dash>, viewer: Viewer) -> PageResult {
    if let Some(app) = &viewer.auth.app_id {
        return Ok(see_other(&format!("/app/{app}")));
    }
    let g = dash
        .api
        .store
        .gauges(crate::now_millis())
        .await
        .map_err(crate::api::error::ApiError::from)?;
    let Json(apps) = crate::api::app::list_apps(
        State(dash.api.clone()),
        viewer.auth.clone(),
        call::params(&[("limit", "20")]),
    )
    .await?;
    let body = html! {
        h1 { "Overview" }
        div.grid {
            section { h2 { "Due now" } p.stat { (g.due_now) } p.hint { "deliveries waiting for a worker" } }
            section { h2 { "Scheduled" } p.stat { (g.scheduled_later) } p.hint { "retries due later" } }
            section { h2 { "Sending" } p.stat { (g.sending) } p.hint { "in flight now" } }
            section { h2 { "Disabled endpoints" } p.stat class=@if g.disabled_endpoints > 0 { "bad" } { (g.disabled_endpoints) }
                p.hint { "after 410 Gone or days of failures" } }
        }
        h2 { "Applications" }
        @if apps.data.is_empty() {
            (empty_apps(&dash))
        } @else {
            section.scroll { (app_table(&apps.data)) }
            @if !apps.done { p { a href="/apps" { "All applications" } } }
        }
    };
    Ok(page(&dash, Some(&viewer), "Overview", body))
}

fn empty_apps(dash: &Dash) -> Markup {
    let base = &dash.api.public_url;
    html! {
        section.empty {
            p { "No applications yet. Create one with the API:" }
            pre { "curl -X POST " (base) "/api/v1/app -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'content-type: application/json' -d '{\"name\": \"Acme\", \"uid\": \"acme\"}'" }
        }
    }
}

fn app_table(apps: &[crate::api::types::ApplicationOut]) -> Markup {
    html! {
        table {
            thead { tr { th { "Name" } th { "Id" } th { "Uid" } th { "Created" } } }
            tbody {
                @for a in apps {
                    tr {
                        td { a href={ "/app/" (a.id) } { (a.name) } }
                        td { code { (a.id) } }
                        td { @if let Some(u) = &a.uid { code { (u) } } }
                        td { (time_text(&a.created_at)) }
                    }
                }
            }
        }
    }
}

/// `GET /apps`: every application, paged with the API's cursors.
pub(super) async fn apps(State(dash): State<Dash>, viewer: Viewer, params: Params) -> PageResult {
    let iterator = params.str("iterator").unwrap_or_default().to_owned();
    let Json(list) = crate::api::app::list_apps(
        State(dash.api.clone()),
        viewer.auth.clone(),
        call::params(&[("limit", "50"), ("iterator", &iterator)]),
    )
    .await?;
    let body = html! {
        h1 { "Applications" }
        @if list.data.is_empty() && iterator.is_empty() { (empty_apps(&dash)) }
        @else {
            section.scroll { (app_table(&list.data)) }
            (call::pager("/apps?", &list.prev_iterator, &list.iterator, list.done, !iterator.is_empty()))
        }
    };
    Ok(page(&dash, Some(&viewer), "Applications", body))
}

/// `GET /event-types`: the catalog with descriptions and example payloads.
pub(super) async fn event_types(
    State(dash): State<Dash>,
    viewer: Viewer,
    params: Params,
) -> PageResult {
    let iterator = params.str("iterator").unwrap_or_default().to_owned();
    let Json(list) = crate::api::event_type::list_event_types(
        State(dash.api.clone()),
        viewer.auth.clone(),
        call::params(&[
            ("limit", "100"),
            ("with_content", "true"),
            ("iterator", &iterator),
        ]),
    )
    .await?;
    let base = &dash.api.public_url;
    let body = html! {
        h1 { "Event types" }
        @if list.data.is_empty() && iterator.is_empty() {
            section.empty {
                p { "No event types yet. Endpoints subscribe to them; messages name one. Create one:" }
                pre { "curl -X POST " (base) "/api/v1/event-type -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'content-type: application/json' -d '{\"name\": \"invoice.paid\", \"description\": \"An invoice was paid\"}'" }
            }
        }
        @for et in &list.data {
            section {
                h2 { code { (et.name) } @if et.deprecated { " " span.badge.wait { "deprecated" } } @if et.archived { " " span.badge { "archived" } } }
                @if !et.description.is_empty() { p { (et.description) } }
                @if let Some(example) = call::example_of(et.schemas.as_ref()) {
                    details { summary { "Example payload" } pre { (pretty(&example.to_string())) } }
                }
            }
        }
        (call::pager("/event-types?", &list.prev_iterator, &list.iterator, list.done, !iterator.is_empty()))
    };
    Ok(page(&dash, Some(&viewer), "Event types", body).into_response())
}
