//! `idempotency-key` on POST: a retried request gets the first response instead of acting
//! twice, with Stripe's documented semantics (<https://docs.stripe.com/idempotency>,
//! <https://docs.stripe.com/api/idempotent_requests>) and the IETF draft's status codes
//! (draft-ietf-httpapi-idempotency-key-header, "Error Scenarios"):
//!
//! - **Who first.** The caller is authenticated before the header is looked at, so a request
//!   without a valid token is a 401 whatever its key, and claims nothing.
//! - **Bound to the request.** A key is scoped to the token and the path (as Svix scopes
//!   it), and claimed together with a fingerprint of the request: SHA-256 over the method,
//!   the path with its query, and the body's bytes. A reuse with a different fingerprint is
//!   refused with 422 saying the key belongs to another request (Stripe refuses it too, as an
//!   `idempotency_error`; 422 is the draft's code): never the old response, which would tell
//!   the client its new request was done when it was dropped. The body is compared as bytes:
//!   SDKs resend the same bytes on a retry, and a re-serialised body that differs only in
//!   spacing is refused rather than guessed equal.
//! - **One at a time.** The key is claimed before the handler runs, so two concurrent
//!   requests with one key cannot both act: the second gets 409 (`retry-after: 1`) while the
//!   first runs. The handler runs in a task of its own, so a client hanging up does not cut
//!   it short: it finishes and its key gets its answer. A claim left by a request that never
//!   finished (the process died) is taken over after a minute, by the same request only.
//! - **What is kept: 2xx only.** Stripe keeps whatever an endpoint answered once it began
//!   executing, and keeps nothing for requests refused before that. Every non-2xx answer of
//!   this API is such a refusal: it changed nothing, so running the request again is safe and
//!   gives the answer as things are now. Hence none is kept and the claim is released: 400,
//!   413, 415 and 422 (the request was malformed or invalid: a corrected retry has a new
//!   fingerprint and must run, not meet the old error for 24 hours); 401 and 403 (a token or
//!   its rights can be fixed); 404 (the application may be created meanwhile); 409 (a
//!   conflicting uid or event id may be gone by the retry, and an in-progress answer is not
//!   a result); 429; and 5xx (a failure of ours, not a result: acknowledgement follows the
//!   commit, so a 5xx request wrote nothing the client was told about).
//! - **Replays** carry `idempotent-replayed: true`, as Stripe's do. Kept responses are sealed
//!   like endpoint secrets, since some carry secrets. Keys live 24 hours, twice the 12 hours
//!   asked for, so a client retrying through a long outage still gets the first answer. Keys
//!   claimed before fingerprints existed (no fingerprint stored) replay as before.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use super::extract::{authenticate, bearer_token};
use crate::crypto::token_hash;
use crate::store::Idempotent;

/// Responses larger than this are not kept (the API's own responses are far smaller).
const MAX_KEPT_BODY: usize = 1 << 20;

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

pub(super) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.headers().contains_key(IDEMPOTENCY_KEY) {
        return next.run(req).await;
    }
    let auth = match authenticate(req.headers(), &state).await {
        Ok(auth) => auth,
        Err(e) => return e.into_response(),
    };
    let key = match req.headers().get(IDEMPOTENCY_KEY).map(parse_key) {
        Some(Ok(key)) => key.to_owned(),
        Some(Err(e)) => return e.into_response(),
        None => return next.run(req).await,
    };
    // The scope is computed as it was before fingerprints, from the canonical header, so
    // that keys claimed by an older version still hold after an upgrade. `authenticate`
    // accepted the header, so it parses.
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(bearer_token)
        .unwrap_or_default();
    let scope = token_hash(&format!(
        "{}\n{}\n{}",
        token_hash(&format!("Bearer {token}")),
        req.uri().path(),
        key
    ));
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, state.max_body_bytes).await else {
        return ApiError::PayloadTooLarge(state.max_body_bytes).into_response();
    };
    let fingerprint = fingerprint(&parts.method, &parts.uri, &bytes);
    // The handler's `Auth` extractor takes this instead of checking the token again.
    parts.extensions.insert(auth);
    match state
        .store
        .claim_idempotency_key(&scope, &fingerprint, crate::now_millis())
        .await
    {
        Ok(None) => {}
        Ok(Some(Idempotent::Done { status, body })) => return replay(status, body),
        Ok(Some(Idempotent::InProgress)) => {
            let mut resp = ApiError::Conflict(
                "a request with this idempotency key is still in progress; retry later".into(),
            )
            .into_response();
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return resp;
        }
        Ok(Some(Idempotent::OtherRequest)) => {
            return ApiError::invalid(
                "header.idempotency-key",
                "this idempotency key was already used for a different request (another \
                 method, path, query or body); send a new request with a new key",
            )
            .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    // The handler runs in a task of its own: hyper drops a request's future when its client
    // hangs up, which would leave the claim neither finished nor released, answering 409
    // for a minute and then letting a retry run the request a second time, though the first
    // may have committed. In its own task it runs to its end and the key gets its answer.
    let req = Request::from_parts(parts, Body::from(bytes));
    let run = tokio::spawn(run_and_keep(state.clone(), scope.clone(), next, req));
    match run.await {
        Ok(resp) => resp,
        Err(e) => {
            // The handler panicked: nothing to keep, and a retry may run.
            if let Err(e) = state.store.release_idempotency_key(&scope).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
            ApiError::Internal(anyhow::anyhow!("request task failed: {e}")).into_response()
        }
    }
}

/// Runs the request, then keeps its response under `scope` or releases the claim.
async fn run_and_keep(state: AppState, scope: String, next: Next, req: Request) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !kept(status) {
        if let Err(e) = state.store.release_idempotency_key(&scope).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_KEPT_BODY).await else {
        let _ = state.store.release_idempotency_key(&scope).await;
        return ApiError::Internal(anyhow::anyhow!(
            "response too large to keep for idempotency"
        ))
        .into_response();
    };
    if let Err(e) = state
        .store
        .finish_idempotency_key(&scope, status.as_u16(), &bytes)
        .await
    {
        tracing::warn!(error = %e, "could not store an idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Visible ASCII, 1 to 256 characters.
fn parse_key(value: &HeaderValue) -> Result<&str, ApiError> {
    let key = value
        .to_str()
        .map_err(|_| ApiError::invalid("header.idempotency-key", "must be visible ASCII"))?;
    if key.is_empty() || key.len() > 256 {
        return Err(ApiError::invalid(
            "header.idempotency-key",
            "must be 1 to 256 characters",
        ));
    }
    Ok(key)
}

/// SHA-256 over the method, the path with its query and the body, hex. Each part is
/// preceded by its length, so no two different requests run together into the same bytes.
fn fingerprint(method: &Method, uri: &Uri, body: &[u8]) -> String {
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [method.as_str().as_bytes(), target.as_bytes(), body] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    hex::encode(ctx.finish())
}

/// Whether a response is kept for replay (see the module doc: successes only).
fn kept(status: StatusCode) -> bool {
    status.is_success()
}

fn replay(status: u16, body: Vec<u8>) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Bytes::from(body),
    )
        .into_response();
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_successes_are_kept() {
        for s in [200, 201, 202, 204] {
            assert!(kept(StatusCode::from_u16(s).expect("status")), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503] {
            assert!(!kept(StatusCode::from_u16(s).expect("status")), "{s}");
        }
    }

    #[test]
    fn the_fingerprint_covers_method_path_query_and_body() {
        let uri = |u: &str| u.parse::<Uri>().expect("uri");
        let base = fingerprint(&Method::POST, &uri("/api/v1/app/a/msg"), b"{}");
        assert_eq!(
            base,
            fingerprint(&Method::POST, &uri("/api/v1/app/a/msg"), b"{}")
        );
        for other in [
            fingerprint(&Method::PUT, &uri("/api/v1/app/a/msg"), b"{}"),
            fingerprint(&Method::POST, &uri("/api/v1/app/b/msg"), b"{}"),
            fingerprint(
                &Method::POST,
                &uri("/api/v1/app/a/msg?with_content=false"),
                b"{}",
            ),
            fingerprint(&Method::POST, &uri("/api/v1/app/a/msg"), b"{ }"),
        ] {
            assert_ne!(base, other);
        }
        // Lengths keep the parts apart: moving a byte from the path to the body changes it.
        assert_ne!(
            fingerprint(&Method::POST, &uri("/a"), b"b"),
            fingerprint(&Method::POST, &uri("/"), b"ab")
        );
    }

    #[test]
    fn keys_are_visible_ascii_of_1_to_256() {
        assert!(parse_key(&HeaderValue::from_static("k-1")).is_ok());
        assert!(parse_key(&HeaderValue::from_static("")).is_err());
        let long = "k".repeat(257);
        assert!(parse_key(&HeaderValue::from_str(&long).expect("value")).is_err());
        let bytes = HeaderValue::from_bytes(b"caf\xc3\xa9").expect("value");
        assert!(parse_key(&bytes).is_err());
    }
}
