//! `hookline listen`'s side of the server: a listener endpoint's deliveries, streamed to
//! the connected CLI one at a time, oldest first, and the CLI's report of what its local
//! app answered, recorded as the attempt (see `engine::listener`).
//!
//! `GET .../endpoint/{ep}/listen` answers a stream of JSON lines (`application/x-ndjson`):
//! `{"type":"event", ...}` with the request exactly as a worker would have sent it (signed
//! now, in the endpoint's scheme), and `{"type":"ping"}` every few seconds, by which both
//! sides notice a dead connection. The next event is sent once the last one is answered
//! (`POST .../listen/result`) or its lease ran out, so events arrive in order and none
//! twice while the connection holds. Answers may reach any node: a stream finds out from
//! the database, woken at once when the answer reached its own node.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body as HttpBody;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Params};
use super::{AppState, endpoint};
use crate::engine::deliver::{Prepared, draw, request};
use crate::engine::listener::is_listener_url;
use crate::engine::retry::{Decision, Outcome};
use crate::ids::new_id;
use crate::store::{Attempt, Claim, DeliveryStatus, DeliveryUpdate, Endpoint, Millis, Store};

/// How often a ping line goes out on an idle stream.
const PING: Duration = Duration::from_secs(5);
/// How long the CLI has to answer one event before it is offered again.
const LEASE: Duration = Duration::from_secs(60);
/// How often a stream looks for new work, or for an answer that reached another node.
/// (The engine's wake-ups have one consumer, the engine; a listener is a developer's loop,
/// where a tenth of a second is not felt.)
const POLL: Duration = Duration::from_millis(100);
/// The most of a local app's answer kept in the attempt log (as for sent attempts).
const RESPONSE_LIMIT: usize = 64 * 1024;

/// What this node's streams share: the answers they wait on, and which stream is each
/// endpoint's current one (a listener that connects again supersedes its earlier stream
/// on this node, which ends instead of taking events for a connection that is gone).
#[derive(Default)]
pub struct Answers {
    answered: tokio::sync::Notify,
    current: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    /// The server is shutting down: streams end (a stream is a request that never
    /// finishes by itself, and shutdown waits for requests in progress).
    closing: std::sync::atomic::AtomicBool,
}

impl Answers {
    /// Ends every stream of this node (at shutdown); their listeners reconnect elsewhere
    /// or later.
    pub fn close_all(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.answered.notify_waiters();
    }

    /// Makes a new stream the endpoint's current one; returns its number.
    fn take_over(&self, endpoint_id: &str) -> u64 {
        let mut current = self.lock();
        let n = current.get(endpoint_id).map_or(1, |n| n + 1);
        current.insert(endpoint_id.to_owned(), n);
        n
    }

    fn is_current(&self, endpoint_id: &str, n: u64) -> bool {
        self.lock().get(endpoint_id) == Some(&n)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, u64>> {
        // Poisoned only if a holder panicked; the map is still a valid map.
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(super) async fn listen(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, endpoint_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    let (_, ep) = endpoint::find(&state, &auth, &app_id, &endpoint_id).await?;
    if !is_listener_url(&ep.url) {
        return Err(ApiError::Conflict(
            "not a listener endpoint (its URL is not https://listener.hookline.invalid/...)".into(),
        ));
    }
    let now = crate::now_millis();
    let skip_before = if params.bool("only_new", false)? {
        Some(now)
    } else {
        params.date("since")?
    };
    // A listener connecting takes over what one before it left unanswered.
    state.store.release_endpoint_claims(&ep.id, now).await?;
    let skipped = match skip_before {
        Some(before) => state.store.skip_pending_before(&ep.id, before, now).await?,
        None => 0,
    };
    tracing::info!(endpoint = %ep.id, skipped, "listener connected");
    let session = Session {
        store: state.store.clone(),
        number: state.listen.take_over(&ep.id),
        answers: state.listen.clone(),
        endpoint_id: ep.id,
        retry: state.retry.clone(),
        started: false,
        skipped,
    };
    let lines = futures_util::stream::unfold(session, |mut s| async move {
        let line = s.next_line().await?;
        Some((Ok::<_, std::convert::Infallible>(line), s))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        HttpBody::from_stream(lines),
    )
        .into_response())
}

/// One connected listener's stream.
struct Session {
    store: Arc<dyn Store>,
    /// See `Answers::take_over`.
    number: u64,
    answers: Arc<Answers>,
    endpoint_id: String,
    retry: Arc<crate::engine::retry::RetryPolicy>,
    started: bool,
    skipped: u64,
}

impl Session {
    /// The next line: a greeting first, then events, with pings while there are none;
    /// `None` (the end) once a newer stream took over.
    async fn next_line(&mut self) -> Option<String> {
        if !self.started {
            self.started = true;
            return Some(line(&json!({"type": "hello", "skipped": self.skipped})));
        }
        let deadline = tokio::time::Instant::now() + PING;
        loop {
            if !self.answers.is_current(&self.endpoint_id, self.number)
                || self
                    .answers
                    .closing
                    .load(std::sync::atomic::Ordering::SeqCst)
            {
                return None;
            }
            // One at a time: nothing new while an event is out with the CLI.
            match self.outstanding().await {
                Ok(false) => match self.claim().await {
                    Ok(Some(event)) => return Some(line(&event)),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "listener: claiming"),
                },
                Ok(true) => {}
                Err(e) => tracing::warn!(error = %e, "listener: reading its deliveries"),
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Some(line(&json!({"type": "ping"})));
            }
            let wait = POLL.min(deadline - now);
            tokio::select! {
                () = self.answers.answered.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Whether one of the endpoint's deliveries is out (claimed, unanswered, leased).
    async fn outstanding(&self) -> crate::store::Result<bool> {
        self.store
            .endpoint_has_claims(&self.endpoint_id, crate::now_millis())
            .await
    }

    /// Claims the oldest due delivery and turns it into an event line.
    async fn claim(&self) -> Result<Option<Value>, String> {
        let now = crate::now_millis();
        let lease_until = now + i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        let mut claims = self
            .store
            .claim_for(now, lease_until, &[(self.endpoint_id.clone(), 1)])
            .await
            .map_err(|e| e.to_string())?;
        let Some(claim) = claims.pop() else {
            return Ok(None);
        };
        let ep = self
            .store
            .endpoint_by_id(&self.endpoint_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the endpoint was deleted")?;
        match event(&ep, &claim, now) {
            Ok(e) => Ok(Some(e)),
            Err(reason) => {
                // Nothing to send (payload expunged, scheme cannot sign): recorded as a
                // failed attempt the CLI never saw, as a worker would.
                let _ = record(
                    self.store.as_ref(),
                    &self.retry,
                    &ep,
                    &claim.msg_id,
                    claim.lease_until,
                    claim.attempt_count,
                    Report::refused(&reason),
                    claim.manual,
                )
                .await;
                Ok(None)
            }
        }
    }
}

fn line(v: &Value) -> String {
    let mut s = v.to_string();
    s.push('\n');
    s
}

/// The event line for a claim: the request a worker would have sent, signed now.
fn event(ep: &Endpoint, claim: &Claim, now: Millis) -> Result<Value, String> {
    let msg = claim.message.as_ref().ok_or("the message was deleted")?;
    let payload = msg.body()?.ok_or("payload expunged or expired")?;
    let Prepared { headers, body, .. } = request(ep, msg, payload, now)?;
    let mut event = json!({
        "type": "event",
        "msgId": msg.id,
        "eventType": msg.event_type,
        "eventId": msg.event_id,
        "attempt": claim.attempt_count + 1,
        "leaseUntil": claim.lease_until,
        "headers": headers,
    });
    match String::from_utf8(body) {
        Ok(text) => event["body"] = Value::String(text),
        Err(e) => {
            event["bodyBase64"] =
                Value::String(base64::engine::general_purpose::STANDARD.encode(e.into_bytes()));
        }
    }
    Ok(event)
}

/// What the CLI saw when it forwarded one event.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListenResultIn {
    msg_id: String,
    lease_until: Millis,
    /// The local app's status; 0 when it did not answer.
    #[serde(default)]
    status_code: u16,
    #[serde(default)]
    response: String,
    #[serde(default)]
    duration_ms: u64,
    /// Why there was no answer (connection refused, timeout), in words.
    #[serde(default)]
    error: Option<String>,
}

/// An outcome to record.
struct Report {
    outcome: Outcome,
    status_code: u16,
    response: String,
    duration_ms: i64,
    failure_reason: Option<String>,
}

impl Report {
    fn refused(reason: &str) -> Report {
        Report {
            outcome: Outcome::Refused,
            status_code: 0,
            response: reason.to_owned(),
            duration_ms: 0,
            failure_reason: Some(reason.to_owned()),
        }
    }
}

pub(super) async fn result(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, endpoint_id)): Path<(String, String)>,
    Body(input): Body<ListenResultIn>,
) -> ApiResult<StatusCode> {
    let (_, ep) = endpoint::find(&state, &auth, &app_id, &endpoint_id).await?;
    if !is_listener_url(&ep.url) {
        return Err(ApiError::Conflict("not a listener endpoint".into()));
    }
    let mut response = input.response;
    if response.len() > RESPONSE_LIMIT {
        let mut cut = RESPONSE_LIMIT;
        while !response.is_char_boundary(cut) {
            cut -= 1;
        }
        response.truncate(cut);
    }
    let report = match (input.status_code, input.error) {
        (0, error) => Report {
            outcome: Outcome::Transport,
            status_code: 0,
            response,
            duration_ms: i64::try_from(input.duration_ms).unwrap_or(i64::MAX),
            failure_reason: Some(error.unwrap_or_else(|| "the local app did not answer".into())),
        },
        (status, _) => Report {
            outcome: Outcome::Response {
                status,
                retry_after: None,
            },
            status_code: status,
            response,
            duration_ms: i64::try_from(input.duration_ms).unwrap_or(i64::MAX),
            failure_reason: (!(200..300).contains(&status))
                .then(|| format!("the local app answered {status}")),
        },
    };
    let (attempt_count, lease_until) = state
        .store
        .leased_delivery(&input.msg_id, &ep.id)
        .await?
        .ok_or(ApiError::NotFound("delivery out with this listener"))?;
    if lease_until != input.lease_until {
        return Err(ApiError::Conflict(
            "the event's lease ran out: it was offered again".into(),
        ));
    }
    record(
        state.store.as_ref(),
        &state.retry,
        &ep,
        &input.msg_id,
        lease_until,
        attempt_count,
        report,
        false,
    )
    .await?;
    state.listen.answered.notify_waiters();
    Ok(StatusCode::NO_CONTENT)
}

/// Records one attempt of a listener's delivery and moves the delivery on by the retry
/// policy, as a worker does (only if it is still held under `lease_until`).
#[allow(clippy::too_many_arguments)]
async fn record(
    store: &dyn Store,
    retry: &crate::engine::retry::RetryPolicy,
    ep: &Endpoint,
    msg_id: &str,
    lease_until: Millis,
    attempt_count: u32,
    report: Report,
    manual: bool,
) -> crate::store::Result<()> {
    let now = crate::now_millis();
    let decision = retry.decide(&report.outcome, attempt_count + 1, now, draw());
    let (status, next_attempt_at) = match decision {
        Decision::Delivered => (DeliveryStatus::Success, None),
        Decision::RetryAt(at) => (DeliveryStatus::Pending, Some(at)),
        Decision::GiveUp | Decision::DisableEndpoint => (DeliveryStatus::Fail, None),
    };
    let attempt = Attempt {
        id: new_id("atmpt"),
        msg_id: msg_id.to_owned(),
        // An endpoint's messages are its application's.
        app_id: ep.app_id.clone(),
        endpoint_id: ep.id.clone(),
        url: ep.url.clone(),
        status: if status == DeliveryStatus::Success {
            DeliveryStatus::Success
        } else {
            DeliveryStatus::Fail
        },
        response_status_code: i64::from(report.status_code),
        response: report.response,
        response_duration_ms: report.duration_ms,
        trigger_type: i64::from(manual),
        failure_reason: report.failure_reason,
        created_at: now,
        // The listener's own request, which it does not report.
        request_headers: None,
    };
    store
        .finish_attempt(
            &attempt,
            DeliveryUpdate {
                status,
                next_attempt_at,
                lease_until,
            },
        )
        .await?;
    Ok(())
}
