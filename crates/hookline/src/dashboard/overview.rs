//! The overview, the applications and the event-type catalog (the operator's pages; an
//! app portal is sent to its own application).

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};

use super::auth::Viewer;
use super::view::{PageResult, page, pretty, see_other, time, time_text};
use super::{Dash, call, chart};
use crate::api::extract::Params;

/// `GET /`: activity over time, endpoints not delivering, queue depth, applications.
pub(super) async fn overview(
    State(dash): State<Dash>,
    viewer: Viewer,
    params: Params,
) -> PageResult {
    if let Some(app) = &viewer.auth.app_id {
        return Ok(see_other(&format!("/app/{app}")));
    }
    // The operator's pages only: these counts span every application.
    viewer.auth.require_admin()?;
    let now = crate::now_millis();
    let store = &dash.api.store;
    let db = crate::api::error::ApiError::from;
    let g = store.gauges(now).await.map_err(db)?;
    let range = chart::Range::named(params.str("range"));
    let activity = store
        .activity(range.since(now), range.bucket_ms, now)
        .await
        .map_err(db)?;
    let failing = store.failing_endpoints(20).await.map_err(db)?;
    let circuits = super::detail::circuits(&dash, &failing).await?;
    let Json(apps) = crate::api::app::list_apps(
        State(dash.api.clone()),
        viewer.auth.clone(),
        call::params(&[("limit", "20")]),
    )
    .await?;
    let body = html! {
        h1 { "Overview" }
        section {
            h2 { "Activity" }
            nav.ranges aria-label="Time range" {
                @for r in chart::RANGES {
                    a href={ "/?range=" (r.name) } aria-current=[(r == range).then_some("page")] { (r.label) }
                }
            }
            (chart::chart(range, &activity))
        }
        h2 { "Endpoints not delivering" }
        @if failing.is_empty() {
            p.muted { "None: every endpoint's last attempt succeeded." }
        } @else {
            section.scroll {
                table {
                    thead { tr { th { "Endpoint" } th { "Application" } th { "State" } th { "Circuit" } } }
                    tbody {
                        @for (e, c) in failing.iter().zip(&circuits) {
                            tr {
                                td { a href={ "/app/" (e.app_id) "/endpoint/" (e.id) } { (e.url) } }
                                td { a href={ "/app/" (e.app_id) } { code { (e.app_id) } } }
                                td {
                                    @if e.disabled { (super::detail::disabled(e.disabled_reason.as_deref())) " " }
                                    @if let Some(t) = e.failing_since { "failing since " (time(t)) }
                                }
                                td { (super::detail::circuit(*c)) }
                            }
                        }
                    }
                }
            }
        }
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
