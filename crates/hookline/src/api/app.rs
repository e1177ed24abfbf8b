//! `/api/v1/app`: applications.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Params};
use super::types::{
    ApplicationIn, ApplicationOut, ApplicationPatch, ListResponse, check_metadata, check_throttle,
    check_uid, format_date,
};
use super::{AppState, list_response, page};
use crate::ids::new_id;
use crate::store::{Application, Order};

pub(crate) fn out(a: Application) -> ApplicationOut {
    ApplicationOut {
        id: a.id,
        uid: a.uid,
        name: a.name,
        throttle_rate: a.throttle_rate,
        metadata: a.metadata,
        created_at: format_date(a.created_at),
        updated_at: format_date(a.updated_at),
    }
}

pub(crate) fn check(input: &ApplicationIn, loc: &str) -> ApiResult<()> {
    if input.name.trim().is_empty() {
        return Err(ApiError::invalid(
            &format!("{loc}.name"),
            "must not be empty",
        ));
    }
    if let Some(uid) = &input.uid {
        check_uid(&format!("{loc}.uid"), uid)?;
    }
    check_throttle(&format!("{loc}.throttleRate"), input.throttle_rate)?;
    check_metadata(&format!("{loc}.metadata"), &input.metadata)
}

/// A new application from checked input.
pub(crate) fn new_app(input: ApplicationIn, now: i64) -> Application {
    Application {
        id: new_id("app"),
        uid: input.uid,
        name: input.name,
        metadata: input.metadata,
        throttle_rate: input.throttle_rate,
        created_at: now,
        updated_at: now,
    }
}

/// Creates an application named by a path that did not resolve (Svix's "create on the
/// fly"): the path becomes its uid unless the body gives one. A concurrent request that
/// created it first wins, and its application is used.
pub(crate) async fn create_on_the_fly(
    state: &AppState,
    path_id: &str,
    input: ApplicationIn,
    loc: &str,
) -> ApiResult<Application> {
    check(&input, loc)?;
    check_uid("path.app_id", path_id)?;
    let uid = input.uid.clone().or_else(|| Some(path_id.to_owned()));
    let app = new_app(ApplicationIn { uid, ..input }, crate::now_millis());
    match state.store.create_app(&app).await {
        Ok(()) => Ok(app),
        Err(crate::store::StoreError::Conflict(_)) => state
            .store
            .app(app.uid.as_deref().unwrap_or_default())
            .await?
            .ok_or(ApiError::NotFound("application")),
        Err(e) => Err(e.into()),
    }
}

/// The application `id_or_uid`, if this token may see it.
pub(crate) async fn find(state: &AppState, auth: &Auth, id_or_uid: &str) -> ApiResult<Application> {
    match state.app(id_or_uid).await? {
        Some(a) if auth.can_see(&a.id) => Ok(a),
        _ => Err(ApiError::NotFound("application")),
    }
}

pub(crate) async fn list_apps(
    State(state): State<AppState>,
    auth: Auth,
    params: Params,
) -> ApiResult<Json<ListResponse<ApplicationOut>>> {
    auth.require_admin()?;
    let page = page(&params, Order::Ascending)?;
    let rows = state.store.list_apps(&page).await?;
    Ok(Json(list_response(&page, rows, |a| a.id.clone(), out)))
}

pub(crate) async fn create_app(
    State(state): State<AppState>,
    auth: Auth,
    params: Params,
    Body(input): Body<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    auth.require_admin()?;
    check(&input, "body")?;
    if params.bool("get_if_exists", false)?
        && let Some(uid) = &input.uid
        && let Some(existing) = state.store.app(uid).await?
    {
        return Ok((StatusCode::OK, Json(out(existing))));
    }
    let app = new_app(input, crate::now_millis());
    state.store.create_app(&app).await?;
    Ok((StatusCode::CREATED, Json(out(app))))
}

pub(crate) async fn get_app(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
) -> ApiResult<Json<ApplicationOut>> {
    Ok(Json(out(find(&state, &auth, &app_id).await?)))
}

/// PUT: replaces the application, or creates it (201) when `app_id` is unknown, with
/// `app_id` as its uid.
pub(crate) async fn update_app(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    Body(input): Body<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    check(&input, "body")?;
    let now = crate::now_millis();
    match state.store.app(&app_id).await? {
        Some(mut app) if auth.can_see(&app.id) => {
            // App-portal tokens read their application; changing it is the owner's call.
            auth.require_admin()?;
            app.name = input.name;
            app.uid = input.uid;
            app.throttle_rate = input.throttle_rate;
            app.metadata = input.metadata;
            app.updated_at = now;
            state.store.update_app(&app).await?;
            Ok((StatusCode::OK, Json(out(app))))
        }
        Some(_) => Err(ApiError::NotFound("application")),
        None => {
            auth.require_admin()?;
            let app = create_on_the_fly(&state, &app_id, input, "body").await?;
            Ok((StatusCode::CREATED, Json(out(app))))
        }
    }
}

pub(crate) async fn patch_app(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    Body(patch): Body<ApplicationPatch>,
) -> ApiResult<Json<ApplicationOut>> {
    let mut app = find(&state, &auth, &app_id).await?;
    auth.require_admin()?;
    if patch.name.as_value().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::invalid("body.name", "must not be empty"));
    }
    if let Some(uid) = patch.uid.as_value() {
        check_uid("body.uid", uid)?;
    }
    check_throttle("body.throttleRate", patch.throttle_rate.as_value().copied())?;
    if let Some(m) = patch.metadata.as_value() {
        check_metadata("body.metadata", m)?;
    }
    patch.name.apply(&mut app.name);
    patch.uid.apply_nullable(&mut app.uid);
    patch.throttle_rate.apply_nullable(&mut app.throttle_rate);
    patch.metadata.apply(&mut app.metadata);
    app.updated_at = crate::now_millis();
    state.store.update_app(&app).await?;
    Ok(Json(out(app)))
}

pub(crate) async fn delete_app(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
) -> ApiResult<StatusCode> {
    let app = find(&state, &auth, &app_id).await?;
    auth.require_admin()?;
    state.store.delete_app(&app.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
