//! `/api/v1/app/{app_id}/endpoint`: endpoint CRUD and the checks shared with `endpoint_ops`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hookline_sig::{Algorithm, Scheme, presets};

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Body, Cap, Params};
use super::types::{
    EndpointIn, EndpointOut, EndpointPatch, ListResponse, check_list, check_metadata,
    check_throttle, check_uid, check_url, format_date,
};
use super::{AppState, app, list_response, page};
use crate::ids::{new_id, random_token};
use crate::store::{Application, Endpoint, Order};

/// The scheme endpoints are signed with unless they choose another (Svix's headers).
pub(super) const DEFAULT_SCHEME: &str = "svix";

/// Header names a delivery sets itself, or that proxies own: not settable per endpoint.
pub(super) const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "host",
    "connection",
    "transfer-encoding",
    "user-agent",
];

/// Header names whose values are credentials: stored, sent, never shown back.
pub(super) const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
];

pub(crate) fn out(e: Endpoint) -> EndpointOut {
    EndpointOut {
        id: e.id,
        uid: e.uid,
        url: e.url,
        description: e.description,
        disabled: e.disabled,
        filter_types: e.event_types.clone(),
        event_types: e.event_types,
        channels: e.channels,
        throttle_rate: e.throttle_rate,
        metadata: e.metadata,
        signature_scheme: e.signature_scheme,
        tolerance_hint: e.tolerance_hint,
        timeout_seconds: e.timeout_secs,
        version: 1,
        created_at: format_date(e.created_at),
        updated_at: format_date(e.updated_at),
    }
}

/// A preset Hookline can send with.
pub(crate) fn sending_scheme(name: &str) -> ApiResult<&'static Scheme> {
    presets::by_name(name)
        .filter(|s| s.can_sign())
        .ok_or_else(|| {
            let names: Vec<&str> = presets::all()
                .iter()
                .filter(|s| s.can_sign())
                .map(Scheme::name)
                .collect();
            ApiError::invalid(
                "body.signatureScheme",
                format!(
                    "unknown or verify-only scheme {name:?}; one of: {}",
                    names.join(", ")
                ),
            )
        })
}

/// A fresh secret in the form the scheme signs with.
pub(crate) fn new_secret(scheme: &Scheme) -> ApiResult<String> {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let seed = || {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(random_token(32))
            .unwrap_or_default()
    };
    Ok(match scheme.algorithm() {
        Algorithm::Ed25519 if scheme.name() == "discord" => hex::encode(seed()),
        Algorithm::Ed25519 => format!("whsk_{}", b64(&seed())),
        Algorithm::EcdsaP256Sha256 => {
            let rng = ring::rand::SystemRandom::new();
            let doc = ring::signature::EcdsaKeyPair::generate_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &rng,
            )
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("key generation failed")))?;
            b64(doc.as_ref())
        }
        _ => format!("whsec_{}", b64(&seed()[..24])),
    })
}

/// The secret must be usable by the scheme; Svix's own format for base64-keyed schemes.
pub(crate) fn check_secret(loc: &str, scheme: &Scheme, secret: &str) -> ApiResult<()> {
    match secret_problem(scheme, secret) {
        Some(why) => Err(ApiError::invalid(loc, why)),
        None => Ok(()),
    }
}

/// Why `secret` cannot sign with `scheme`, if it cannot.
fn secret_problem(scheme: &Scheme, secret: &str) -> Option<String> {
    if whsec_keyed(scheme) {
        let body = secret.strip_prefix("whsec_").unwrap_or(secret);
        let ok = (32..=100).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        if !ok {
            return Some("expected `whsec_` followed by 32 to 100 base64 characters".into());
        }
    } else if scheme.algorithm().is_symmetric() && !(16..=256).contains(&secret.len()) {
        return Some("expected 16 to 256 characters".into());
    }
    scheme
        .signer(&[secret])
        .err()
        .map(|e| format!("not usable with scheme {}: {e}", scheme.name()))
}

/// Whether the scheme takes Svix's `whsec_` keys (the form the document describes).
fn whsec_keyed(scheme: &Scheme) -> bool {
    scheme.key_format().prefix.as_deref() == Some("whsec_")
}

/// A new scheme for an existing endpoint: its stored secret must sign with it. The body is
/// valid on its own; what refuses it is the endpoint's state (its secret), hence 409, not
/// 422: the same body is accepted for an endpoint whose secret suits the scheme.
pub(crate) fn check_scheme_change(scheme: &Scheme, stored_secret: &str) -> ApiResult<()> {
    match secret_problem(scheme, stored_secret) {
        Some(why) => Err(ApiError::Conflict(format!(
            "signatureScheme: the endpoint's current secret does not suit scheme {}: {why}",
            scheme.name()
        ))),
        None => Ok(()),
    }
}

/// A key given to `secret/rotate`: checked against the endpoint's scheme. For a `whsec_`
/// scheme the document describes the form and a key outside it is a 422; a scheme keyed
/// otherwise (raw, Ed25519, ECDSA keys) is the endpoint's state, which the document cannot
/// know, so a key it refuses is a 409 (as for a scheme change).
pub(crate) fn check_rotated_key(scheme: &Scheme, key: &str) -> ApiResult<()> {
    if whsec_keyed(scheme) {
        return check_secret("body.key", scheme, key);
    }
    match secret_problem(scheme, key) {
        Some(why) => Err(ApiError::Conflict(format!(
            "key: the endpoint's scheme {} takes its own key form: {why}",
            scheme.name()
        ))),
        None => Ok(()),
    }
}

pub(crate) fn check_headers(loc: &str, headers: &BTreeMap<String, String>) -> ApiResult<()> {
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let valid_name = axum::http::HeaderName::from_bytes(name.as_bytes()).is_ok();
        let valid_value = axum::http::HeaderValue::from_str(value).is_ok();
        if !valid_name || !valid_value {
            return Err(ApiError::invalid(
                &format!("{loc}.{name}"),
                "not a valid HTTP header name and value",
            ));
        }
        let signature_header = presets::all().iter().any(|s| {
            s.header_names()
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
        });
        if RESERVED_HEADERS.contains(&lower.as_str()) || signature_header {
            return Err(ApiError::invalid(
                &format!("{loc}.{name}"),
                "this header is set by the delivery itself",
            ));
        }
    }
    Ok(())
}

fn check_input(input: &EndpointIn) -> ApiResult<()> {
    if input
        .timeout_seconds
        .is_some_and(|t| !(1..=120).contains(&t))
    {
        return Err(ApiError::invalid(
            "body.timeoutSeconds",
            "from 1 to 120 seconds",
        ));
    }
    check_url("body.url", &input.url)?;
    if let Some(uid) = &input.uid {
        check_uid("body.uid", uid)?;
    }
    check_throttle("body.throttleRate", input.throttle_rate)?;
    check_metadata("body.metadata", &input.metadata)?;
    if let Some(types) = &input.event_types {
        check_list("body.eventTypes", types, 1, 1000, 256)?;
    }
    if let Some(ch) = &input.channels {
        check_list("body.channels", ch, 1, 10, 128)?;
    }
    Ok(())
}

/// The endpoint `id_or_uid` of an application this token may see.
pub(crate) async fn find(
    state: &AppState,
    auth: &Auth,
    app_id: &str,
    id_or_uid: &str,
) -> ApiResult<(Application, Endpoint)> {
    let app = app::find(state, auth, app_id).await?;
    let ep = state
        .store
        .endpoint(&app.id, id_or_uid)
        .await?
        .ok_or(ApiError::NotFound("endpoint"))?;
    Ok((app, ep))
}

pub(crate) async fn list_endpoints(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    params: Params,
) -> ApiResult<Json<ListResponse<EndpointOut>>> {
    let app = app::find(&state, &auth, &app_id).await?;
    let page = page(&params, Order::Ascending)?;
    let rows = state.store.list_endpoints(&app.id, &page).await?;
    Ok(Json(list_response(&page, rows, |e| e.id.clone(), out)))
}

pub(crate) async fn create_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path(app_id): Path<String>,
    Body(input): Body<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let app = app::find(&state, &auth, &app_id).await?;
    auth.require(Cap::ManageEndpoint)?;
    check_input(&input)?;
    let scheme = sending_scheme(input.signature_scheme.as_deref().unwrap_or(DEFAULT_SCHEME))?;
    let secret = match input.secret {
        Some(s) => {
            check_secret("body.secret", scheme, &s)?;
            s
        }
        None => new_secret(scheme)?,
    };
    let headers = input.headers.unwrap_or_default();
    check_headers("body.headers", &headers)?;
    let now = crate::now_millis();
    let ep = Endpoint {
        id: new_id("ep"),
        app_id: app.id.clone(),
        uid: input.uid,
        url: input.url,
        description: input.description,
        disabled: input.disabled,
        event_types: input.event_types,
        channels: input.channels,
        metadata: input.metadata,
        throttle_rate: input.throttle_rate,
        headers,
        secret,
        previous_secrets: Vec::new(),
        signature_scheme: scheme.name().to_owned(),
        tolerance_hint: input.tolerance_hint,
        timeout_secs: input.timeout_seconds,
        created_at: now,
        updated_at: now,
    };
    state.store.create_endpoint(&ep).await?;
    state
        .operational
        .endpoint_event("endpoint.created", &app, &ep)
        .await;
    Ok((StatusCode::CREATED, Json(out(ep))))
}

pub(crate) async fn get_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<Json<EndpointOut>> {
    Ok(Json(out(find(&state, &auth, &app_id, &ep_id).await?.1)))
}

/// PUT: replaces the endpoint's settings (not its secret or headers), or creates it (201).
pub(crate) async fn update_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    Body(input): Body<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let app = app::find(&state, &auth, &app_id).await?;
    auth.require(Cap::ManageEndpoint)?;
    let Some(mut ep) = state.store.endpoint(&app.id, &ep_id).await? else {
        check_uid("path.endpoint_id", &ep_id)?;
        let uid = input.uid.clone().or(Some(ep_id));
        return create_endpoint(
            State(state),
            auth,
            Path(app_id),
            Body(EndpointIn { uid, ..input }),
        )
        .await;
    };
    check_input(&input)?;
    if let Some(name) = &input.signature_scheme {
        let scheme = sending_scheme(name)?;
        check_scheme_change(scheme, &ep.secret)?;
        ep.signature_scheme = scheme.name().to_owned();
    }
    ep.url = input.url;
    ep.description = input.description;
    ep.uid = input.uid;
    ep.disabled = input.disabled;
    ep.event_types = input.event_types;
    ep.channels = input.channels;
    ep.throttle_rate = input.throttle_rate;
    ep.metadata = input.metadata;
    ep.tolerance_hint = input.tolerance_hint;
    ep.timeout_secs = input.timeout_seconds;
    ep.updated_at = crate::now_millis();
    state.store.update_endpoint(&ep).await?;
    state
        .operational
        .endpoint_event("endpoint.updated", &app, &ep)
        .await;
    Ok((StatusCode::OK, Json(out(ep))))
}

pub(crate) async fn patch_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
    Body(patch): Body<EndpointPatch>,
) -> ApiResult<Json<EndpointOut>> {
    let (app, mut ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::ManageEndpoint)?;
    if let Some(url) = patch.url.as_value() {
        check_url("body.url", url)?;
    }
    if let Some(uid) = patch.uid.as_value() {
        check_uid("body.uid", uid)?;
    }
    check_throttle("body.throttleRate", patch.throttle_rate.as_value().copied())?;
    if let Some(m) = patch.metadata.as_value() {
        check_metadata("body.metadata", m)?;
    }
    if let Some(t) = patch.event_types.as_value() {
        check_list("body.eventTypes", t, 1, 1000, 256)?;
    }
    if let Some(c) = patch.channels.as_value() {
        check_list("body.channels", c, 1, 10, 128)?;
    }
    if let Some(name) = patch.signature_scheme.as_value() {
        let scheme = sending_scheme(name)?;
        check_scheme_change(scheme, &ep.secret)?;
        ep.signature_scheme = scheme.name().to_owned();
    }
    patch.url.apply(&mut ep.url);
    patch.description.apply(&mut ep.description);
    patch.uid.apply_nullable(&mut ep.uid);
    patch.disabled.apply(&mut ep.disabled);
    patch.event_types.apply_nullable(&mut ep.event_types);
    patch.channels.apply_nullable(&mut ep.channels);
    patch.throttle_rate.apply_nullable(&mut ep.throttle_rate);
    patch.metadata.apply(&mut ep.metadata);
    if patch
        .timeout_seconds
        .as_value()
        .is_some_and(|t| !(1..=120).contains(t))
    {
        return Err(ApiError::invalid(
            "body.timeoutSeconds",
            "from 1 to 120 seconds",
        ));
    }
    patch.tolerance_hint.apply_nullable(&mut ep.tolerance_hint);
    patch.timeout_seconds.apply_nullable(&mut ep.timeout_secs);
    ep.updated_at = crate::now_millis();
    state.store.update_endpoint(&ep).await?;
    state
        .operational
        .endpoint_event("endpoint.updated", &app, &ep)
        .await;
    Ok(Json(out(ep)))
}

pub(crate) async fn delete_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path((app_id, ep_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (app, ep) = find(&state, &auth, &app_id, &ep_id).await?;
    auth.require(Cap::ManageEndpoint)?;
    state.store.delete_endpoint(&app.id, &ep.id).await?;
    state
        .operational
        .endpoint_event("endpoint.deleted", &app, &ep)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
