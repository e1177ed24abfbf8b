//! One claimed delivery: load, sign, send, record, decide.

use hookline_sig::{Event, UnixTime, presets};
use ring::rand::SecureRandom as _;

use super::Engine;
use super::retry::Decision;
use crate::ids::new_id;
use crate::store::{Attempt, Claim, DeliveryStatus, DeliveryUpdate, Endpoint, Message};

/// One attempt's request: the body as the endpoint's scheme sends it (the bare payload, or
/// the provider's envelope around it) and its headers: content type, the endpoint's own
/// headers, then the scheme's signature and other headers. During a rotation's grace period
/// the previous secrets sign too, newest first, where the scheme's header carries several
/// signatures. Ids in the envelope and headers derive from the message id (and the endpoint
/// for per-delivery ids), and `created` is the message's time, so a retry carries the same
/// ones; only the signature's timestamp is `now`. The payload is moved, not copied, for a
/// scheme without an envelope.
pub(crate) fn request(
    ep: &Endpoint,
    msg: &Message,
    payload: Vec<u8>,
    now: i64,
) -> Result<Prepared, String> {
    let scheme = presets::by_name(&ep.signature_scheme)
        .ok_or_else(|| format!("unknown signature scheme {}", ep.signature_scheme))?;
    let mut keys = vec![ep.secret.as_str()];
    keys.extend(
        ep.previous_secrets
            .iter()
            .rev()
            .filter(|p| p.expires_at > now)
            .map(|p| p.key.as_str()),
    );
    if let Some(fwd) = &msg.forward {
        return forwarded(ep, msg, fwd, scheme, &keys, payload, now);
    }
    let event = Event {
        msg_id: &msg.id,
        event_type: &msg.event_type,
        created: UnixTime::from_millis(msg.created_at),
        payload: &payload,
        delivery_key: Some(&ep.id),
    };
    let out = scheme
        .signer(&keys)
        .map_err(|e| format!("signing failed: {e}"))?
        .sign_event(&event, UnixTime::from_millis(now), Some(&ep.url))
        .map_err(|e| format!("signing failed: {e}"))?;
    let mut headers = Vec::with_capacity(ep.headers.len() + out.headers.len() + 1);
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    headers.extend(ep.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    let from_endpoint = 1..headers.len();
    headers.extend(out.headers);
    Ok(Prepared {
        headers,
        from_endpoint,
        body: out.body.unwrap_or(payload),
    })
}

/// A message the gateway received: the provider's body byte for byte (no envelope, whatever
/// the endpoint's scheme), its content type, the provider's headers, the endpoint's own
/// headers, then Hookline's signature in the endpoint's scheme over those same bytes. A
/// provider header of the same name as one Hookline or the endpoint sets is left out, so a
/// receiver never sees two values.
fn forwarded(
    ep: &Endpoint,
    msg: &Message,
    fwd: &crate::store::Forward,
    scheme: &hookline_sig::Scheme,
    keys: &[&str],
    payload: Vec<u8>,
    now: i64,
) -> Result<Prepared, String> {
    let signed = scheme
        .signer(keys)
        .map_err(|e| format!("signing failed: {e}"))?
        .sign(&hookline_sig::Message {
            id: Some(&msg.id),
            timestamp: UnixTime::from_millis(now),
            body: &payload,
            url: Some(&ep.url),
        })
        .map_err(|e| format!("signing failed: {e}"))?;
    let ours = |name: &str| {
        signed.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
            || ep.headers.keys().any(|k| k.eq_ignore_ascii_case(name))
    };
    let mut headers = Vec::with_capacity(fwd.headers.len() + ep.headers.len() + signed.len() + 1);
    headers.push(("content-type".to_owned(), fwd.content_type.clone()));
    headers.extend(fwd.headers.iter().filter(|(k, _)| !ours(k)).cloned());
    let start = headers.len();
    headers.extend(ep.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    let from_endpoint = start..headers.len();
    headers.extend(signed);
    Ok(Prepared {
        headers,
        from_endpoint,
        body: payload,
    })
}

/// One attempt's request, ready to send.
pub(crate) struct Prepared {
    pub(crate) headers: Vec<(String, String)>,
    /// Where in `headers` the endpoint's own headers are (kept out of the attempt record).
    pub(crate) from_endpoint: std::ops::Range<usize>,
    pub(crate) body: Vec<u8>,
}

impl Prepared {
    /// The headers as the attempt records them ([`crate::store::SentHeaders`] in JSON): those
    /// `Sender::send` sends, in order, then the ones the HTTP client adds when the list
    /// has none of the name; the endpoint's own headers by name only. Not the transport's
    /// `host` and `content-length` (the URL and the body say them). Forwarded provider
    /// headers keep their values: the message stores them already.
    pub(crate) fn recorded(&self) -> String {
        let mut out: Vec<(&str, Option<&str>)> = Vec::with_capacity(self.headers.len() + 2);
        for (i, (k, v)) in self.headers.iter().enumerate() {
            if super::http::header_pair(k, v).is_some() {
                let own = self.from_endpoint.contains(&i);
                out.push((k, (!own).then_some(v.as_str())));
            }
        }
        for (name, value) in super::http::CLIENT_HEADERS {
            if !out.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
                out.push((name, Some(value)));
            }
        }
        // Strings and options of strings always serialize.
        serde_json::to_string(&out).unwrap_or_default()
    }
}

pub(super) async fn deliver(engine: &Engine, claim: Claim, slot: super::Slot) {
    let store = &engine.store;
    let now = crate::now_millis();
    let settle = |status: DeliveryStatus| DeliveryUpdate {
        status,
        next_attempt_at: None,
        lease_until: claim.lease_until,
    };
    let Some(msg) = claim.message.clone() else {
        // Deleted since it was queued (the delivery row went with it).
        return;
    };
    let ep = match engine.endpoint(&claim.endpoint_id).await {
        Ok(Some(e)) => e,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, msg = %claim.msg_id, "loading a delivery's endpoint; its lease will expire and it will be retried");
            return;
        }
    };
    let ep = &*ep;
    if super::listener::is_listener_url(&ep.url) {
        // Claimed before this worker knew it for a listener's: given back untouched, due
        // now, for the connected listener (or the next one) to take.
        let held = [(msg.id.clone(), ep.id.clone(), claim.lease_until)];
        engine.listeners.forget();
        if let Err(e) = store.release_claims(&held, now).await {
            tracing::warn!(error = %e, "giving back a listener's delivery; its lease will expire instead");
        }
        return;
    }
    let fail_without_attempt = |reason: &str| {
        tracing::warn!(msg = %msg.id, endpoint = %ep.id, reason, "delivery failed without an attempt");
    };
    if ep.disabled {
        fail_without_attempt("endpoint disabled");
        let _ = store
            .settle_delivery(&msg.id, &ep.id, settle(DeliveryStatus::Fail), now)
            .await;
        return;
    }
    let payload = match msg.body() {
        Ok(Some(body)) => body,
        gone => {
            fail_without_attempt(
                gone.err()
                    .as_deref()
                    .unwrap_or("payload expunged or expired"),
            );
            let _ = store
                .settle_delivery(&msg.id, &ep.id, settle(DeliveryStatus::Fail), now)
                .await;
            return;
        }
    };
    engine.throttle(&ep.id, ep.throttle_rate).await;
    // Signed when it goes, after any throttle wait, so its timestamp is fresh.
    let now = crate::now_millis();
    let mut request_headers = None;
    let sent = match request(ep, &msg, payload, now) {
        Ok(prepared) => {
            request_headers = Some(prepared.recorded());
            let Prepared { headers, body, .. } = prepared;
            engine
                .sender
                .send(
                    &ep.url,
                    &headers,
                    body,
                    now,
                    // Within half the lease, so another node cannot take the claim
                    // over while this attempt still runs.
                    ep.timeout_secs.map(|s| {
                        std::time::Duration::from_secs(u64::from(s)).min(engine.config.lease / 2)
                    }),
                )
                .await
        }
        Err(reason) => super::http::Sent {
            outcome: super::retry::Outcome::Refused,
            status_code: 0,
            response: reason.clone(),
            duration: std::time::Duration::ZERO,
            failure_reason: Some(reason),
        },
    };
    drop(slot);
    let finished = crate::now_millis();
    let decision =
        engine
            .config
            .policy
            .decide(&sent.outcome, claim.attempt_count + 1, finished, draw());
    let (status, next_attempt_at) = match decision {
        Decision::Delivered => (DeliveryStatus::Success, None),
        Decision::RetryAt(at) => (DeliveryStatus::Pending, Some(at)),
        Decision::GiveUp | Decision::DisableEndpoint => (DeliveryStatus::Fail, None),
    };
    if !matches!(sent.outcome, super::retry::Outcome::Refused) {
        engine.record(&ep.id, decision == Decision::Delivered).await;
    }
    let label = match (&decision, &sent.outcome) {
        (Decision::Delivered, _) => "success",
        (_, super::retry::Outcome::Refused) => "refused",
        _ => "failure",
    };
    engine.metrics.attempt(label, sent.status_code);
    if decision == Decision::Delivered {
        engine.metrics.delivered_after(finished - msg.created_at);
    }
    let attempt = Attempt {
        id: new_id("atmpt"),
        msg_id: msg.id.clone(),
        app_id: msg.app_id.clone(),
        endpoint_id: ep.id.clone(),
        url: ep.url.clone(),
        status: if status == DeliveryStatus::Success {
            DeliveryStatus::Success
        } else {
            DeliveryStatus::Fail
        },
        response_status_code: i64::from(sent.status_code),
        response: sent.response,
        response_duration_ms: i64::try_from(sent.duration.as_millis()).unwrap_or(i64::MAX),
        trigger_type: i64::from(claim.manual),
        failure_reason: sent.failure_reason.clone(),
        created_at: finished,
        request_headers,
    };
    tracing::info!(
        msg = %msg.id, endpoint = %ep.id, status = sent.status_code, ms = attempt.response_duration_ms,
        outcome = ?decision, reason = sent.failure_reason.as_deref().unwrap_or(""), "attempt"
    );
    let failing_since = match store
        .finish_attempt(
            &attempt,
            DeliveryUpdate {
                status,
                next_attempt_at,
                lease_until: claim.lease_until,
            },
        )
        .await
    {
        Ok(since) => since,
        Err(e) => {
            tracing::error!(error = %e, msg = %msg.id, "recording an attempt; the delivery will be retried when its lease expires");
            return;
        }
    };
    // Health: a success clears the endpoint's failing run; a run too long disables it.
    let mut disable = decision == Decision::DisableEndpoint;
    let mut fail_since = finished;
    if disable {
        tracing::warn!(endpoint = %ep.id, "410 Gone: endpoint disabled");
    }
    if !matches!(sent.outcome, super::retry::Outcome::Refused) {
        let limit = i64::try_from(engine.config.disable_after.as_millis()).unwrap_or(i64::MAX);
        if let Some(since) = failing_since
            && finished - since > limit
        {
            tracing::warn!(endpoint = %ep.id, "failing without a success for too long: endpoint disabled");
            disable = true;
            fail_since = since;
        }
    }
    let why = if decision == Decision::DisableEndpoint {
        "the endpoint answered 410 Gone".to_owned()
    } else {
        format!(
            "no successful delivery since {} ({} without one disables an endpoint)",
            crate::api::types::format_date(fail_since),
            span_words(engine.config.disable_after)
        )
    };
    if disable && let Err(e) = store.disable_endpoint(&ep.id, &why, finished).await {
        tracing::error!(error = %e, "disabling an endpoint");
    }
    operational_events(
        engine,
        ep,
        &msg,
        &attempt,
        claim.attempt_count + 1,
        decision,
        disable.then_some(fail_since),
    )
    .await;
}

/// Svix's operational events: `message.attempt.failing` on the fourth failure,
/// `.exhausted` when retries run out, `.recovered` on a success after that, and
/// `endpoint.disabled` when the engine switched the endpoint off.
async fn operational_events(
    engine: &Engine,
    ep: &Endpoint,
    msg: &Message,
    attempt: &Attempt,
    attempts: u32,
    decision: Decision,
    disabled_since: Option<i64>,
) {
    let op = &engine.operational;
    if op.is_own(&ep.app_id) {
        return;
    }
    let event = match decision {
        Decision::Delivered if attempts > 4 => Some("message.attempt.recovered"),
        Decision::GiveUp | Decision::DisableEndpoint => Some("message.attempt.exhausted"),
        Decision::RetryAt(_) if attempts == 4 => Some("message.attempt.failing"),
        _ => None,
    };
    if event.is_none() && disabled_since.is_none() {
        return;
    }
    let app_uid = match engine.store.app(&ep.app_id).await {
        Ok(a) => a.and_then(|a| a.uid),
        Err(_) => None,
    };
    if let Some(event) = event {
        let data = serde_json::json!({
            "appId": ep.app_id, "appUid": app_uid, "msgId": msg.id, "msgEventId": msg.event_id, "endpointId": ep.id,
            "lastAttempt": {"id": attempt.id, "timestamp": crate::api::types::format_date(attempt.created_at), "responseStatusCode": attempt.response_status_code},
        });
        op.emit(event, data).await;
    }
    if let Some(since) = disabled_since {
        let data = serde_json::json!({
            "appId": ep.app_id, "appUid": app_uid, "endpointId": ep.id, "endpointUid": ep.uid,
            "failSince": crate::api::types::format_date(since),
        });
        op.emit("endpoint.disabled", data).await;
    }
}

/// A span in the largest whole unit that says it: "5 days", "36 hours", "90 s".
fn span_words(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{} ms", d.as_millis()),
        _ if s.is_multiple_of(86_400) => format!("{} days", s / 86_400),
        _ if s.is_multiple_of(3_600) => format!("{} hours", s / 3_600),
        _ => format!("{s} s"),
    }
}

/// A uniform draw in [0, 1) for retry jitter.
pub(crate) fn draw() -> f64 {
    let mut b = [0u8; 4];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::request;
    use crate::store::{Endpoint, Message};

    fn endpoint(scheme: &str) -> Endpoint {
        Endpoint {
            id: "ep_1".into(),
            app_id: "app_1".into(),
            uid: None,
            url: "https://example.com/hook".into(),
            description: String::new(),
            disabled: false,
            event_types: None,
            channels: None,
            metadata: serde_json::Map::new(),
            throttle_rate: None,
            headers: BTreeMap::from([("x-team".to_owned(), "a".to_owned())]),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            previous_secrets: Vec::new(),
            signature_scheme: scheme.into(),
            tolerance_hint: None,
            timeout_secs: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn message() -> Message {
        Message {
            id: "msg_1".into(),
            app_id: "app_1".into(),
            event_id: None,
            event_type: "invoice.paid".into(),
            channels: None,
            payload: Some(r#"{"a":1}"#.into()),
            payload_expires_at: 0,
            created_at: 1_760_000_000_000,
            forward: None,
        }
    }

    #[test]
    fn the_default_scheme_sends_the_payload_without_a_copy() {
        let payload = br#"{"a":1}"#.to_vec();
        let at = payload.as_ptr();
        let out = request(&endpoint("svix"), &message(), payload, 1_760_000_001_000).expect("ok");
        assert_eq!(out.body.as_ptr(), at, "the payload's own buffer goes out");
        let names: Vec<&str> = out.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "x-team",
                "svix-id",
                "svix-timestamp",
                "svix-signature"
            ]
        );
    }

    #[test]
    fn the_record_keeps_names_of_the_endpoints_headers_and_values_of_ours() {
        let out = request(
            &endpoint("svix"),
            &message(),
            br#"{"a":1}"#.to_vec(),
            1_760_000_001_000,
        )
        .expect("ok");
        let kept: crate::store::SentHeaders = serde_json::from_str(&out.recorded()).expect("json");
        let names: Vec<&str> = kept.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "x-team",
                "svix-id",
                "svix-timestamp",
                "svix-signature",
                "user-agent",
                "accept"
            ]
        );
        assert_eq!(kept[1].1, None, "the endpoint's header by name only");
        let signature = out.headers.iter().find(|(k, _)| k == "svix-signature");
        assert_eq!(
            kept[4].1.as_deref(),
            signature.map(|(_, v)| v.as_str()),
            "the signature as sent"
        );
    }

    #[test]
    fn an_envelope_scheme_wraps_the_payload_and_keeps_the_message_time() {
        let ep = endpoint("spine");
        let first =
            request(&ep, &message(), br#"{"a":1}"#.to_vec(), 1_760_000_001_000).expect("ok");
        let retry =
            request(&ep, &message(), br#"{"a":1}"#.to_vec(), 1_760_000_900_000).expect("ok");
        let body: serde_json::Value = serde_json::from_slice(&first.body).expect("json");
        assert_eq!(body["data"]["object"], serde_json::json!({"a": 1}));
        assert_eq!(
            body["created"], 1_760_000_000,
            "the message's time, not the attempt's"
        );
        assert_eq!(first.body, retry.body, "a retry sends the same envelope");
    }
}
