//! Endpoint operations beyond CRUD: the signing secret and its rotation, custom headers,
//! delivery stats, recovery and example messages.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hookline_sig::Scheme;

use super::endpoint::{
    SENSITIVE_HEADERS, check_headers, check_rotated_key, find, new_secret, sending_scheme,
};
use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Cap, Params};
use super::types::{
    EndpointHeadersIn, EndpointHeadersOut, EndpointHeadersPatchIn, EndpointSecretOut,
    EndpointSecretRotateIn, EndpointStats, EventExampleIn, MessageOut, RecoverIn, RecoverOut,
    check_uid, format_date, parse_date,
};
use super::{AppState, message};
use crate::ids::new_id;
use crate::store::PreviousSecret;

/// What `GET secret` shows: the secret, or for an asymmetric scheme the public key.
fn shown_secret(scheme: &Scheme, secret: &str) -> ApiResult<String> {
    if scheme.algorithm().is_symmetric() {
        return Ok(secret.to_owned());
    }
    scheme
        .signer(&[secret])
        .ok()
        .and_then(|s| s.public_keys())
        .and_then(|mut k| k.pop())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored key does not parse")))
}

pub(crate) async fn get_secret(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let (_, ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::ViewEndpointSecret)?;
    let scheme = sending_scheme(&ep.signature_scheme)?;
    Ok(Json(EndpointSecretOut {
        key: shown_secret(scheme, &ep.secret)?,
    }))
}

/// Makes `key` (or a fresh secret) current; the old one keeps signing for the grace period.
/// Answers with the new secret as JSON, as today's SDKs expect.
pub(crate) async fn rotate_secret(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    Body(input): Body<EndpointSecretRotateIn>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let (_, mut ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::ManageEndpointSecret)?;
    let scheme = sending_scheme(&ep.signature_scheme)?;
    let grace = input.grace_period_seconds.unwrap_or(86_400);
    if grace > 604_800 {
        return Err(ApiError::invalid(
            "body.gracePeriodSeconds",
            "at most 604800 (7 days)",
        ));
    }
    let secret = match input.key {
        Some(k) => {
            check_rotated_key(scheme, &k)?;
            k
        }
        None => new_secret(scheme)?,
    };
    let now = crate::now_millis();
    ep.previous_secrets.retain(|p| p.expires_at > now);
    if grace > 0 {
        ep.previous_secrets.push(PreviousSecret {
            key: std::mem::take(&mut ep.secret),
            expires_at: now + i64::from(grace) * 1000,
        });
    }
    ep.secret = secret;
    ep.updated_at = now;
    state.store.update_endpoint_secrets(&ep).await?;
    Ok(Json(EndpointSecretOut {
        key: shown_secret(scheme, &ep.secret)?,
    }))
}

fn headers_out(headers: &BTreeMap<String, String>) -> EndpointHeadersOut {
    let sensitive = |name: &str| SENSITIVE_HEADERS.contains(&name.to_ascii_lowercase().as_str());
    EndpointHeadersOut {
        headers: headers
            .iter()
            .filter(|(k, _)| !sensitive(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        sensitive: headers.keys().filter(|k| sensitive(k)).cloned().collect(),
    }
}

pub(crate) async fn get_headers(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<Json<EndpointHeadersOut>> {
    let (_, ep) = find(&state, &auth, &app_id, &ep_id).await?;
    Ok(Json(headers_out(&ep.headers)))
}

pub(crate) async fn update_headers(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    Body(input): Body<EndpointHeadersIn>,
) -> ApiResult<StatusCode> {
    let (_, mut ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::ManageEndpoint)?;
    check_headers("body.headers", &input.headers)?;
    ep.headers = input.headers;
    ep.updated_at = crate::now_millis();
    state.store.update_endpoint_headers(&ep).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn patch_headers(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    Body(input): Body<EndpointHeadersPatchIn>,
) -> ApiResult<StatusCode> {
    let (_, mut ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::ManageEndpoint)?;
    for (name, value) in input.headers {
        match value {
            Some(v) => {
                check_headers("body.headers", &BTreeMap::from([(name.clone(), v.clone())]))?;
                ep.headers.insert(name, v);
            }
            None => {
                ep.headers.remove(&name);
            }
        }
    }
    ep.updated_at = crate::now_millis();
    state.store.update_endpoint_headers(&ep).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn endpoint_stats(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<EndpointStats>> {
    let (_, ep) = find(&state, &auth, &app_id, &ep_id).await?;
    let s = state
        .store
        .endpoint_stats(&ep.id, params.date("since")?, params.date("until")?)
        .await?;
    Ok(Json(EndpointStats {
        success: s.success,
        pending: s.pending,
        sending: s.sending,
        fail: s.fail,
        canceled: 0,
    }))
}

/// Re-schedules every failed delivery to this endpoint of messages created since `since`.
pub(crate) async fn recover(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    Body(input): Body<RecoverIn>,
) -> ApiResult<(StatusCode, Json<RecoverOut>)> {
    let (_, ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::CreateAttempts)?;
    let since = parse_date("body.since", &input.since)?;
    let until = input
        .until
        .as_deref()
        .map(|u| parse_date("body.until", u))
        .transpose()?;
    let now = crate::now_millis();
    let n = state
        .store
        .recover_failed(&ep.id, since, until, now)
        .await?;
    tracing::info!(endpoint = %ep.id, requeued = n, "recover");
    if n > 0 {
        state.wake.queued(now);
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(RecoverOut {
            id: new_id("qtask"),
            status: "finished".into(),
            task: "endpoint.recover".into(),
            updated_at: format_date(now),
        }),
    ))
}

/// Sends an example of `eventType` to this endpoint only: the event type's schema example
/// when it has one, else a small placeholder.
pub(crate) async fn send_example(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    Body(input): Body<EventExampleIn>,
) -> ApiResult<Json<MessageOut>> {
    let (app, ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::CreateAttempts)?;
    check_uid("body.eventType", &input.event_type)?;
    let et = state
        .store
        .event_type(&input.event_type)
        .await?
        .ok_or(ApiError::NotFound("event type"))?;
    let example = et
        .schemas
        .as_ref()
        .and_then(|s| s.as_object())
        .and_then(|versions| {
            versions
                .values()
                .find_map(|schema| schema.get("examples")?.as_array()?.first().cloned())
        });
    let payload =
        example.unwrap_or_else(|| serde_json::json!({ "eventType": et.name, "example": true }));
    let msg = message::store_message(
        &state,
        &app,
        None,
        et.name,
        payload,
        None,
        90 * 24,
        Some(vec![ep.id]),
    )
    .await?;
    Ok(Json(message::out(msg, true)))
}
