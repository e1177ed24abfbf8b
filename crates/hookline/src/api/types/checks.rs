//! Checks shared by several resources: names and ids, metadata, throttle rates, delivery
//! URLs and lists of names. Each takes the location of the value, so its 422 names the field.

use serde_json::{Map, Value};

use crate::api::error::{ApiError, ApiResult};

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
                    crate::api::extract::NUL_MESSAGE,
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
        .map_err(|why| ApiError::invalid(loc, why))
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
