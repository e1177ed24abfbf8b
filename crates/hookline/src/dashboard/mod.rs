//! The web dashboard and the app portal: server-rendered pages on the API's listener, at `/`.
//!
//! Two faces, one implementation: an operator signs in with an admin token and sees every
//! application; an app-portal link (`POST /api/v1/auth/app-portal-access/{app}`) opens the
//! same pages scoped to one application and to the capabilities the link was issued with.
//!
//! No second access path: every page reads and every form writes through the API's own
//! handlers (`crate::api::*`), called with the session's [`Auth`](crate::api::extract::Auth),
//! so the rules, the validation and the capability checks are the API's, for both faces.
//!
//! Templates are `maud`: compiled into the binary, checked at compile time, and escaped by
//! default (a delivered body containing `<script>` is text). Chosen over askama and
//! minijinja because it needs no template files or runtime parser and is three small crates;
//! the CSS and JS (`assets/`) are compiled in too, so `cargo build` stays the one build step.
//!
//! # Layout
//!
//! - `session`: sessions, one-time portal codes, cookies, CSRF comparison.
//! - `auth`: the signed-in viewer extractor, forms with CSRF, sign-in/out, portal exchange.
//! - `view`: the page layout, errors as pages, small shared pieces (times, statuses).
//! - `overview`: overview, applications, event types. `app`: one application.
//! - `endpoint`: the endpoint page and its actions. `log`: delivery log, message, attempt.
//! - `inbound`: the inbound gateway's sources and a source's request log (operators only);
//!   `inbound_request`: one received request, its diagnosis in words, and Replay.
//! - `detail`: an attempt's sent headers, an endpoint's circuit and why it is disabled.

mod app;
mod assets;
mod auth;
mod call;
mod chart;
mod detail;
mod endpoint;
mod inbound;
mod inbound_request;
mod log;
mod overview;
pub mod session;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};

use crate::api::AppState;
use crate::config::DashboardConfig;

/// What every page shares: the API's state (its store, its rules) and the dashboard's own.
#[derive(Clone)]
pub struct Dash {
    pub api: AppState,
    pub settings: Arc<Settings>,
}

/// The dashboard's configuration, resolved once at start.
pub struct Settings {
    pub config: DashboardConfig,
    /// Cookies get `Secure` when the server is reached over TLS (`public_url` is https).
    pub secure_cookies: bool,
    csp: HeaderValue,
}

impl Settings {
    pub fn new(config: DashboardConfig, public_url: &str) -> anyhow::Result<Settings> {
        // No inline script or style anywhere: the one script and the stylesheets are files
        // of this origin. Images may come from https (the operator's logo).
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {}",
            config.frame_ancestors
        );
        Ok(Settings {
            secure_cookies: public_url.starts_with("https://"),
            csp: HeaderValue::from_str(&csp)
                .map_err(|_| anyhow::anyhow!("dashboard_frame_ancestors: not a header value"))?,
            config,
        })
    }
}

/// Counts the overview chart's closed minutes of the longest range ahead of time (the
/// background cleaner calls it), so the first view after a quiet spell finds them counted
/// instead of counting them itself: with a million attempts that first count takes a
/// second, and a page should not.
pub async fn count_ahead(store: &dyn crate::store::Store, now: i64) -> crate::store::Result<()> {
    let week = chart::RANGES[chart::RANGES.len() - 1];
    store.activity(week.since(now), week.bucket_ms, now).await?;
    Ok(())
}

/// The dashboard's routes, with their state applied.
pub fn router(dash: Dash) -> Router {
    let settings = dash.settings.clone();
    Router::new()
        .route("/", get(overview::overview))
        .route("/apps", get(overview::apps))
        .route("/event-types", get(overview::event_types))
        .route("/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route("/sign-out", post(auth::sign_out))
        .route("/app-portal", get(auth::portal_page))
        .route("/app-portal/session", post(auth::portal_exchange))
        .route("/assets/{file}", get(assets::serve))
        .route("/app/{app}", get(app::app_page))
        .route("/app/{app}/endpoint", post(endpoint::create))
        .route("/app/{app}/endpoint/{ep}", get(endpoint::endpoint_page))
        .route("/app/{app}/endpoint/{ep}/secret", get(endpoint::secret))
        .route("/app/{app}/endpoint/{ep}/{action}", post(endpoint::act))
        .route("/app/{app}/log", get(log::delivery_log))
        .route("/app/{app}/msg/{msg}", get(log::message))
        .route("/app/{app}/msg/{msg}/attempt/{att}", get(log::attempt))
        .route("/app/{app}/msg/{msg}/resend/{ep}", post(log::resend))
        .route("/sources", get(inbound::sources))
        .route("/source/{src}", get(inbound::source))
        .route("/source/{src}/request/{req}", get(inbound_request::request))
        .route(
            "/source/{src}/request/{req}/replay",
            post(inbound_request::replay),
        )
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn_with_state(settings, protect))
        .with_state(dash)
}

/// Headers on every dashboard response: the CSP, no MIME sniffing, no referrer, framing
/// only by the configured ancestors, and pages never cached (they show live state and
/// sometimes secrets). One log line per request: method, route, status (never the query).
async fn protect(
    axum::extract::State(settings): axum::extract::State<Arc<Settings>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, settings.csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if settings.config.frame_ancestors == "'none'" {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    tracing::info!(target: "hookline::http", %method, route, status = resp.status().as_u16(), ms = started.elapsed().as_millis() as u64, "page");
    resp
}
