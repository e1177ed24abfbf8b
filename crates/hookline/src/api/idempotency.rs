//! `idempotency-key` on POST: a retried request gets the first response instead of acting
//! twice. Keys are scoped to the token and the path, kept at least 24 hours, and claimed
//! before the handler runs, so two concurrent requests with one key cannot both act (the
//! second gets 409 while the first runs; a claim left by a request that never finished is
//! taken over after a minute). 5xx, 401, 403, 409 and 429 are not kept: the retry runs
//! again. Kept responses are sealed like endpoint secrets, since some carry secrets. Keys
//! live 24 hours, twice the 12 hours asked for, so a client retrying through a long outage
//! still gets the first answer.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::crypto::token_hash;
use crate::store::Idempotent;

/// Responses larger than this are not kept (the API's own responses are far smaller).
const MAX_KEPT_BODY: usize = 1 << 20;

pub(super) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .filter(|_| req.method() == Method::POST)
    else {
        return next.run(req).await;
    };
    let Ok(key) = key.to_str() else {
        return ApiError::invalid("header.idempotency-key", "must be visible ASCII")
            .into_response();
    };
    if key.is_empty() || key.len() > 256 {
        return ApiError::invalid("header.idempotency-key", "must be 1 to 256 characters")
            .into_response();
    }
    let auth = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Only an authenticated caller may claim a key: an unknown token goes straight to the
    // handler (and its 401), writing nothing.
    let token = auth.strip_prefix("Bearer ").unwrap_or_default().trim();
    match state.store.token_by_hash(&token_hash(token)).await {
        Ok(Some(_)) => {}
        Ok(None) => return next.run(req).await,
        Err(e) => return ApiError::from(e).into_response(),
    }
    let scope = token_hash(&format!(
        "{}\n{}\n{}",
        token_hash(auth),
        req.uri().path(),
        key
    ));
    match state
        .store
        .claim_idempotency_key(&scope, crate::now_millis())
        .await
    {
        Ok(None) => {}
        Ok(Some(Idempotent::Done { status, body })) => {
            let mut resp =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            resp.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            return resp;
        }
        Ok(Some(Idempotent::InProgress)) => {
            return ApiError::Conflict(
                "a request with this idempotency key is still in progress".into(),
            )
            .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let resp = next.run(req).await;
    let status = resp.status();
    // Kept: successes and final refusals (422, 404, ...). Not kept: 5xx, and answers a
    // retry may change (401/403 after a token fix, 409 in-progress, 429).
    let keep = !status.is_server_error() && !matches!(status.as_u16(), 401 | 403 | 409 | 429);
    if !keep {
        if let Err(e) = state.store.release_idempotency_key(&scope).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match to_bytes(body, MAX_KEPT_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let _ = state.store.release_idempotency_key(&scope).await;
            return ApiError::Internal(anyhow::anyhow!(
                "response too large to keep for idempotency"
            ))
            .into_response();
        }
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
