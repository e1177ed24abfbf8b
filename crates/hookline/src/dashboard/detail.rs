//! Pieces of the attempt and endpoint pages kept apart from the listings: the headers an
//! attempt was sent with, and an endpoint's circuit breaker and why it is disabled.
//!
//! Circuits are read from the store (`QueueStore::open_circuits`), where the delivery
//! engine announces them on both engines, and interpreted by [`Circuit::of`]: the pages
//! have no path of their own to the engine's breakers.

use std::collections::HashMap;

use maud::{Markup, html};

use super::Dash;
use super::view::time;
use crate::api::error::ApiError;
use crate::store::{Circuit, FailingEndpoint, SentHeaders};

/// The circuit of each endpoint of `endpoints`, in order.
pub(super) async fn circuits(
    dash: &Dash,
    endpoints: &[FailingEndpoint],
) -> Result<Vec<Circuit>, ApiError> {
    if endpoints.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = endpoints.iter().map(|e| e.id.clone()).collect();
    let open: HashMap<String, i64> = dash
        .api
        .store
        .open_circuits(&ids)
        .await?
        .into_iter()
        .collect();
    let now = crate::now_millis();
    Ok(endpoints
        .iter()
        .map(|e| Circuit::of(open.get(&e.id).copied(), e.failing_since, now))
        .collect())
}

/// One endpoint's health (as the overview lists it) and circuit; `None` if it is gone.
pub(super) async fn health(
    dash: &Dash,
    endpoint_id: &str,
) -> Result<Option<(FailingEndpoint, Circuit)>, ApiError> {
    let Some(h) = dash.api.store.failing_endpoint(endpoint_id).await? else {
        return Ok(None);
    };
    let c = circuits(dash, std::slice::from_ref(&h)).await?;
    Ok(c.into_iter().next().map(|c| (h, c)))
}

/// The circuit breaker's state in words.
pub(super) fn circuit(c: Circuit) -> Markup {
    html! {
        @match c {
            Circuit::Closed => { span.badge.ok { "closed" } }
            Circuit::OpenUntil(t) => {
                span.badge.bad { "open" } " until " (time(t))
                span.hint { " (nothing is sent until then; the deliveries wait)" }
            }
            Circuit::HalfOpen => {
                span.badge.wait { "half-open" }
                span.hint { " (the next attempt is a probe: a success closes it, a failure opens it for longer)" }
            }
        }
    }
}

/// "disabled" and why: the engine's reason, or a person's decision.
pub(super) fn disabled(reason: Option<&str>) -> Markup {
    html! {
        span.badge.bad { "disabled" } " "
        @match reason {
            Some(r) => { (r) }
            None => { "by a person (through the API or this dashboard)" }
        }
    }
}

/// The request headers an attempt recorded (`Attempt::request_headers`), or why there
/// are none to show.
pub(super) fn request_headers(recorded: Option<&str>) -> Markup {
    let parsed = recorded.and_then(|j| serde_json::from_str::<SentHeaders>(j).ok());
    html! {
        @match parsed {
            Some(headers) => {
                pre aria-label="Request headers" {
                    @for (name, value) in &headers {
                        (name) ": "
                        @match value {
                            Some(v) => { (v) }
                            None => { span.muted { "(hidden: set from the endpoint's headers)" } }
                        }
                        "\n"
                    }
                }
                p.hint { "As sent, with host and content-length from the URL and the body. The values of the endpoint's own headers are not kept with attempts: they may carry credentials." }
            }
            None => {
                p.muted { "The headers of this attempt were not recorded (it was made by an older Hookline, or through hookline listen)." }
            }
        }
    }
}
