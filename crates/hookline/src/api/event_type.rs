//! `/api/v1/event-type`: event types, global to the server. Writes need an admin token;
//! app-portal tokens may read.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Params};
use super::types::{
    EventTypeIn, EventTypeOut, EventTypePatch, EventTypeUpdate, ListResponse, check_uid,
    format_date,
};
use super::{AppState, list_response, page};
use crate::store::{EventType, Order};

fn out(e: EventType, with_content: bool) -> EventTypeOut {
    EventTypeOut {
        name: e.name,
        description: e.description,
        archived: e.archived,
        deprecated: e.deprecated,
        feature_flag: e.feature_flag,
        schemas: if with_content { e.schemas } else { None },
        created_at: format_date(e.created_at),
        updated_at: format_date(e.updated_at),
    }
}

fn check_flag(flag: Option<&String>) -> ApiResult<()> {
    flag.map_or(Ok(()), |f| check_uid("body.featureFlag", f))
}

/// `schemas` maps versions to JSON Schemas: an object, as Svix's reference declares.
fn check_schemas(schemas: Option<&serde_json::Value>) -> ApiResult<()> {
    match schemas {
        Some(v) if !v.is_object() => Err(ApiError::invalid(
            "body.schemas",
            "must be an object (versions to JSON Schemas)",
        )),
        _ => Ok(()),
    }
}

async fn find(state: &AppState, name: &str) -> ApiResult<EventType> {
    state
        .store
        .event_type(name)
        .await?
        .ok_or(ApiError::NotFound("event type"))
}

pub(crate) async fn list_event_types(
    State(state): State<AppState>,
    _auth: Auth,
    params: Params,
) -> ApiResult<Json<ListResponse<EventTypeOut>>> {
    let page = page(&params, Order::Ascending)?;
    let with_content = params.bool("with_content", false)?;
    let rows = state
        .store
        .list_event_types(&page, params.bool("include_archived", false)?)
        .await?;
    Ok(Json(list_response(
        &page,
        rows,
        |e| e.name.clone(),
        |e| out(e, with_content),
    )))
}

pub(crate) async fn create_event_type(
    State(state): State<AppState>,
    auth: Auth,
    Body(input): Body<EventTypeIn>,
) -> ApiResult<(StatusCode, Json<EventTypeOut>)> {
    auth.require_admin()?;
    check_uid("body.name", &input.name)?;
    check_flag(input.feature_flag.as_ref())?;
    check_schemas(input.schemas.as_ref())?;
    let now = crate::now_millis();
    // Svix: creating an event type that was archived brings it back, with the new fields.
    if let Some(mut old) = state
        .store
        .event_type(&input.name)
        .await?
        .filter(|e| e.archived)
    {
        old.description = input.description;
        old.archived = input.archived;
        old.deprecated = input.deprecated;
        old.feature_flag = input.feature_flag;
        old.schemas = input.schemas;
        old.updated_at = now;
        state.store.update_event_type(&old).await?;
        return Ok((StatusCode::CREATED, Json(out(old, true))));
    }
    let et = EventType {
        name: input.name,
        description: input.description,
        archived: input.archived,
        deprecated: input.deprecated,
        feature_flag: input.feature_flag,
        schemas: input.schemas,
        created_at: now,
        updated_at: now,
    };
    state.store.create_event_type(&et).await?;
    Ok((StatusCode::CREATED, Json(out(et, true))))
}

pub(crate) async fn get_event_type(
    State(state): State<AppState>,
    _auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<EventTypeOut>> {
    Ok(Json(out(find(&state, &name).await?, true)))
}

/// PUT: replaces, or creates (201) when unknown.
pub(crate) async fn update_event_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Body(input): Body<EventTypeUpdate>,
) -> ApiResult<(StatusCode, Json<EventTypeOut>)> {
    auth.require_admin()?;
    check_flag(input.feature_flag.as_ref())?;
    check_schemas(input.schemas.as_ref())?;
    let now = crate::now_millis();
    match state.store.event_type(&name).await? {
        Some(mut et) => {
            et.description = input.description;
            et.archived = input.archived;
            et.deprecated = input.deprecated;
            et.feature_flag = input.feature_flag;
            et.schemas = input.schemas;
            et.updated_at = now;
            state.store.update_event_type(&et).await?;
            Ok((StatusCode::OK, Json(out(et, true))))
        }
        None => {
            check_uid("path.event_type_name", &name)?;
            let et = EventType {
                name,
                description: input.description,
                archived: input.archived,
                deprecated: input.deprecated,
                feature_flag: input.feature_flag,
                schemas: input.schemas,
                created_at: now,
                updated_at: now,
            };
            state.store.create_event_type(&et).await?;
            Ok((StatusCode::CREATED, Json(out(et, true))))
        }
    }
}

pub(crate) async fn patch_event_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Body(patch): Body<EventTypePatch>,
) -> ApiResult<Json<EventTypeOut>> {
    auth.require_admin()?;
    let mut et = find(&state, &name).await?;
    check_flag(patch.feature_flag.as_value())?;
    check_schemas(patch.schemas.as_value())?;
    patch.description.apply(&mut et.description);
    patch.archived.apply(&mut et.archived);
    patch.deprecated.apply(&mut et.deprecated);
    patch.feature_flag.apply_nullable(&mut et.feature_flag);
    patch.schemas.apply_nullable(&mut et.schemas);
    et.updated_at = crate::now_millis();
    state.store.update_event_type(&et).await?;
    Ok(Json(out(et, true)))
}

/// Archives the event type (Svix's behaviour: messages keep a valid type).
pub(crate) async fn delete_event_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    if !state.store.delete_event_type(&name).await? {
        return Err(ApiError::NotFound("event type"));
    }
    Ok(StatusCode::NO_CONTENT)
}
