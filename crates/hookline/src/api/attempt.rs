//! Attempts and per-destination views of messages: what was sent where, and how it went.
//! The delivery engine writes attempts; these paths read them and schedule resends.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Cap, Params};
use super::types::{
    EndpointMessageOut, ListResponse, MessageAttemptOut, MessageEndpointOut, format_date,
    status_text,
};
use super::{AppState, endpoint, list_response, message, page};
use crate::store::{Attempt, AttemptFilter, AttemptScope, DeliveryStatus, Order};

pub(crate) fn out(a: Attempt) -> MessageAttemptOut {
    MessageAttemptOut {
        id: a.id,
        msg_id: a.msg_id,
        endpoint_id: a.endpoint_id,
        url: a.url,
        response: a.response,
        response_status_code: a.response_status_code,
        response_duration_ms: a.response_duration_ms,
        status: a.status as i64,
        status_text: status_text(a.status).into(),
        trigger_type: a.trigger_type,
        timestamp: format_date(a.created_at),
        failure_reason: a.failure_reason,
    }
}

fn attempt_filter(params: &Params) -> ApiResult<AttemptFilter> {
    let status = match params.int("status", 0, 3)? {
        Some(n) => DeliveryStatus::from_i64(n),
        None => None,
    };
    let status_code_class = params.int("status_code_class", 0, 500)?;
    if status_code_class.is_some_and(|c| c % 100 != 0) {
        return Err(ApiError::invalid(
            "query.status_code_class",
            "one of 0, 100, 200, 300, 400, 500",
        ));
    }
    Ok(AttemptFilter {
        endpoint_id: params.str("endpoint_id").map(str::to_owned),
        status,
        status_code_class,
        event_types: params.all("event_types"),
        channel: params.str("channel").map(str::to_owned),
        before: params.date("before")?,
        after: params.date("after")?,
    })
}

pub(crate) async fn list_attempts_by_msg(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, msg_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    let (_, msg) = message::find(&state, &auth, &app_id, &msg_id).await?;
    let page = page(&params, Order::Descending)?;
    let rows = state
        .store
        .list_attempts(
            AttemptScope::Message(&msg.id),
            &page,
            &attempt_filter(&params)?,
        )
        .await?;
    Ok(Json(list_response(&page, rows, |a| a.id.clone(), out)))
}

pub(crate) async fn list_attempts_by_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    let (_, ep) = endpoint::find(&state, &auth, &app_id, &ep_id).await?;
    let page = page(&params, Order::Descending)?;
    let rows = state
        .store
        .list_attempts(
            AttemptScope::Endpoint(&ep.id),
            &page,
            &attempt_filter(&params)?,
        )
        .await?;
    Ok(Json(list_response(&page, rows, |a| a.id.clone(), out)))
}

/// Every attempt of an application's messages, with the same filters (and `endpoint_id`)
/// and cursors as the listings above. Not routed: Svix has no such operation; the
/// dashboard's delivery log calls it, so its rules are the API's.
pub(crate) async fn list_attempts_by_app(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    let app = super::app::find(&state, &auth, &app_id).await?;
    let page = page(&params, Order::Descending)?;
    let rows = state
        .store
        .list_attempts(AttemptScope::App(&app.id), &page, &attempt_filter(&params)?)
        .await?;
    Ok(Json(list_response(&page, rows, |a| a.id.clone(), out)))
}

pub(crate) async fn get_attempt(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, msg_id, attempt_id)): Path<(String, String, String)>,
) -> ApiResult<Json<MessageAttemptOut>> {
    let (_, _, a) = find(&state, &auth, &app_id, &msg_id, &attempt_id).await?;
    Ok(Json(out(a)))
}

/// The attempt of the message, as `auth` may see it (the scope of `message::find`), with
/// what the API does not answer: the headers it was sent with, which Svix's
/// `MessageAttemptOut` has no field for, so only the dashboard shows them.
pub(crate) async fn find(
    state: &AppState,
    auth: &Auth,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> ApiResult<(crate::store::Application, crate::store::Message, Attempt)> {
    let (app, msg) = message::find(state, auth, app_id, msg_id).await?;
    let a = state
        .store
        .attempt(&msg.id, attempt_id)
        .await?
        .ok_or(ApiError::NotFound("attempt"))?;
    Ok((app, msg, a))
}

pub(crate) async fn expunge_attempt_content(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, msg_id, attempt_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let (_, msg) = message::find(&state, &auth, &app_id, &msg_id).await?;
    if !state
        .store
        .expunge_attempt_content(&msg.id, &attempt_id)
        .await?
    {
        return Err(ApiError::NotFound("attempt"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoints a message was routed to, with its status at each.
pub(crate) async fn list_attempted_destinations(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, msg_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<ListResponse<MessageEndpointOut>>> {
    let (app, msg) = message::find(&state, &auth, &app_id, &msg_id).await?;
    let page = page(&params, Order::Ascending)?;
    // The same paging as the SQL lists: scan from the cursor, then restore the order.
    let ascending_scan = (page.order == Order::Ascending) != page.backwards;
    let mut deliveries: Vec<_> = state
        .store
        .deliveries_of_message(&msg.id)
        .await?
        .into_iter()
        .filter(|d| {
            page.cursor.as_ref().is_none_or(|c| {
                if ascending_scan {
                    d.endpoint_id > *c
                } else {
                    d.endpoint_id < *c
                }
            })
        })
        .collect();
    if !ascending_scan {
        deliveries.reverse();
    }
    deliveries.truncate(page.limit);
    if page.backwards {
        deliveries.reverse();
    }
    let mut rows = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        if let Some(ep) = state.store.endpoint(&app.id, &d.endpoint_id).await? {
            rows.push((ep, d));
        }
    }
    Ok(Json(list_response(
        &page,
        rows,
        |(ep, _)| ep.id.clone(),
        |(ep, d)| MessageEndpointOut {
            id: ep.id,
            uid: ep.uid,
            url: ep.url,
            description: ep.description,
            disabled: ep.disabled,
            event_types: ep.event_types,
            channels: ep.channels,
            throttle_rate: ep.throttle_rate,
            status: d.status as i64,
            status_text: status_text(d.status).into(),
            next_attempt: d
                .next_attempt_at
                .filter(|_| d.status == DeliveryStatus::Pending)
                .map(format_date),
            version: 1,
            created_at: format_date(ep.created_at),
            updated_at: format_date(ep.updated_at),
        },
    )))
}

/// The messages routed to an endpoint, with their status there.
pub(crate) async fn list_attempted_messages(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<ListResponse<EndpointMessageOut>>> {
    let (_, ep) = endpoint::find(&state, &auth, &app_id, &ep_id).await?;
    let page = page(&params, Order::Descending)?;
    let with_content = params.bool("with_content", true)?;
    let rows = state
        .store
        .messages_of_endpoint(&ep.id, &page, &message::filter(&params)?)
        .await?;
    Ok(Json(list_response(
        &page,
        rows,
        |(m, _)| m.id.clone(),
        |(m, d)| {
            let base = message::out(m, with_content);
            EndpointMessageOut {
                id: base.id,
                event_id: base.event_id,
                event_type: base.event_type,
                payload: base.payload,
                channels: base.channels,
                timestamp: base.timestamp,
                status: d.status as i64,
                status_text: status_text(d.status).into(),
                next_attempt: d
                    .next_attempt_at
                    .filter(|_| d.status == DeliveryStatus::Pending)
                    .map(format_date),
            }
        },
    )))
}

/// Schedules the message for the endpoint again, now (a manual attempt). Answers 202 with
/// `{}`, as Svix does: its reference declares a JSON body (`EmptyResponse`), and SDKs that
/// parse every 2xx body (the JS SDK 1.x) fail on an empty one.
pub(crate) async fn resend(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, msg_id, ep_id)): Path<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<serde_json::Map<String, serde_json::Value>>)> {
    let (app, msg) = message::find(&state, &auth, &app_id, &msg_id).await?;
    auth.require(Cap::CreateAttempts)?;
    let ep = state
        .store
        .endpoint(&app.id, &ep_id)
        .await?
        .ok_or(ApiError::NotFound("endpoint"))?;
    let now = crate::now_millis();
    state.store.requeue_delivery(&msg.id, &ep.id, now).await?;
    state.wake.queued(now);
    Ok((StatusCode::ACCEPTED, Json(serde_json::Map::new())))
}
