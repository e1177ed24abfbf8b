//! `/api/v1/source`: the inbound gateway's sources (admin only): CRUD, secret, rotation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hookline_sig::receive::handshake::Handshake;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Params};
use super::source_checks::{
    check_handshake, check_input, check_keys, check_name, check_tolerance, check_verify_token,
    check_window, input_scheme,
};
use super::source_types::{
    SourceIn, SourceOut, SourcePatch, SourceSecretOut, SourceSecretRotateIn,
};
use super::types::{ListResponse, check_uid, format_date};
use super::{AppState, list_response, page};
use crate::gateway::model::{Source, SourceSecret};
use crate::gateway::{DEDUPE_WINDOW_SECS, scheme};
use crate::ids::new_id;
use crate::store::{Application, Order};

/// The longest grace period of a rotation, and the default.
const MAX_GRACE_SECS: u32 = 7 * 24 * 3600;
const DEFAULT_GRACE_SECS: u32 = 24 * 3600;

pub(super) fn out(state: &AppState, s: Source) -> SourceOut {
    SourceOut {
        ingest_url: format!(
            "{}/in/{}",
            state.public_url,
            s.uid.as_deref().unwrap_or(&s.id)
        ),
        id: s.id,
        uid: s.uid,
        name: s.name,
        scheme: s.scheme,
        scheme_definition: s
            .scheme_definition
            .and_then(|d| serde_json::from_str(&d).ok()),
        app_id: s.app_id,
        handshake: s.handshake,
        tolerance_seconds: s.tolerance_secs,
        dedupe_window_seconds: s.dedupe_window_secs,
        created_at: format_date(s.created_at),
        updated_at: format_date(s.updated_at),
    }
}

/// The source `id_or_uid`, for an admin token.
pub(super) async fn find(state: &AppState, auth: &Auth, id_or_uid: &str) -> ApiResult<Source> {
    auth.require_admin()?;
    state
        .store
        .source(id_or_uid)
        .await?
        .ok_or(ApiError::NotFound("source"))
}

/// The application a new source delivers through: the one `appId` names (id or uid), else
/// the one whose uid is the source's uid (or id); created with that uid when there is none.
async fn application_for(
    state: &AppState,
    input: &SourceIn,
    source_id: &str,
    now: i64,
) -> ApiResult<Application> {
    let uid = match &input.app_id {
        Some(app_id) => {
            check_uid("body.appId", app_id)?;
            app_id.clone()
        }
        None => input.uid.clone().unwrap_or_else(|| source_id.to_owned()),
    };
    if let Some(app) = state.app(&uid).await? {
        return Ok(app);
    }
    let app = Application {
        id: new_id("app"),
        uid: Some(uid),
        name: input.name.clone(),
        metadata: serde_json::Map::new(),
        throttle_rate: None,
        created_at: now,
        updated_at: now,
    };
    state.store.create_app(&app).await?;
    Ok(app)
}

pub(crate) async fn list_sources(
    State(state): State<AppState>,
    auth: Auth,
    params: Params,
) -> ApiResult<Json<ListResponse<SourceOut>>> {
    auth.require_admin()?;
    let page = page(&params, Order::Ascending)?;
    let rows = state.store.list_sources(&page).await?;
    Ok(Json(list_response(
        &page,
        rows,
        |s| s.id.clone(),
        |s| out(&state, s),
    )))
}

pub(super) async fn create_source(
    State(state): State<AppState>,
    auth: Auth,
    Body(input): Body<SourceIn>,
) -> ApiResult<(StatusCode, Json<SourceOut>)> {
    auth.require_admin()?;
    check_input(&input)?;
    let (scheme, definition) = input_scheme(&input)?;
    let keys = input.secrets.clone().unwrap_or_default();
    check_keys("body.secrets", &scheme, &keys)?;
    let now = crate::now_millis();
    let id = new_id("src");
    let app = application_for(&state, &input, &id, now).await?;
    let source = Source {
        id,
        uid: input.uid,
        name: input.name,
        scheme: if definition.is_some() {
            scheme::CUSTOM.to_owned()
        } else {
            scheme.name().to_owned()
        },
        scheme_definition: definition,
        secrets: keys
            .into_iter()
            .map(|key| SourceSecret {
                key,
                expires_at: None,
            })
            .collect(),
        handshake: input
            .handshake
            .or_else(|| Handshake::of_scheme(scheme.name()).map(|h| h.name().to_owned())),
        verify_token: input.verify_token,
        tolerance_secs: input.tolerance_seconds,
        dedupe_window_secs: input.dedupe_window_seconds.unwrap_or(DEDUPE_WINDOW_SECS),
        app_id: app.id,
        created_at: now,
        updated_at: now,
    };
    state.store.create_source(&source).await?;
    Ok((StatusCode::CREATED, Json(out(&state, source))))
}

pub(crate) async fn get_source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SourceOut>> {
    let s = find(&state, &auth, &id).await?;
    Ok(Json(out(&state, s)))
}

/// PUT: replaces the source's settings (keys too, when `secrets` is given); its id, its
/// application and its creation time stay.
pub(super) async fn update_source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(input): Body<SourceIn>,
) -> ApiResult<Json<SourceOut>> {
    let mut s = find(&state, &auth, &id).await?;
    check_input(&input)?;
    // A source keeps its application; `appId` is checked for its form only.
    if let Some(app_id) = &input.app_id {
        check_uid("body.appId", app_id)?;
    }
    let (scheme, definition) = input_scheme(&input)?;
    if let Some(keys) = &input.secrets {
        // Given, even empty: they replace the current ones.
        check_keys("body.secrets", &scheme, keys)?;
        s.secrets = keys
            .iter()
            .map(|key| SourceSecret {
                key: key.clone(),
                expires_at: None,
            })
            .collect();
    } else {
        // The stored keys must suit the new scheme: the body alone cannot know them.
        for k in s.active_keys(crate::now_millis()) {
            if let Some(why) = scheme::key_problem(&scheme, k) {
                return Err(ApiError::Conflict(format!(
                    "scheme: the source's current keys do not suit scheme {}: {why}",
                    scheme.name()
                )));
            }
        }
    }
    s.scheme = if definition.is_some() {
        scheme::CUSTOM.to_owned()
    } else {
        scheme.name().to_owned()
    };
    s.scheme_definition = definition;
    s.name = input.name;
    s.uid = input.uid;
    s.tolerance_secs = input.tolerance_seconds;
    s.dedupe_window_secs = input.dedupe_window_seconds.unwrap_or(DEDUPE_WINDOW_SECS);
    s.handshake = input
        .handshake
        .or_else(|| Handshake::of_scheme(scheme.name()).map(|h| h.name().to_owned()));
    s.verify_token = input.verify_token;
    s.updated_at = crate::now_millis();
    state.store.update_source(&s).await?;
    Ok(Json(out(&state, s)))
}

pub(super) async fn patch_source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(patch): Body<SourcePatch>,
) -> ApiResult<Json<SourceOut>> {
    let mut s = find(&state, &auth, &id).await?;
    if let Some(n) = patch.name.as_value() {
        check_name("body.name", n)?;
    }
    if let Some(uid) = patch.uid.as_value() {
        check_uid("body.uid", uid)?;
    }
    check_tolerance(
        "body.toleranceSeconds",
        patch.tolerance_seconds.as_value().copied(),
    )?;
    if let Some(w) = patch.dedupe_window_seconds.as_value() {
        check_window("body.dedupeWindowSeconds", *w)?;
    }
    if let Some(h) = patch.handshake.as_value() {
        check_handshake("body.handshake", h)?;
    }
    if let Some(t) = patch.verify_token.as_value() {
        check_verify_token("body.verifyToken", t)?;
    }
    patch.name.apply(&mut s.name);
    patch.uid.apply_nullable(&mut s.uid);
    patch
        .tolerance_seconds
        .apply_nullable(&mut s.tolerance_secs);
    patch.dedupe_window_seconds.apply(&mut s.dedupe_window_secs);
    patch.handshake.apply_nullable(&mut s.handshake);
    patch.verify_token.apply_nullable(&mut s.verify_token);
    s.updated_at = crate::now_millis();
    state.store.update_source(&s).await?;
    Ok(Json(out(&state, s)))
}

pub(super) async fn delete_source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let s = find(&state, &auth, &id).await?;
    state.store.delete_source(&s.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn get_secret(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SourceSecretOut>> {
    let s = find(&state, &auth, &id).await?;
    Ok(Json(secret_out(&s, crate::now_millis())))
}

fn secret_out(s: &Source, now: i64) -> SourceSecretOut {
    let keys: Vec<String> = s.active_keys(now).into_iter().map(str::to_owned).collect();
    SourceSecretOut {
        key: keys.first().cloned().unwrap_or_default(),
        keys,
    }
}

/// The new key verifies at once; the keys current until now keep verifying for the grace
/// period, then stop. Keys already past their grace are dropped.
pub(super) async fn rotate_secret(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(input): Body<SourceSecretRotateIn>,
) -> ApiResult<Json<SourceSecretOut>> {
    let mut s = find(&state, &auth, &id).await?;
    let grace = input.grace_seconds.unwrap_or(DEFAULT_GRACE_SECS);
    if grace > MAX_GRACE_SECS {
        return Err(ApiError::invalid(
            "body.graceSeconds",
            "at most 604,800 seconds (7 days)",
        ));
    }
    let scheme = scheme::scheme_of(&s)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("source {}: {e}", s.id)))?;
    // The key's form is the source's scheme's: state the body cannot know, hence 409.
    if let Some(why) = scheme::key_problem(&scheme, &input.secret) {
        return Err(ApiError::Conflict(format!("secret: {why}")));
    }
    let now = crate::now_millis();
    let until = now + i64::from(grace) * 1000;
    let mut secrets = vec![SourceSecret {
        key: input.secret,
        expires_at: None,
    }];
    secrets.extend(
        s.secrets
            .drain(..)
            .filter(|k| k.expires_at.is_none_or(|t| t > now))
            .map(|k| SourceSecret {
                expires_at: Some(k.expires_at.map_or(until, |t| t.min(until))),
                key: k.key,
            }),
    );
    secrets.truncate(10);
    s.secrets = secrets;
    s.updated_at = now;
    state.store.update_source(&s).await?;
    Ok(Json(secret_out(&s, now)))
}
