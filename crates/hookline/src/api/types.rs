//! Wire types, named as in Svix's API (`ApplicationIn`, `EndpointOut`, ...), and the checks
//! that turn input into valid model values. Field names are camelCase on the wire.

use std::collections::BTreeMap;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult};
use super::extract::non_null;
use crate::store::Millis;

/// RFC 3339 with milliseconds, UTC (`2026-11-23T09:45:18.123Z`), as Svix writes dates.
pub fn format_date(ms: Millis) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

pub fn parse_date(loc: &str, v: &str) -> ApiResult<Millis> {
    OffsetDateTime::parse(v, &Rfc3339)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| ApiError::invalid(loc, format!("expected an RFC 3339 date-time, got {v:?}")))
}

/// A PATCH field that may be cleared: absent (keep), `null` (clear) or a value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Missing,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Null,
            Some(v) => Patch::Value(v),
        })
    }
}

impl<T> Patch<T> {
    /// Applies the patch to a nullable field.
    pub fn apply_nullable(self, field: &mut Option<T>) {
        match self {
            Patch::Missing => {}
            Patch::Null => *field = None,
            Patch::Value(v) => *field = Some(v),
        }
    }
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// A PATCH field that cannot be cleared (not nullable in Svix's reference): absent (keep)
/// or a value. `null` is refused with a 422 naming the field, rather than ignored: a client
/// sending `"url": null` means something, and a 200 that did nothing would hide it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Update<T> {
    #[default]
    Missing,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Update<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only called when the field is present (`#[serde(default)]` gives `Missing`).
        Ok(match non_null(d)? {
            Some(v) => Update::Value(v),
            None => Update::Missing,
        })
    }
}

impl<T> Update<T> {
    pub fn apply(self, field: &mut T) {
        if let Update::Value(v) = self {
            *field = v;
        }
    }
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Update::Value(v) => Some(v),
            Update::Missing => None,
        }
    }
}

/// `ListResponse_*`: a page of items and the cursors around it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub iterator: Option<String>,
    pub prev_iterator: Option<String>,
    pub done: bool,
}

// ---- Checks shared by several resources -------------------------------------------------

const ID_PATTERN_MSG: &str =
    "may only contain letters, digits, `-`, `_` and `.` (1 to 256 characters)";

pub fn check_uid(loc: &str, v: &str) -> ApiResult<()> {
    let ok = !v.is_empty()
        && v.len() <= 256
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(ApiError::invalid(loc, ID_PATTERN_MSG));
    }
    Ok(())
}

/// Metadata values are strings; the keys were checked for NULs as they were read (see
/// `extract::strict`), the values are checked here since a map of JSON values reaches the
/// handler unchecked.
pub fn check_metadata(loc: &str, m: &Map<String, Value>) -> ApiResult<()> {
    for (k, v) in m {
        match v.as_str() {
            None => {
                return Err(ApiError::invalid(
                    &format!("{loc}.{k}"),
                    "metadata values must be strings",
                ));
            }
            Some(v) if v.contains('\0') => {
                return Err(ApiError::invalid(
                    &format!("{loc}.{k}"),
                    super::extract::NUL_MESSAGE,
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

pub fn check_throttle(loc: &str, v: Option<u16>) -> ApiResult<()> {
    if v == Some(0) {
        return Err(ApiError::invalid(loc, "must be at least 1"));
    }
    Ok(())
}

/// A URL deliveries can go to, judged by the parser the sender uses
/// ([`crate::engine::target::DeliveryUrl`]), so what is accepted here can be sent to.
pub fn check_url(loc: &str, v: &str) -> ApiResult<()> {
    crate::engine::target::DeliveryUrl::parse(v)
        .map(|_| ())
        .map_err(|why| {
            ApiError::invalid(
                loc,
                format!("expected an absolute http:// or https:// URL: {why}"),
            )
        })
}

/// A list of names: `min..=max` items, each a valid name of at most `max_len` characters,
/// no repeats.
pub fn check_list(
    loc: &str,
    items: &[String],
    min: usize,
    max: usize,
    max_len: usize,
) -> ApiResult<()> {
    if items.len() < min || items.len() > max {
        return Err(ApiError::invalid(
            loc,
            format!("expected {min} to {max} items"),
        ));
    }
    for (i, v) in items.iter().enumerate() {
        check_uid(&format!("{loc}.{i}"), v)?;
        if v.len() > max_len {
            return Err(ApiError::invalid(
                &format!("{loc}.{i}"),
                format!("at most {max_len} characters"),
            ));
        }
        if items[..i].contains(v) {
            return Err(ApiError::invalid(&format!("{loc}.{i}"), "repeated"));
        }
    }
    Ok(())
}

// ---- Applications ------------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationIn {
    pub name: String,
    #[serde(default)]
    pub uid: Option<String>,
    /// `rateLimit` is what Svix 1.x SDKs send.
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Option<u16>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Update<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub uid: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<u16>)]
    pub throttle_rate: Patch<u16>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Update<Map<String, Value>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOut {
    pub id: String,
    pub uid: Option<String>,
    pub name: String,
    pub throttle_rate: Option<u16>,
    pub metadata: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- Event types -------------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeIn {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub feature_flag: Option<String>,
    #[serde(default)]
    pub schemas: Option<Value>,
}

/// PUT body: like `EventTypeIn` without the name (it is in the path).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeUpdate {
    pub description: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub feature_flag: Option<String>,
    #[serde(default)]
    pub schemas: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub description: Update<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub archived: Update<bool>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deprecated: Update<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub feature_flag: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub schemas: Patch<Value>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOut {
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub deprecated: bool,
    pub feature_flag: Option<String>,
    pub schemas: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- Endpoints ---------------------------------------------------------------------------

/// POST and PUT body. `filterTypes` is accepted as an alias of `eventTypes` (older SDKs).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointIn {
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, alias = "filterTypes")]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// `rateLimit` is what Svix 1.x SDKs send.
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Option<u16>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Only on create; ignored on update (use `secret/rotate`).
    #[serde(default)]
    pub secret: Option<String>,
    /// Only on create.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    /// Hookline extension: the `hookline-sig` preset deliveries are signed with (default `svix`).
    /// Never null: it always has a value (absent on PUT keeps the current one).
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String)]
    pub signature_scheme: Option<String>,
    /// Hookline extension: the replay window (seconds) receivers are told to apply.
    #[serde(default)]
    pub tolerance_hint: Option<u32>,
    /// Hookline extension: this endpoint's total timeout per attempt, 1 to 120 seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub url: Update<String>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub description: Update<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub uid: Patch<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub disabled: Update<bool>,
    #[serde(default, alias = "filterTypes")]
    #[schema(value_type = Option<Vec<String>>)]
    pub event_types: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub channels: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<u16>)]
    pub throttle_rate: Patch<u16>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Update<Map<String, Value>>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub signature_scheme: Update<String>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub tolerance_hint: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub timeout_seconds: Patch<u32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    pub id: String,
    pub uid: Option<String>,
    pub url: String,
    pub description: String,
    pub disabled: bool,
    pub event_types: Option<Vec<String>>,
    /// The same as `eventTypes`, for older SDKs.
    pub filter_types: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    pub throttle_rate: Option<u16>,
    pub metadata: Map<String, Value>,
    pub signature_scheme: String,
    pub tolerance_hint: Option<u32>,
    pub timeout_seconds: Option<u32>,
    /// Always 1: Svix 1.x SDKs require the field (deprecated there, gone from today's API).
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointSecretOut {
    /// The signing secret; for an asymmetric scheme, the public key receivers verify with.
    pub key: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSecretRotateIn {
    #[serde(default)]
    pub key: Option<String>,
    /// How long the old secret keeps signing too (default 86,400 s, at most 604,800).
    #[serde(default)]
    pub grace_period_seconds: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct EndpointHeadersIn {
    pub headers: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct EndpointHeadersPatchIn {
    /// `null` removes a header.
    #[schema(value_type = Object)]
    pub headers: BTreeMap<String, Option<String>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointHeadersOut {
    pub headers: BTreeMap<String, String>,
    /// Headers whose values are not shown.
    pub sensitive: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointStats {
    pub success: i64,
    pub pending: i64,
    pub sending: i64,
    pub fail: i64,
    pub canceled: i64,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RecoverIn {
    pub since: String,
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoverOut {
    pub id: String,
    pub status: String,
    pub task: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventExampleIn {
    pub event_type: String,
}

// ---- Messages and attempts ---------------------------------------------------------------

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageIn {
    pub event_type: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Creates the application if it does not exist yet.
    #[serde(default)]
    pub application: Option<ApplicationIn>,
    /// Days the payload is kept (5 to 90, default 90). Not nullable in Svix's reference.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = i64)]
    pub payload_retention_period: Option<i64>,
    /// Hours the payload is kept; overrides `payloadRetentionPeriod`.
    #[serde(default)]
    pub payload_retention_hours: Option<i64>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    pub id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub channels: Option<Vec<String>>,
    pub timestamp: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageAttemptOut {
    pub id: String,
    pub msg_id: String,
    pub endpoint_id: String,
    pub url: String,
    pub response: String,
    pub response_status_code: i64,
    pub response_duration_ms: i64,
    pub status: i64,
    pub status_text: String,
    pub trigger_type: i64,
    pub timestamp: String,
    /// Hookline extension: why the attempt failed, in words (timeout, connection refused,
    /// refused by the SSRF guard, status 503, ...).
    pub failure_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointMessageOut {
    pub id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub channels: Option<Vec<String>>,
    pub timestamp: String,
    pub status: i64,
    pub status_text: String,
    pub next_attempt: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageEndpointOut {
    pub id: String,
    pub uid: Option<String>,
    pub url: String,
    pub description: String,
    pub disabled: bool,
    pub event_types: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    pub throttle_rate: Option<u16>,
    pub status: i64,
    pub status_text: String,
    pub next_attempt: Option<String>,
    /// Always 1: Svix 1.x SDKs require the field.
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppPortalAccessIn {
    #[serde(default)]
    pub application: Option<ApplicationIn>,
    #[serde(default)]
    pub feature_flags: Vec<String>,
    /// Seconds the token is valid (default 7 days).
    #[serde(default)]
    pub expiry: Option<u32>,
    /// Svix's read-only portal: the views only (endpoints and secrets seen, nothing changed).
    #[serde(default)]
    pub read_only: Option<bool>,
    /// What the token may do besides `ViewBase` (default: everything).
    #[serde(default)]
    pub capabilities: Option<Vec<super::caps::Cap>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppPortalAccessOut {
    pub token: String,
    pub url: String,
}

/// Svix's `statusText` for a delivery status.
pub fn status_text(status: crate::store::DeliveryStatus) -> &'static str {
    use crate::store::DeliveryStatus::*;
    match status {
        Success => "success",
        Pending => "pending",
        Fail => "fail",
        Sending => "sending",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_with_millis() {
        assert_eq!(format_date(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(
            parse_date("q", "2023-11-14T22:13:20.123Z").expect("parses"),
            1_700_000_000_123
        );
        assert!(parse_date("q", "yesterday").is_err());
    }

    #[test]
    fn patch_tells_missing_from_null() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            a: Patch<u16>,
        }
        let p: P = serde_json::from_str("{}").expect("json");
        assert_eq!(p.a, Patch::Missing);
        let p: P = serde_json::from_str(r#"{"a":null}"#).expect("json");
        assert_eq!(p.a, Patch::Null);
        let p: P = serde_json::from_str(r#"{"a":3}"#).expect("json");
        assert_eq!(p.a, Patch::Value(3));
    }

    #[test]
    fn update_refuses_null() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            a: Update<u16>,
        }
        let p: P = serde_json::from_str("{}").expect("json");
        assert_eq!(p.a, Update::Missing);
        let p: P = serde_json::from_str(r#"{"a":3}"#).expect("json");
        assert_eq!(p.a, Update::Value(3));
        let e = serde_json::from_str::<P>(r#"{"a":null}"#)
            .err()
            .expect("null");
        assert!(e.to_string().contains("must not be null"), "{e}");
    }

    #[test]
    fn url_and_uid_checks() {
        assert!(check_url("u", "https://example.com/x").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "example.com",
            "https://a b",
            "http:///x",
            "http://ⅻ27.0.0.1",
        ] {
            assert!(check_url("u", bad).is_err(), "{bad}");
        }
        assert!(check_uid("u", "a-b_c.d").is_ok());
        assert!(check_uid("u", "").is_err());
        assert!(check_uid("u", "a b").is_err());
    }
}
