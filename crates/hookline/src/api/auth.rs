//! `/api/v1/auth/app-portal-access/{app_id}`: a token limited to one application.

use axum::Json;
use axum::extract::{Path, State};

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, parse_json};
use super::types::{AppPortalAccessIn, AppPortalAccessOut};
use super::{AppState, app};
use crate::api::caps::Caps;
use crate::crypto::token_hash;
use crate::dashboard::session::PortalGrant;
use crate::ids::{new_id, random_token};
use crate::store::Token;

/// Issues an app-portal token (admin only). With `application`, creates the application
/// first when it does not exist, as Svix does.
pub(crate) async fn app_portal_access(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<AppPortalAccessOut>> {
    auth.require_admin()?;
    // As `extract::Body` does: the body limit is the one way reading it fails, answered as
    // JSON like every error (axum's own rejection is plain text).
    let body = body.map_err(|_| ApiError::PayloadTooLarge(state.max_body_bytes))?;
    // The body is optional here: an empty one means all defaults.
    let input: AppPortalAccessIn = if body.iter().all(u8::is_ascii_whitespace) {
        AppPortalAccessIn::default()
    } else {
        parse_json(&body)?
    };
    // Checked even when the application exists and it is not used: a request the document
    // calls invalid is refused, whatever the state.
    if let Some(a) = &input.application {
        app::check(a, "body.application")?;
    }
    let application = match state.store.app(&app_id).await? {
        Some(a) => a,
        None => match input.application {
            Some(new) => app::create_on_the_fly(&state, &app_id, new, "body.application").await?,
            None => return Err(ApiError::NotFound("application")),
        },
    };
    let expiry = i64::from(input.expiry.unwrap_or(7 * 24 * 3600));
    let caps = Caps::grant(
        input.capabilities.as_deref(),
        input.read_only.unwrap_or(false),
    );
    let now = crate::now_millis();
    let token = format!("appsk_{}", random_token(32));
    let record = Token {
        id: new_id("tok"),
        app_id: Some(application.id),
        expires_at: Some(now + expiry * 1000),
        name: None,
        caps: Some(caps.bits()),
    };
    let app_id = record.app_id.clone().unwrap_or_default();
    state
        .store
        .create_token(&record, &token_hash(&token), now)
        .await?;
    // The link carries a code of its own, not the token: it opens one dashboard session
    // and is spent, while the token stays an API credential (with the same capabilities,
    // enforced by the handlers) for the operator's backend or an embedded frontend.
    // In the fragment, so no server or proxy on the way logs it.
    let code = random_token(32);
    let grant = PortalGrant {
        app_id,
        caps: caps.bits(),
        expires_at: now + expiry * 1000,
    };
    state
        .store
        .create_portal_code(&token_hash(&code), &grant)
        .await?;
    Ok(Json(AppPortalAccessOut {
        url: format!("{}/app-portal#key={code}", state.public_url),
        token,
    }))
}
