//! `POST /in/{source}` and `GET /in/{source}`: receive, verify, de-duplicate, commit, answer.
//!
//! The order is the point: the size is checked before the body is read (413), the body is
//! verified before anything in it is believed, and 200 is sent only once the event, its
//! deliveries and the request's record are committed together. A request that cannot be
//! taken now (too many in progress) gets 429 with `Retry-After`, never a silent drop.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hookline_sig::UnixTime;
use hookline_sig::receive::handshake::{self, Handshake, Reply};
use hookline_sig::receive::{Decision, Rejected, receive};
use serde_json::json;

use super::forward::provider_headers;
use super::model::{Forward, ReceivedRequest, RequestStatus, Source};
use super::resolved::Check;
use super::{REJECTED_BODY_BYTES, REJECTED_PER_SOURCE};
use crate::api::AppState;
use crate::ids::new_id;
use crate::store::Message;

/// How long a forwarded message's body is kept (the longest a sent message may ask for).
const FORWARD_RETENTION_MS: i64 = 90 * 24 * 3_600_000;

/// A JSON error answer: `{"code", "detail"}`, the API's shape.
fn error(status: StatusCode, code: &str, detail: impl Into<String>) -> Response {
    let body = json!({"code": code, "detail": detail.into()});
    (status, axum::Json(body)).into_response()
}

fn reply(r: Reply) -> Response {
    let mut resp = (
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK),
        Bytes::from(r.body),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    // The challenge is text the caller chose: never let a browser sniff it into HTML.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

fn busy() -> Response {
    let mut resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        "this node is receiving as much as it can; retry shortly",
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

fn unknown_source() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "source not found")
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "receiving a webhook");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_server_error",
        "internal server error",
    )
}

/// The source named in the path, resolved (see `resolved`), or the answer to give.
async fn resolve(
    state: &AppState,
    source_id: &str,
    now: i64,
) -> Result<std::sync::Arc<super::resolved::Resolved>, Response> {
    match state
        .gateway
        .sources
        .get(&*state.store, source_id, now)
        .await
    {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(unknown_source()),
        Err(e) => Err(internal(e)),
    }
}

/// The handshake this source answers, if any.
fn handshake_of(source: &Source) -> Option<Handshake> {
    source.handshake.as_deref().and_then(Handshake::parse)
}

/// `GET /in/{source}`: the GET handshakes (Meta's `hub.challenge`, Twitter's CRC).
pub async fn handshake_get(
    State(state): State<AppState>,
    Path(source_id): Path<String>,
    req: Request,
) -> Response {
    let now = crate::now_millis();
    let resolved = match resolve(&state, &source_id, now).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let source = &resolved.source;
    let query = req.uri().query().unwrap_or_default();
    let answer = match handshake_of(source) {
        Some(Handshake::Meta) => handshake::meta(query, source.verify_token.as_deref()),
        Some(Handshake::Twitter) => source
            .active_keys(now)
            .first()
            .and_then(|k| handshake::twitter(query, k.as_bytes())),
        _ => None,
    };
    match answer {
        Some(Ok(r)) => reply(r),
        Some(Err(e)) => error(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN),
            "handshake_refused",
            e.to_string(),
        ),
        None => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "webhooks are received with POST; this source answers no GET handshake",
        ),
    }
}

/// `POST /in/{source}`.
pub async fn receive_event(
    State(state): State<AppState>,
    Path(source_id): Path<String>,
    req: Request,
) -> Response {
    let Ok(_permit) = state.gateway.in_flight.clone().try_acquire_owned() else {
        state.metrics.gateway_busy();
        return busy();
    };
    let limit = state.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let now = crate::now_millis();
    let resolved = match resolve(&state, &source_id, now).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let source = &resolved.source;
    let (parts, body) = req.into_parts();
    // Reads at most `limit` bytes: a chunked body that runs past it is refused unread.
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return too_large(limit);
    };
    let query = parts.uri.query().unwrap_or_default();
    if handshake_of(source) == Some(Handshake::Graph)
        && let Some(answer) = handshake::graph(query)
    {
        return match answer {
            Ok(r) => reply(r),
            Err(e) => error(StatusCode::BAD_REQUEST, "handshake_refused", e.to_string()),
        };
    }
    let url = format!(
        "{}{}",
        state.public_url,
        parts.uri.path_and_query().map_or("", |p| p.as_str())
    );
    let decision = match &resolved.check {
        Check::Ready(v) => receive(
            v,
            &hookline_sig::Request::new(&parts.headers, &body).with_url(&url),
            UnixTime::from_millis(now),
        ),
        Check::NoKey => {
            return error(
                StatusCode::UNAUTHORIZED,
                "verification_failed",
                "no key of this source is active",
            );
        }
        Check::Broken(why) => return internal(why),
    };
    let accepted = match decision {
        Decision::Accepted(a) => a,
        Decision::Rejected(r) => {
            return reject(&state, source, &parts.headers, &url, &body, r, now);
        }
        _ => return internal("unknown decision"),
    };
    // A signed handshake is answered once it verified, and not forwarded.
    let signed_handshake = match handshake_of(source) {
        Some(Handshake::Slack) => handshake::slack(&body),
        Some(Handshake::Zoom) => source
            .active_keys(now)
            .get(accepted.key_index)
            .and_then(|k| handshake::zoom(&body, k.as_bytes())),
        _ => None,
    };
    if let Some(r) = signed_handshake {
        return reply(r);
    }
    // Any bytes are taken: a body that is not text is kept in base64 and sent decoded.
    let (payload, base64) = Forward::encode(&body);
    let event_type = accepted
        .event
        .event_type
        .clone()
        .unwrap_or_else(|| source.name.clone());
    let headers = header_pairs(&parts.headers);
    let forward = Forward {
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned(),
        headers: provider_headers(&headers),
        base64,
    };
    let event_id = accepted.event.id.clone();
    let msg = Message {
        id: new_id("msg"),
        app_id: source.app_id.clone(),
        event_id: Some(event_id.clone()),
        event_type: event_type.clone(),
        channels: None,
        payload: Some(payload),
        payload_expires_at: now + FORWARD_RETENTION_MS,
        created_at: now,
        forward: Some(forward),
    };
    let request = ReceivedRequest {
        id: new_id("req"),
        source_id: source.id.clone(),
        received_at: now,
        status: RequestStatus::Accepted,
        reason: None,
        event_id: Some(event_id.clone()),
        event_type: Some(event_type),
        msg_id: None,
        url,
        headers,
        body: Vec::new(),
        expires_at: now + FORWARD_RETENTION_MS,
    };
    // The event, its deliveries and the request's record, in one group commit: the 200
    // below means all three are on disk.
    let window_ms = i64::from(source.dedupe_window_secs) * 1000;
    let received = match state
        .store
        .receive_event(&msg, &request, window_ms, now)
        .await
    {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let (status, msg_id) = (received.status, received.msg_id);
    if status == RequestStatus::Accepted {
        state.metrics.message_accepted();
        if received.queued > 0 {
            state.wake.queued(now);
        }
    }
    state.metrics.gateway_received(status.as_str());
    (
        StatusCode::OK,
        axum::Json(json!({
            "status": status.as_str(),
            "requestId": request.id,
            "eventId": event_id,
            "messageId": msg_id,
        })),
    )
        .into_response()
}

fn too_large(limit: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than the limit of {limit} bytes"),
    )
}

/// The request's headers as pairs (values that are not text are left out).
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

/// Answers a rejection and records it (within the rejection log's budget, in the
/// background: the log is best effort, the answer is not).
fn reject(
    state: &AppState,
    source: &Source,
    headers: &HeaderMap,
    url: &str,
    body: &[u8],
    r: Rejected,
    now: i64,
) -> Response {
    state.metrics.gateway_received("rejected");
    if state.gateway.take_reject_slot(now) {
        let keep_ms = i64::try_from(state.gateway.rejected_keep_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000);
        let request = ReceivedRequest {
            id: new_id("req"),
            source_id: source.id.clone(),
            received_at: now,
            status: RequestStatus::Rejected,
            reason: Some(r.reason.clone()),
            event_id: None,
            event_type: None,
            msg_id: None,
            url: url.to_owned(),
            headers: header_pairs(headers),
            body: body[..body.len().min(REJECTED_BODY_BYTES)].to_vec(),
            expires_at: now.saturating_add(keep_ms),
        };
        let store = state.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.record_rejection(&request, REJECTED_PER_SOURCE).await {
                tracing::warn!(error = %e, source = %request.source_id, "recording a rejected request");
            }
        });
    }
    let (status, code) = match r.kind.status() {
        400 => (StatusCode::BAD_REQUEST, "missing_headers"),
        _ => (StatusCode::UNAUTHORIZED, "verification_failed"),
    };
    error(status, code, r.reason)
}
