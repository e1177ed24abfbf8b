//! Request extractors: the bearer token, JSON bodies and query parameters, each turning bad
//! input into a precise `ApiError` (never axum's plain-text rejections). JSON bodies are read
//! through `strict`, which refuses what serde's defaults let through.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::crypto::token_hash;

mod strict;
pub(crate) use strict::{NUL_MESSAGE, NULL_MESSAGE, non_null};

/// Who is calling: an admin token, or an app-portal token limited to one application
/// and to what its capabilities allow.
#[derive(Clone, Debug)]
pub struct Auth {
    pub app_id: Option<Arc<str>>,
    /// What an app-portal caller may do besides seeing its application (an admin: all).
    pub caps: Caps,
}

pub use super::caps::{Cap, Caps};

impl Auth {
    /// An admin: every application, every operation.
    pub fn admin() -> Auth {
        Auth {
            app_id: None,
            caps: Caps::ALL,
        }
    }

    /// Operations an app-portal token needs a capability for (Svix's `capabilities` on
    /// `app-portal-access`). Refused with 403 naming the capability: the caller can see
    /// the application, so hiding it behind a 404 would only confuse.
    pub fn require(&self, cap: Cap) -> ApiResult<()> {
        if self.caps.has(cap) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this token lacks the {} capability",
                cap.name()
            )))
        }
    }

    /// Admin-only operations.
    pub fn require_admin(&self) -> ApiResult<()> {
        match self.app_id {
            None => Ok(()),
            Some(_) => Err(ApiError::Forbidden(
                "this operation needs an admin token".into(),
            )),
        }
    }

    /// Whether this token may see the application `app_id`. A token for another
    /// application gets 404, as if the application did not exist.
    pub fn can_see(&self, app_id: &str) -> bool {
        self.app_id.as_deref().is_none_or(|a| a == app_id)
    }
}

/// The token of an `Authorization: Bearer <token>` header value, or `None` when it is not
/// one. The scheme is matched in any case (RFC 9110 section 11.1: an auth-scheme is
/// case-insensitive, and clients do send `bearer`). This is the one parser of the header:
/// every place that reads a token goes through [`authenticate`], which uses it.
pub(crate) fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let (scheme, rest) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_matches([' ', '\t']);
    (!token.is_empty()).then_some(token)
}

/// Checks the request's token: the one place it is done, for the `Auth` extractor and for
/// the idempotency layer, which must know the caller before it claims a key.
pub(crate) async fn authenticate(headers: &HeaderMap, state: &AppState) -> ApiResult<Auth> {
    let header = headers.get(AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("missing the `Authorization: Bearer <token>` header".into())
    })?;
    let token = bearer_token(header)
        .ok_or_else(|| ApiError::Unauthorized("expected `Authorization: Bearer <token>`".into()))?;
    token_auth(token, state).await
}

/// Who `token` is, if anyone: the API's bearer tokens, and the dashboard's sign-in form.
pub(crate) async fn token_auth(token: &str, state: &AppState) -> ApiResult<Auth> {
    let hash = token_hash(token);
    let generation = state.store.generation();
    let now = std::time::Instant::now();
    let found = match state.caches.tokens.get(&hash, generation, now) {
        Some(t) => Some(t),
        None => {
            let found = state.store.token_by_hash(&hash).await?;
            // Only tokens that exist are kept, so wrong guesses cannot fill the cache.
            if let Some(t) = &found {
                state.caches.tokens.put(&hash, generation, now, t.clone());
            }
            found
        }
    };
    match found {
        Some(t) if t.expires_at.is_none_or(|e| e > crate::now_millis()) => Ok(Auth {
            app_id: t.app_id.map(Arc::from),
            caps: t.caps.map_or(Caps::ALL, Caps::from_bits),
        }),
        _ => Err(ApiError::Unauthorized("invalid token".into())),
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        // Already checked by the idempotency layer for this request: not looked up twice.
        if let Some(auth) = parts.extensions.get::<Auth>() {
            return Ok(auth.clone());
        }
        authenticate(&parts.headers, state).await
    }
}

/// A JSON body, size-limited by the router's body limit.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> ApiResult<Self> {
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(state.max_body_bytes))?;
        parse_json(&bytes).map(Body)
    }
}

/// Syntax errors are 400 (`invalid_json`); well-formed JSON of the wrong shape is 422 with
/// the path of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // Strict inside the path tracker: arrays for objects and NULs in strings are refused at
    // the field where they stand, and the error names that field (see `strict`).
    let parsed: Result<T, serde_path_to_error::Error<serde_json::Error>> =
        serde_path_to_error::deserialize(strict::Strict(&mut de));
    let invalid_json = |e: &serde_json::Error| {
        ApiError::BadRequest(
            "invalid_json",
            format!(
                "the body is not valid JSON: {}",
                strip_position(&e.to_string())
            ),
        )
    };
    match parsed {
        Ok(v) => {
            de.end().map_err(|e| invalid_json(&e))?;
            Ok(v)
        }
        Err(e) => {
            // `2.0` for an integer: mended and parsed again (see `whole_numbers`). Each
            // pass turns one integer field's float into an integer, so this ends.
            if let Some(mended) =
                super::whole_numbers::mend(bytes, e.path(), &e.inner().to_string())
            {
                return parse_json(&mended);
            }
            let mut loc = vec!["body".to_owned()];
            for segment in e.path() {
                use serde_path_to_error::Segment;
                match segment {
                    Segment::Seq { index } => loc.push(index.to_string()),
                    Segment::Map { key } => loc.push(key.clone()),
                    Segment::Enum { variant } => loc.push(variant.clone()),
                    // A map key that failed (a NUL in it): the map is named.
                    Segment::Unknown => {}
                }
            }
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(invalid_json(&inner));
            }
            // serde reports a missing field at its parent: name the field itself.
            let text = inner.to_string();
            if let Some(field) = text
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                loc.push(field.to_owned());
            }
            let msg = strip_position(&text);
            // A value of the right type that is not allowed (`null`, a NUL) is a value error.
            let kind = if msg == NUL_MESSAGE || msg == NULL_MESSAGE {
                "value_error"
            } else {
                "type_error"
            };
            Err(ApiError::Validation(vec![
                super::error::ValidationErrorItem {
                    loc,
                    msg,
                    kind: kind.into(),
                },
            ]))
        }
    }
}

fn strip_position(msg: &str) -> String {
    msg.split(" at line ").next().unwrap_or(msg).to_owned()
}

/// Query parameters, read by name. Repeated names (and `name[]`) give lists.
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        // As in bodies (see `strict`): PostgreSQL refuses a NUL where SQLite would just
        // find nothing, so it is refused here, the same on both.
        if let Some((k, _)) = pairs
            .iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::invalid(&format!("query.{k}"), NUL_MESSAGE));
        }
        Ok(Params(pairs))
    }
}

impl Params {
    /// Parameters given as pairs (the dashboard passes its own query through the API's).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == name || *k == bracketed)
            .flat_map(|(_, v)| v.split(','))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn bool(&self, name: &str, default: bool) -> ApiResult<bool> {
        match self.str(name) {
            None => Ok(default),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(v) => Err(ApiError::invalid(
                &format!("query.{name}"),
                format!("expected true or false, got {v:?}"),
            )),
        }
    }

    pub fn int(&self, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::invalid(
                    &format!("query.{name}"),
                    format!("expected a whole number from {min} to {max}, got {v:?}"),
                )),
            },
        }
    }

    /// An RFC 3339 date-time, as milliseconds.
    pub fn date(&self, name: &str) -> ApiResult<Option<i64>> {
        self.str(name)
            .map(|v| super::types::parse_date(&format!("query.{name}"), v))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let token = |v: &'static str| bearer_token(&HeaderValue::from_static(v)).map(str::to_owned);
        for v in ["Bearer t0k", "bearer t0k", "BEARER t0k", "bEaReR   t0k "] {
            assert_eq!(token(v).as_deref(), Some("t0k"), "{v}");
        }
        for v in [
            "Basic t0k",
            "Bearer",
            "Bearer ",
            "Bearert0k",
            "t0k",
            "Bearer\tt0k",
        ] {
            assert_eq!(token(v), None, "{v}");
        }
    }
}
