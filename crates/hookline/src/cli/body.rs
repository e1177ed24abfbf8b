//! Request bodies built from flags: `--data` gives a whole JSON body (inline, `@file` or `@-`),
//! and the typed flags of each command are laid over it.

use std::io::Read as _;

use anyhow::Context as _;
use serde_json::{Map, Value};

/// JSON given inline, or `@path` for a file, or `@-` for standard input.
pub(crate) fn json_arg(flag: &str, text: &str) -> anyhow::Result<Value> {
    let raw = match text.strip_prefix('@') {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .with_context(|| format!("{flag}: reading standard input"))?;
            s
        }
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("{flag}: reading {path}"))?
        }
        None => text.to_owned(),
    };
    serde_json::from_str(&raw).with_context(|| format!("{flag}: not JSON"))
}

/// Builds a body: `--data` (an object) as the base, then each `(field, value)` that is set.
pub(crate) fn build(
    data: Option<&str>,
    fields: impl IntoIterator<Item = (&'static str, Option<Value>)>,
) -> anyhow::Result<Value> {
    let mut map = match data {
        Some(d) => match json_arg("--data", d)? {
            Value::Object(m) => m,
            _ => anyhow::bail!("--data: expected a JSON object"),
        },
        None => Map::new(),
    };
    for (k, v) in fields {
        if let Some(v) = v {
            map.insert(k.to_owned(), v);
        }
    }
    Ok(Value::Object(map))
}

/// `Some(json!(v))` for a flag that was given.
pub(crate) fn opt<T: serde::Serialize>(v: Option<T>) -> Option<Value> {
    v.map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
}

/// A list flag: `Some` when repeated at least once.
pub(crate) fn list(v: &[String]) -> Option<Value> {
    (!v.is_empty()).then(|| Value::from(v.to_vec()))
}

/// A JSON flag (`--metadata`, `--schemas`), parsed.
pub(crate) fn json_opt(flag: &str, v: Option<&str>) -> anyhow::Result<Option<Value>> {
    v.map(|t| json_arg(flag, t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_lie_over_data() {
        let b = build(
            Some(r#"{"name": "a", "uid": "u"}"#),
            [("name", Some(Value::from("b"))), ("uid", None)],
        )
        .expect("body");
        assert_eq!(b, serde_json::json!({"name": "b", "uid": "u"}));
        assert!(build(Some("[1]"), []).is_err());
    }
}
