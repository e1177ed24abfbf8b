//! The page layout and the pieces every page uses. Everything goes through maud's escaping;
//! nothing here builds HTML from strings.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Dash;
use super::auth::Viewer;
use crate::api::error::ApiError;

/// A rendered page, or an error shown as a page.
pub(super) type PageResult = Result<Response, PageError>;

/// A full page around `body`.
pub(super) fn page(dash: &Dash, viewer: Option<&Viewer>, title: &str, body: Markup) -> Response {
    let c = &dash.settings.config;
    let brand = c.brand_name.as_deref().unwrap_or("Hookline");
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (brand) }
                link rel="stylesheet" href="/assets/app.css";
                @if c.brand_accent.is_some() { link rel="stylesheet" href="/assets/brand.css"; }
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header.top {
                    a.brand href="/" {
                        @if let Some(logo) = &c.brand_logo_url { img src=(logo) alt="" height="24"; }
                        (brand)
                    }
                    @if let Some(v) = viewer {
                        nav aria-label="Main" {
                            @match &v.auth.app_id {
                                None => {
                                    a href="/" { "Overview" }
                                    a href="/apps" { "Applications" }
                                    a href="/event-types" { "Event types" }
                                    a href="/sources" { "Inbound" }
                                }
                                Some(app) => {
                                    a href={ "/app/" (app) } { "Endpoints" }
                                    a href={ "/app/" (app) "/log" } { "Delivery log" }
                                }
                            }
                        }
                        form.signout method="post" action="/sign-out" {
                            (csrf_field(v))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main { (maud::PreEscaped(body.into_string())) }
            }
        }
    };
    Html(markup.into_string()).into_response()
}

/// The hidden field every form of a signed-in page carries.
pub(super) fn csrf_field(v: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

/// A time: UTC in the markup (and on hover); the script shows it in the viewer's zone.
pub(super) fn time(ms: i64) -> Markup {
    let iso = crate::api::types::format_date(ms);
    html! { time datetime=(iso) title=(iso) { (iso) } }
}

/// A time given as the API's RFC 3339 text.
pub(super) fn time_text(iso: &str) -> Markup {
    html! { time datetime=(iso) title=(iso) { (iso) } }
}

/// Svix's delivery status numbers as a word, styled by outcome.
pub(super) fn status(code: i64) -> Markup {
    let (word, class) = match code {
        0 => ("success", "ok"),
        1 => ("pending", "wait"),
        2 => ("failed", "bad"),
        _ => ("sending", "wait"),
    };
    html! { span class={ "badge " (class) } { (word) } }
}

/// JSON text pretty-printed when it parses, as it is otherwise.
pub(super) fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// A form that asks before it does something that cannot be undone (the script asks; the
/// server does not rely on it).
pub(super) fn confirm_form(v: &Viewer, action: &str, label: &str, question: &str) -> Markup {
    html! {
        form method="post" action=(action) data-confirm=(question) {
            (csrf_field(v))
            button.danger type="submit" { (label) }
        }
    }
}

/// A redirect after a form (303: the browser follows with a GET).
pub(super) fn see_other(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, to.to_owned())],
    )
        .into_response()
}

/// An error as a page: the API's status and its words.
#[derive(Debug)]
pub(super) struct PageError {
    pub status: StatusCode,
    pub detail: String,
    /// Settings the page is drawn with (name, logo); none before the state is at hand.
    pub dash: Option<Dash>,
}

impl PageError {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        PageError {
            status,
            detail: detail.into(),
            dash: None,
        }
    }
}

impl std::fmt::Debug for Dash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dash")
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let status = e.status();
        let detail = match e {
            ApiError::Validation(items) => items
                .iter()
                .map(|i| format!("{}: {}", i.loc.join("."), i.msg))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::BadRequest(_, d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::Conflict(d) => d,
            ApiError::NotFound(what) => format!("{what} not found"),
            other => {
                // Logged once by the API's own mapping, answered opaquely.
                let _ = other.into_response();
                "internal server error".into()
            }
        };
        PageError::new(status, detail)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = html! {
            h1 { "Error " (self.status.as_u16()) }
            p.error role="alert" { (self.detail) }
            p { a href="/" { "Back to the start" } }
        };
        let mut resp = match &self.dash {
            Some(d) => page(d, None, "Error", body),
            None => Html(
                html! { (DOCTYPE) html lang="en" { head { meta charset="utf-8"; title { "Error" } link rel="stylesheet" href="/assets/app.css"; } body { main { (body) } } } }
                    .into_string(),
            )
            .into_response(),
        };
        *resp.status_mut() = self.status;
        resp
    }
}
