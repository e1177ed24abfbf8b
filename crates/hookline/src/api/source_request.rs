//! `/api/v1/source/{source_id}/request...`: what a source received and decided, the
//! diagnosis of a rejection, and replays of accepted events.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hookline_sig::{UnixTime, diagnose};

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Params};
use super::source::find;
use super::source_types::{
    FindingOut, ReplayOut, ReplayRangeIn, SourceRequestDetailOut, SourceRequestOut,
};
use super::types::{ListResponse, format_date, parse_date};
use super::{AppState, list_response, page};
use crate::gateway::model::{ReceivedRequest, RequestFilter, RequestStatus, Source};
use crate::gateway::scheme;
use crate::ids::new_id;
use crate::store::{Message, Order, Page};

/// The most events one range replay covers: larger ranges are replayed in several calls.
const MAX_REPLAY: usize = 10_000;

/// Header values never shown back: credentials that came with a request.
const REDACTED: &[&str] = &["authorization", "proxy-authorization", "cookie"];

fn summary(r: &ReceivedRequest) -> SourceRequestOut {
    SourceRequestOut {
        id: r.id.clone(),
        received_at: format_date(r.received_at),
        status: r.status.as_str().to_owned(),
        reason: r.reason.clone(),
        event_type: r.event_type.clone(),
        event_id: r.event_id.clone(),
        message_id: r.msg_id.clone(),
    }
}

pub(crate) async fn list_requests(
    State(state): State<AppState>,
    auth: Auth,
    Path(source_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<SourceRequestOut>>> {
    let source = find(&state, &auth, &source_id).await?;
    let page = page(&params, Order::Descending)?;
    let status = match params.str("status") {
        None => None,
        Some(s) => Some(RequestStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "query.status",
                format!("expected accepted, duplicate or rejected, got {s:?}"),
            )
        })?),
    };
    let filter = RequestFilter {
        status,
        before: params.date("before")?,
        after: params.date("after")?,
    };
    let rows = state
        .store
        .list_requests(&source.id, &page, &filter)
        .await?;
    Ok(Json(list_response(
        &page,
        rows,
        |r| r.id.clone(),
        |r| summary(&r),
    )))
}

pub(crate) async fn get_request(
    State(state): State<AppState>,
    auth: Auth,
    Path((source_id, req_id)): Path<(String, String)>,
) -> ApiResult<Json<SourceRequestDetailOut>> {
    let source = find(&state, &auth, &source_id).await?;
    let r = state
        .store
        .request(&source.id, &req_id)
        .await?
        .ok_or(ApiError::NotFound("request"))?;
    let body = match r.status {
        RequestStatus::Rejected => Some(String::from_utf8_lossy(&r.body).into_owned()),
        _ => match &r.msg_id {
            Some(m) => state
                .store
                .message(&source.app_id, m)
                .await?
                .and_then(|m| m.body().ok().flatten())
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            None => None,
        },
    };
    let diagnosis = (r.status == RequestStatus::Rejected).then(|| diagnosis(&source, &r));
    let headers = r
        .headers
        .iter()
        .map(|(k, v)| {
            let shown = if REDACTED.contains(&k.to_ascii_lowercase().as_str()) {
                "[redacted]".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect();
    Ok(Json(SourceRequestDetailOut {
        summary: summary(&r),
        url: r.url.clone(),
        headers,
        body,
        diagnosis,
    }))
}

/// The diagnosis of a rejected request, as of when it was received and with the keys the
/// source has now (an expired key that signed it shows as the wrong key). A diagnosis
/// re-verifies a few dozen times, so it runs here, when a person asks, and never on the
/// path that answers forgeries.
fn diagnosis(source: &Source, r: &ReceivedRequest) -> Vec<FindingOut> {
    let Ok(scheme) = scheme::scheme_of(source) else {
        return Vec::new();
    };
    let keys = source.active_keys(r.received_at);
    let req = hookline_sig::Request::new(&r.headers, &r.body).with_url(&r.url);
    let d = diagnose(&scheme, &keys, &req, UnixTime::from_millis(r.received_at));
    d.findings
        .into_iter()
        .map(|f| FindingOut {
            kind: format!("{:?}", f.kind),
            message: f.message,
            fix: f.fix,
        })
        .collect()
}

/// A new message of the source's application from an accepted request's message: the same
/// body, content type and provider headers, no event id (a replay is deliberately a repeat).
async fn replay_one(state: &AppState, source: &Source, r: &ReceivedRequest) -> ApiResult<String> {
    let msg_id = r
        .msg_id
        .as_deref()
        .ok_or_else(|| ApiError::Conflict("the request has no message to replay".into()))?;
    let original = state
        .store
        .message(&source.app_id, msg_id)
        .await?
        .ok_or_else(|| ApiError::Conflict("the request's message no longer exists".into()))?;
    let Some(payload) = original.payload else {
        return Err(ApiError::Conflict(
            "the request's body has expired or was expunged".into(),
        ));
    };
    let now = crate::now_millis();
    let msg = Message {
        id: new_id("msg"),
        app_id: source.app_id.clone(),
        event_id: None,
        event_type: original.event_type,
        channels: original.channels,
        payload: Some(payload),
        payload_expires_at: original.payload_expires_at.max(now),
        created_at: now,
        forward: original.forward,
    };
    let queued = state
        .store
        .create_message(&msg, &crate::store::Targets::Matching, now)
        .await?;
    state.metrics.message_accepted();
    if queued > 0 {
        state.wake.queued(now);
    }
    Ok(msg.id)
}

pub(crate) async fn replay_request(
    State(state): State<AppState>,
    auth: Auth,
    Path((source_id, req_id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<ReplayOut>)> {
    let source = find(&state, &auth, &source_id).await?;
    let r = state
        .store
        .request(&source.id, &req_id)
        .await?
        .ok_or(ApiError::NotFound("request"))?;
    // A duplicate names the message its event first became: replaying it replays that
    // event, as replaying the accepted request would. A rejection never became one.
    if r.status == RequestStatus::Rejected {
        return Err(ApiError::Conflict(
            "only accepted and duplicate requests can be replayed; this one was rejected".into(),
        ));
    }
    let id = replay_one(&state, &source, &r).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ReplayOut {
            message_ids: vec![id],
            count: 1,
            dry_run: false,
        }),
    ))
}

/// Every accepted event received in `[since, until)`, oldest first; with `dryRun`, only
/// their count.
pub(super) async fn replay_range(
    State(state): State<AppState>,
    auth: Auth,
    Path(source_id): Path<String>,
    Body(input): Body<ReplayRangeIn>,
) -> ApiResult<(StatusCode, Json<ReplayOut>)> {
    let source = find(&state, &auth, &source_id).await?;
    let since = parse_date("body.since", &input.since)?;
    let until = match &input.until {
        Some(u) => parse_date("body.until", u)?,
        None => crate::now_millis() + 1,
    };
    let filter = RequestFilter {
        status: Some(RequestStatus::Accepted),
        // `after` is exclusive in listings: one millisecond earlier makes `since` inclusive.
        after: Some(since - 1),
        before: Some(until),
    };
    let mut found = Vec::new();
    let mut cursor = None;
    // An empty range (`until` not after `since`) covers nothing.
    let mut more = until > since;
    while more {
        let page = Page {
            limit: 251,
            cursor: cursor.clone(),
            backwards: false,
            order: Order::Ascending,
        };
        let rows = state
            .store
            .list_requests(&source.id, &page, &filter)
            .await?;
        more = rows.len() == page.limit && found.len() + rows.len() < MAX_REPLAY;
        cursor = rows.last().map(|r| r.id.clone());
        found.extend(rows);
    }
    found.truncate(MAX_REPLAY);
    let count = found.len() as u64;
    let mut message_ids = Vec::new();
    if !input.dry_run {
        for r in &found {
            message_ids.push(replay_one(&state, &source, r).await?);
        }
    }
    let status = if input.dry_run {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(ReplayOut {
            message_ids,
            count,
            dry_run: input.dry_run,
        }),
    ))
}
