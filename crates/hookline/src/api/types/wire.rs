//! The wire shapes every resource shares: dates as Svix writes them, the two kinds of PATCH
//! field (`Patch` may be cleared with `null`, `Update` may not), and the page of a list.

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::non_null;
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
