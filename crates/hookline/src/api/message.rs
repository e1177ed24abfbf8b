//! `/api/v1/app/{app_id}/msg`: messages. Accepting a message writes it and its deliveries
//! (one per matching endpoint) in one transaction; a 202 means both are committed.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Params};
use super::types::{ListResponse, MessageIn, MessageOut, check_list, check_uid, format_date};
use super::{AppState, app, list_response, page};
use crate::ids::new_id;
use crate::store::{Application, Message, MessageFilter, Order, Targets};

pub(crate) fn out(m: Message, with_content: bool) -> MessageOut {
    let payload = match (&m.payload, with_content) {
        (Some(p), true) => serde_json::from_str(p).unwrap_or(Value::Null),
        _ => Value::Object(serde_json::Map::new()),
    };
    MessageOut {
        id: m.id,
        event_id: m.event_id,
        event_type: m.event_type,
        payload,
        channels: m.channels,
        timestamp: format_date(m.created_at),
    }
}

/// Stores a message and its deliveries: to `only` when given, else to every matching endpoint.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn store_message(
    state: &AppState,
    app: &Application,
    event_id: Option<String>,
    event_type: String,
    payload: Value,
    channels: Option<Vec<String>>,
    retention_hours: i64,
    only: Option<Vec<String>>,
) -> ApiResult<Message> {
    let now = crate::now_millis();
    let targets = only.map_or(Targets::Matching, Targets::Only);
    let msg = Message {
        id: new_id("msg"),
        app_id: app.id.clone(),
        event_id,
        event_type,
        channels,
        payload: Some(payload.to_string()),
        payload_expires_at: now + retention_hours * 3_600_000,
        created_at: now,
        forward: None,
    };
    let queued = state.store.create_message(&msg, &targets, now).await?;
    state.metrics.message_accepted();
    if queued > 0 {
        state.wake.queued(now);
    }
    Ok(msg)
}

pub(crate) async fn create_message(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    params: Params,
    Body(input): Body<MessageIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    check_uid("body.eventType", &input.event_type)?;
    if let Some(id) = &input.event_id {
        check_uid("body.eventId", id)?;
    }
    if let Some(ch) = &input.channels {
        check_list("body.channels", ch, 0, 5, 128)?;
    }
    if let Some(a) = &input.application {
        app::check(a, "body.application")?;
    }
    if !input.payload.is_object() {
        return Err(ApiError::invalid("body.payload", "must be a JSON object"));
    }
    let retention_hours = match (
        input.payload_retention_hours,
        input.payload_retention_period,
    ) {
        (Some(h), _) if (1..=90 * 24).contains(&h) => h,
        (Some(_), _) => {
            return Err(ApiError::invalid(
                "body.payloadRetentionHours",
                "must be from 1 to 2160",
            ));
        }
        (None, Some(d)) if (5..=90).contains(&d) => d * 24,
        (None, Some(_)) => {
            return Err(ApiError::invalid(
                "body.payloadRetentionPeriod",
                "must be from 5 to 90 days",
            ));
        }
        (None, None) => 90 * 24,
    };
    let with_content = params.bool("with_content", true)?;
    let app = match state.app(&app_id).await? {
        Some(a) if auth.can_see(&a.id) => a,
        Some(_) => return Err(ApiError::NotFound("application")),
        None => match input.application {
            // Svix: create the application on the fly, addressable by the id used in the path.
            Some(new) => {
                auth.require_admin()?;
                app::create_on_the_fly(&state, &app_id, new, "body.application").await?
            }
            None => return Err(ApiError::NotFound("application")),
        },
    };
    let msg = store_message(
        &state,
        &app,
        input.event_id,
        input.event_type,
        input.payload,
        input.channels,
        retention_hours,
        None,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(out(msg, with_content))))
}

/// Filters shared by message and attempt listings.
pub(crate) fn filter(params: &Params) -> ApiResult<MessageFilter> {
    let delivery_status = match params.int("status", 0, 3)? {
        Some(n) => crate::store::DeliveryStatus::from_i64(n),
        None => None,
    };
    Ok(MessageFilter {
        delivery_status,
        channel: params.str("channel").map(str::to_owned),
        event_types: params.all("event_types"),
        before: params.date("before")?,
        after: params.date("after")?,
    })
}

pub(crate) async fn list_messages(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageOut>>> {
    let app = app::find(&state, &auth, &app_id).await?;
    let page = page(&params, Order::Descending)?;
    let with_content = params.bool("with_content", true)?;
    let rows = state
        .store
        .list_messages(&app.id, &page, &filter(&params)?)
        .await?;
    Ok(Json(list_response(
        &page,
        rows,
        |m| m.id.clone(),
        |m| out(m, with_content),
    )))
}

pub(crate) async fn find(
    state: &AppState,
    auth: &Auth,
    app_id: &str,
    msg_id: &str,
) -> ApiResult<(Application, Message)> {
    let app = app::find(state, auth, app_id).await?;
    let msg = state
        .store
        .message(&app.id, msg_id)
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    Ok((app, msg))
}

pub(crate) async fn get_message(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, msg_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<MessageOut>> {
    let (_, msg) = find(&state, &auth, &app_id, &msg_id).await?;
    Ok(Json(out(msg, params.bool("with_content", true)?)))
}

pub(crate) async fn expunge_content(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, msg_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (app, msg) = find(&state, &auth, &app_id, &msg_id).await?;
    state
        .store
        .expunge_message_content(&app.id, &msg.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
