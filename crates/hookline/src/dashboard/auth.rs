//! Who is looking, and forms they may submit: the session cookie becomes the API's `Auth`;
//! every form carries the session's CSRF token. Sign-in (an admin token, once, in a POST
//! body: never in a URL or a log) and the app-portal exchange (a one-time code from the
//! link's fragment) use a double-submit token instead, since there is no session yet.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::Dash;
use super::session::{Session, cookie, same_secret, set_cookie};
use super::view::{PageError, PageResult, page, see_other};
use crate::api::extract::Auth;
use crate::crypto::token_hash;
use crate::ids::{new_id, random_token};

const SESSION_COOKIE: &str = "hl_session";
/// The double-submit token of the sign-in and portal forms.
const PRE_COOKIE: &str = "hl_pre";

/// A signed-in viewer: the API caller they are, and their session's CSRF token.
pub(super) struct Viewer {
    pub auth: Auth,
    pub csrf: String,
    hash: String,
}

impl FromRequestParts<Dash> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, dash: &Dash) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(see_other("/sign-in"));
        };
        let hash = token_hash(token);
        match dash.api.store.session(&hash, crate::now_millis()).await {
            Ok(Some(s)) => Ok(Viewer {
                auth: Auth {
                    app_id: s.app_id.map(Into::into),
                    caps: crate::api::caps::Caps::from_bits(s.caps),
                },
                csrf: s.csrf,
                hash,
            }),
            Ok(None) => Err(see_other("/sign-in?ended=1")),
            Err(e) => Err(PageError::from(crate::api::error::ApiError::from(e)).into_response()),
        }
    }
}

/// A submitted form of a signed-in viewer whose CSRF token matched.
pub(super) struct Submitted {
    pub viewer: Viewer,
    pub fields: Vec<(String, String)>,
}

impl Submitted {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl FromRequest<Dash> for Submitted {
    type Rejection = Response;

    async fn from_request(req: Request, dash: &Dash) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, dash).await?;
        let headers = parts.headers.clone();
        let fields = form_fields(&headers, Request::from_parts(parts, body), dash).await?;
        let given = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str());
        if !same_secret(given, &viewer.csrf) {
            return Err(csrf_refused());
        }
        Ok(Submitted { viewer, fields })
    }
}

fn csrf_refused() -> Response {
    PageError::new(
        StatusCode::FORBIDDEN,
        "this form's CSRF token is missing or does not match your session: reload the page and try again",
    )
    .into_response()
}

/// The fields of a url-encoded form body.
async fn form_fields(
    headers: &HeaderMap,
    req: Request,
    dash: &Dash,
) -> Result<Vec<(String, String)>, Response> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(PageError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected a form (application/x-www-form-urlencoded)",
        )
        .into_response());
    }
    let bytes = Bytes::from_request(req, dash).await.map_err(|_| {
        PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response()
    })?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

/// A fresh double-submit token: set as a cookie and echoed by the form.
fn pre_token(dash: &Dash) -> (String, String) {
    let t = random_token(24);
    let c = set_cookie(PRE_COOKIE, &t, 3600, dash.settings.secure_cookies);
    (t, c)
}

/// Checks the double-submit token of a sign-in or portal form and returns its fields.
async fn pre_form(req: Request, dash: &Dash) -> Result<Vec<(String, String)>, Response> {
    let headers = req.headers().clone();
    let fields = form_fields(&headers, req, dash).await?;
    let given = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    match cookie(&headers, PRE_COOKIE) {
        Some(expected) if !given.is_empty() && same_secret(given, expected) => Ok(fields),
        _ => Err(csrf_refused()),
    }
}

/// `GET /sign-in`.
pub(super) async fn sign_in_page(
    State(dash): State<Dash>,
    params: crate::api::extract::Params,
) -> Response {
    sign_in_form(
        &dash,
        params.str("ended").is_some().then_some(
            "Your session has ended: sign in again (or, for an app portal, open a new link).",
        ),
        StatusCode::OK,
    )
}

fn sign_in_form(dash: &Dash, note: Option<&str>, status: StatusCode) -> Response {
    let (csrf, set) = pre_token(dash);
    let body = html! {
        section.signin {
            h1 { "Sign in" }
            @if let Some(n) = note { p.error role="alert" { (n) } }
            form method="post" action="/sign-in" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Admin token" }
                input #token type="password" name="token" autocomplete="current-password" required autofocus;
                button type="submit" { "Sign in" }
            }
            p.hint { "The admin token is printed once on the server's first start, or set with "
                code { "HOOKLINE_ADMIN_TOKEN" } "." }
        }
    };
    let mut resp = page(dash, None, "Sign in", body);
    *resp.status_mut() = status;
    if let Ok(v) = set.parse() {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// `POST /sign-in`: an admin token for a session.
pub(super) async fn sign_in(State(dash): State<Dash>, req: Request) -> Response {
    let fields = match pre_form(req, &dash).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let token = fields
        .iter()
        .find(|(k, _)| k == "token")
        .map_or("", |(_, v)| v.as_str());
    match crate::api::extract::token_auth(token.trim(), &dash.api).await {
        Ok(auth) if auth.app_id.is_none() => start_session(&dash, None, auth.caps, None, "/").await,
        Ok(_) => sign_in_form(
            &dash,
            Some("That is an application's token: open its app-portal link instead."),
            StatusCode::UNAUTHORIZED,
        ),
        Err(_) => sign_in_form(
            &dash,
            Some("That token is not valid."),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// Creates a session and sends its cookie, then `to`.
async fn start_session(
    dash: &Dash,
    app_id: Option<String>,
    caps: crate::api::caps::Caps,
    ends_by: Option<i64>,
    to: &str,
) -> Response {
    let now = crate::now_millis();
    let lifetime =
        i64::try_from(dash.settings.config.session_lifetime.as_millis()).unwrap_or(i64::MAX);
    let expires_at = ends_by.map_or(now + lifetime, |e| e.min(now + lifetime));
    let token = random_token(32);
    let session = Session {
        id: new_id("sess"),
        app_id,
        caps: caps.bits(),
        csrf: random_token(24),
        expires_at,
    };
    if let Err(e) = dash
        .api
        .store
        .create_session(&token_hash(&token), &session)
        .await
    {
        return PageError::from(crate::api::error::ApiError::from(e)).into_response();
    }
    let secure = dash.settings.secure_cookies;
    let mut resp = see_other(to);
    let h = resp.headers_mut();
    for c in [
        set_cookie(SESSION_COOKIE, &token, (expires_at - now) / 1000, secure),
        set_cookie(PRE_COOKIE, "", 0, secure),
    ] {
        if let Ok(v) = c.parse() {
            h.append(SET_COOKIE, v);
        }
    }
    resp
}

/// `POST /sign-out`: the session ends here and now.
pub(super) async fn sign_out(State(dash): State<Dash>, form: Submitted) -> Response {
    if let Err(e) = dash.api.store.delete_session(&form.viewer.hash).await {
        return PageError::from(crate::api::error::ApiError::from(e)).into_response();
    }
    let mut resp = see_other("/sign-in");
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0, dash.settings.secure_cookies).parse() {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// `GET /app-portal`: the page an app-portal link opens. Its script posts the one-time
/// code from the fragment (`#key=...`) and removes it from the address bar.
pub(super) async fn portal_page(State(dash): State<Dash>) -> Response {
    let (csrf, set) = pre_token(&dash);
    let body = html! {
        section.signin {
            h1 { "Opening the app portal" }
            form #portal method="post" action="/app-portal/session" {
                input type="hidden" name="csrf" value=(csrf);
                label for="code" { "Access code (the part after " code { "#key=" } " in your link)" }
                input #code type="password" name="code" required autocomplete="off";
                button type="submit" { "Open" }
            }
        }
    };
    let mut resp = page(&dash, None, "App portal", body);
    if let Ok(v) = set.parse() {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// `POST /app-portal/session`: a one-time code for a session scoped to its application.
pub(super) async fn portal_exchange(State(dash): State<Dash>, req: Request) -> PageResult {
    let fields = match pre_form(req, &dash).await {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let code = fields
        .iter()
        .find(|(k, _)| k == "code")
        .map_or("", |(_, v)| v.trim());
    let grant = dash
        .api
        .store
        .take_portal_code(&token_hash(code), crate::now_millis())
        .await
        .map_err(crate::api::error::ApiError::from)?;
    let Some(grant) = grant else {
        return Err(PageError::new(
            StatusCode::UNAUTHORIZED,
            "this app-portal link was already used or has expired: ask for a new one",
        ));
    };
    let to = format!("/app/{}", grant.app_id);
    Ok(start_session(
        &dash,
        Some(grant.app_id),
        crate::api::caps::Caps::from_bits(grant.caps),
        Some(grant.expires_at),
        &to,
    )
    .await)
}
