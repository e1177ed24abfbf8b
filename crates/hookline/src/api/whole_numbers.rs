//! `2.0` where an integer is expected. JSON has one number type, and JSON Schema counts
//! `2.0` as the integer 2, so a client (or a generator working from our OpenAPI document)
//! may write an integer that way; serde's integer types refuse it. Rather than widen every
//! integer field, a body that failed on exactly this is mended and parsed again: only the
//! value at the failing path changes, and the common case pays nothing. The mended body is
//! written again by serde_json, so in such a (rare) body the rest keeps its values and key
//! order but not always its spelling (`1e2` comes back as `100.0`).

use serde_json::Value;
use serde_path_to_error::{Path, Segment};

/// The body with the whole float at `path` written as an integer, when serde's `message`
/// says an integer was expected there and got a float with no fraction. `None` otherwise.
pub(super) fn mend(bytes: &[u8], path: &Path, message: &str) -> Option<Vec<u8>> {
    let expected_integer = ["expected u", "expected i"]
        .iter()
        .any(|e| message.contains(e));
    if !message.starts_with("invalid type: floating point") || !expected_integer {
        return None;
    }
    let mut body: Value = serde_json::from_slice(bytes).ok()?;
    let mut at = &mut body;
    for segment in path {
        at = match segment {
            Segment::Map { key } => at.get_mut(key.as_str())?,
            Segment::Seq { index } => at.get_mut(*index)?,
            _ => return None,
        };
    }
    let f = at.as_f64()?;
    // Beyond 2^53 a float no longer names one integer.
    if f.fract() != 0.0 || f.abs() > 9_007_199_254_740_992.0 {
        return None;
    }
    // In range by the check above, so the casts are exact.
    *at = if f < 0.0 {
        Value::from(f as i64)
    } else {
        Value::from(f as u64)
    };
    serde_json::to_vec(&body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct In {
        throttle_rate: Option<u16>,
        payload: Value,
        inner: Option<Box<In>>,
    }

    fn parse(text: &str) -> Result<In, String> {
        let mut bytes = text.as_bytes().to_vec();
        for _ in 0..32 {
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            match serde_path_to_error::deserialize::<_, In>(&mut de) {
                Ok(v) => return Ok(v),
                Err(e) => match mend(&bytes, e.path(), &e.inner().to_string()) {
                    Some(m) => bytes = m,
                    None => return Err(e.to_string()),
                },
            }
        }
        Err("too many".into())
    }

    #[test]
    fn whole_floats_become_integers_where_integers_are_expected() {
        let v = parse(r#"{"throttleRate": 7.0, "payload": {"n": 2.0}, "inner": {"throttleRate": 3.0, "payload": 1}}"#)
            .expect("parses");
        assert_eq!(v.throttle_rate, Some(7));
        assert_eq!(v.inner.and_then(|i| i.throttle_rate), Some(3));
        // A free-form value keeps its spelling.
        assert_eq!(v.payload.to_string(), r#"{"n":2.0}"#);
    }

    #[test]
    fn fractions_and_out_of_range_values_are_still_refused() {
        assert!(parse(r#"{"throttleRate": 7.5, "payload": 1}"#).is_err());
        assert!(parse(r#"{"throttleRate": 70000.0, "payload": 1}"#).is_err());
        assert!(parse(r#"{"throttleRate": -1.0, "payload": 1}"#).is_err());
        assert!(parse(r#"{"throttleRate": "7", "payload": 1}"#).is_err());
    }
}
