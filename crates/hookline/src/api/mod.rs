//! The management API: Svix's wire contract (paths, bodies, status codes, errors,
//! pagination), so applications written against a Svix SDK work unchanged. One file per
//! resource; errors in `error`, extractors in `extract`, wire types in `types`.

pub(crate) mod app;
pub(crate) mod attempt;
pub(crate) mod auth;
pub mod caps;
pub(crate) mod endpoint;
pub(crate) mod endpoint_ops;
pub mod error;
pub(crate) mod event_type;
pub mod extract;
mod health;
mod idempotency;
pub mod listen;
pub(crate) mod message;
pub mod openapi;
pub(crate) mod source;
mod source_checks;
pub(crate) mod source_request;
pub mod source_types;
mod token;
pub mod types;
mod whole_numbers;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};

use crate::store::{Order, Page, Store};
use error::{ApiError, ApiResult};
use extract::Params;
use types::ListResponse;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub max_body_bytes: usize,
    /// The base URL app-portal links point at.
    pub public_url: Arc<str>,
    /// Wakes the delivery engine when there is new work, so a first attempt does not wait
    /// for a poll.
    pub wake: Arc<crate::engine::wake::Wake>,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub operational: crate::operational::Operational,
    /// Tokens and applications as recently read (see [`crate::cache`]): every request
    /// checks a token, and most look up an application.
    pub caches: Arc<Caches>,
    /// The inbound gateway's limits on this node.
    pub gateway: Arc<crate::gateway::Gateway>,
    /// The retry schedule, for attempts recorded outside the engine (a listener's).
    pub retry: Arc<crate::engine::retry::RetryPolicy>,
    /// Answers from listeners, for the streams waiting on them (`listen`).
    pub listen: Arc<listen::Answers>,
}

/// See [`AppState::caches`].
pub struct Caches {
    pub tokens: crate::cache::Cache<crate::store::Token>,
    pub apps: crate::cache::Cache<crate::store::Application>,
}

impl Default for Caches {
    fn default() -> Self {
        // Tokens change only at start (the admin token) or with their application; apps
        // rarely. A second bounds what another node's change takes to show here.
        let ttl = std::time::Duration::from_secs(1);
        Caches {
            tokens: crate::cache::Cache::new(ttl, 10_000),
            apps: crate::cache::Cache::new(ttl, 10_000),
        }
    }
}

impl AppState {
    /// The application by id or uid, from the cache when fresh.
    pub(crate) async fn app(
        &self,
        id_or_uid: &str,
    ) -> ApiResult<Option<crate::store::Application>> {
        let generation = self.store.generation();
        let now = std::time::Instant::now();
        if let Some(a) = self.caches.apps.get(id_or_uid, generation, now) {
            return Ok(Some(a));
        }
        let found = self.store.app(id_or_uid).await?;
        if let Some(a) = &found {
            self.caches.apps.put(id_or_uid, generation, now, a.clone());
        }
        Ok(found)
    }
}

/// The API's routes, and `pages` (the dashboard's, with their state) beside them.
pub fn router(state: AppState, pages: Router) -> Router {
    let limit = state.max_body_bytes;
    let api = Router::new()
        .route("/health", get(health::health).head(health::health))
        .route("/health/ping", get(health::health).head(health::health))
        .route("/openapi.json", get(openapi::serve))
        .route("/app", get(app::list_apps).post(app::create_app))
        .route(
            "/app/{app_id}",
            get(app::get_app)
                .put(app::update_app)
                .patch(app::patch_app)
                .delete(app::delete_app),
        )
        .route(
            "/event-type",
            get(event_type::list_event_types).post(event_type::create_event_type),
        )
        .route(
            "/event-type/{name}",
            get(event_type::get_event_type)
                .put(event_type::update_event_type)
                .patch(event_type::patch_event_type)
                .delete(event_type::delete_event_type),
        )
        .route(
            "/app/{app_id}/endpoint",
            get(endpoint::list_endpoints).post(endpoint::create_endpoint),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}",
            get(endpoint::get_endpoint)
                .put(endpoint::update_endpoint)
                .patch(endpoint::patch_endpoint)
                .delete(endpoint::delete_endpoint),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/headers",
            get(endpoint_ops::get_headers)
                .put(endpoint_ops::update_headers)
                .patch(endpoint_ops::patch_headers),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/secret",
            get(endpoint_ops::get_secret),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
            post(endpoint_ops::rotate_secret),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/stats",
            get(endpoint_ops::endpoint_stats),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/recover",
            post(endpoint_ops::recover),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/send-example",
            post(endpoint_ops::send_example),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/msg",
            get(attempt::list_attempted_messages),
        )
        .route(
            "/app/{app_id}/msg",
            get(message::list_messages).post(message::create_message),
        )
        .route("/app/{app_id}/msg/{msg_id}", get(message::get_message))
        .route(
            "/app/{app_id}/msg/{msg_id}/content",
            axum::routing::delete(message::expunge_content),
        )
        .route(
            "/app/{app_id}/msg/{msg_id}/endpoint",
            get(attempt::list_attempted_destinations),
        )
        .route(
            "/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
            post(attempt::resend),
        )
        .route(
            "/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
            get(attempt::get_attempt),
        )
        .route(
            "/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
            axum::routing::delete(attempt::expunge_attempt_content),
        )
        .route(
            "/app/{app_id}/attempt/msg/{msg_id}",
            get(attempt::list_attempts_by_msg),
        )
        .route(
            "/app/{app_id}/attempt/endpoint/{endpoint_id}",
            get(attempt::list_attempts_by_endpoint),
        )
        .route(
            "/source",
            get(source::list_sources).post(source::create_source),
        )
        .route(
            "/source/{source_id}",
            get(source::get_source)
                .put(source::update_source)
                .patch(source::patch_source)
                .delete(source::delete_source),
        )
        .route("/source/{source_id}/secret", get(source::get_secret))
        .route(
            "/source/{source_id}/secret/rotate",
            post(source::rotate_secret),
        )
        .route(
            "/source/{source_id}/request",
            get(source_request::list_requests),
        )
        .route(
            "/source/{source_id}/request/{request_id}",
            get(source_request::get_request),
        )
        .route(
            "/source/{source_id}/request/{request_id}/replay",
            post(source_request::replay_request),
        )
        .route(
            "/source/{source_id}/replay",
            post(source_request::replay_range),
        )
        .route(
            "/auth/app-portal-access/{app_id}",
            post(auth::app_portal_access),
        )
        .route(
            "/auth/dashboard-access/{app_id}",
            post(auth::app_portal_access),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/listen",
            get(listen::listen),
        )
        .route(
            "/app/{app_id}/endpoint/{endpoint_id}/listen/result",
            post(listen::result),
        )
        .route("/token", get(token::list_tokens).post(token::create_token))
        .route("/token/{token_id}", delete(token::revoke_token))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(log_request));
    // Providers post here: no token, no idempotency key, its own body limit (413 before the
    // rest is read) and its own error bodies.
    let inbound = Router::new()
        .route(
            "/in/{source}",
            post(crate::gateway::ingest::receive_event).get(crate::gateway::ingest::handshake_get),
        )
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(log_request));
    let routes = Router::new()
        .nest("/api/v1", api)
        .merge(inbound)
        .route("/metrics", get(metrics))
        .with_state(state)
        .merge(pages)
        .fallback(|| async { ApiError::NotFound("route") });
    without_trailing_slash(routes)
}

/// `/api/v1/app/` answers as `/api/v1/app`, as Svix's server does (older SDKs and
/// hand-written clients send both). The router matches before any `Router::layer`
/// middleware sees the request, so the rewrite wraps the whole router from outside.
fn without_trailing_slash(routes: Router) -> Router {
    Router::new()
        .fallback_service(tower_http::normalize_path::NormalizePath::trim_trailing_slash(routes))
}

/// One line per request: method, route (never the query, a body or a header), status and
/// time taken.
async fn log_request(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    tracing::info!(target: "hookline::http", %method, route, status = resp.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    resp
}

/// `GET /metrics`: Prometheus text format, for the admin token (Prometheus sends it with
/// `authorization: { credentials: ... }`). Counts only: no ids, payloads or secrets.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    auth: extract::Auth,
) -> ApiResult<([(axum::http::HeaderName, &'static str); 1], String)> {
    auth.require_admin()?;
    let gauges = state.store.gauges(crate::now_millis()).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(gauges),
    ))
}

/// Only the health check and metrics: what a worker-only process serves.
pub fn health_router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/api/v1/health", get(health::health).head(health::health))
        .route(
            "/api/v1/health/ping",
            get(health::health).head(health::health),
        )
        .fallback(|| async { ApiError::NotFound("route") });
    without_trailing_slash(routes.with_state(state))
}

/// `limit`, `iterator` (a `-` prefix pages backwards) and `order` from the query.
pub fn page(params: &Params, default_order: Order) -> ApiResult<Page> {
    // Svix caps larger limits at 250 rather than refusing them.
    let limit = params
        .int("limit", 0, i64::MAX)?
        .unwrap_or(50)
        .clamp(1, 250);
    let order = match params.str("order") {
        None => default_order,
        Some("ascending") => Order::Ascending,
        Some("descending") => Order::Descending,
        Some(v) => {
            return Err(ApiError::invalid(
                "query.order",
                format!("expected ascending or descending, got {v:?}"),
            ));
        }
    };
    let (cursor, backwards) = match params.str("iterator").filter(|i| !i.is_empty()) {
        Some(i) => match i.strip_prefix('-') {
            Some(rest) => (Some(rest.to_owned()), true),
            None => (Some(i.to_owned()), false),
        },
        None => (None, false),
    };
    // One more than asked, to know whether the page is the last.
    Ok(Page {
        limit: usize::try_from(limit).unwrap_or(50) + 1,
        cursor,
        backwards,
        order,
    })
}

/// Turns the rows of a `page` query into a `ListResponse`.
pub fn list_response<T, U>(
    page: &Page,
    mut rows: Vec<T>,
    key: impl Fn(&T) -> String,
    out: impl FnMut(T) -> U,
) -> ListResponse<U> {
    let wanted = page.limit - 1;
    let more = rows.len() > wanted;
    if more {
        if page.backwards {
            rows.remove(0);
        } else {
            rows.truncate(wanted);
        }
    }
    let iterator = rows.last().map(&key);
    let prev_iterator = rows.first().map(|r| format!("-{}", key(r)));
    ListResponse {
        done: !more,
        iterator,
        prev_iterator,
        data: rows.into_iter().map(out).collect(),
    }
}
