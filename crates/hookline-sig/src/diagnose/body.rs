//! Was the body changed between the sender's MAC and this check?

use std::io;

use base64::Engine as _;
use serde::Serialize as _;
use serde_json::Value;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::{Cx, Finding, FindingKind};

/// Bodies larger than this are not re-serialized: the diagnosis must stay cheap.
const MAX_BODY: usize = 4 << 20;

pub(super) fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let body = cx.req.body;
    if body.len() > MAX_BODY {
        return;
    }
    for (variant, kind, what) in variants(body) {
        if variant != body && cx.verifies(cx.scheme, cx.keys, &cx.with_body(&variant)) {
            let fix = match kind {
                FindingKind::BodyReserialized => {
                    "Verify the raw request bytes, before any JSON parsing: e.g. express.raw({type: 'application/json'}) instead of express.json(), request.get_data() in Flask, the raw body option of your serverless platform. Parse only after verification."
                }
                FindingKind::BodyCharset => {
                    "Read the body as bytes, not as text: no decoding and re-encoding between the socket and the verifier."
                }
                _ => {
                    "Verify the body exactly as the sender sent it: turn off the proxy or platform option that rewrites it, or undo that rewrite first."
                }
            };
            out.push(Finding {
                kind,
                message: format!("The signature matches the body {what}: the body was changed after it was signed, so the bytes verified are not the bytes sent."),
                fix: fix.into(),
            });
            return;
        }
    }
}

/// Plausible originals of `body`, each with the kind of change and a description of it.
fn variants(body: &[u8]) -> Vec<(Vec<u8>, FindingKind, &'static str)> {
    use FindingKind::{BodyAltered, BodyCharset, BodyReserialized};
    let mut out = Vec::new();
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        let sorted = sort_keys(json.clone());
        for (bytes, what) in [
            (
                write(&json, CompactFormatter),
                "written as compact JSON (no spaces), as JSON.stringify and most serializers do",
            ),
            (
                write(&json, PrettyFormatter::with_indent(b"  ")),
                "pretty-printed with 2-space indentation",
            ),
            (
                write(&json, PrettyFormatter::with_indent(b"    ")),
                "pretty-printed with 4-space indentation",
            ),
            (
                write(&json, Python { ascii: true }),
                "written as Python's json.dumps writes it (`, ` and `: ` separators, non-ASCII escaped)",
            ),
            (
                write(&json, Python { ascii: false }),
                "written with `, ` and `: ` separators (json.dumps with ensure_ascii=False)",
            ),
            (
                write(&sorted, CompactFormatter),
                "written as compact JSON with keys sorted",
            ),
            (
                write(&sorted, PrettyFormatter::with_indent(b"  ")),
                "pretty-printed with keys sorted",
            ),
            (
                write(&sorted, Python { ascii: true }),
                "written as json.dumps(sort_keys=True) writes it",
            ),
        ] {
            out.push((bytes, BodyReserialized, what));
        }
    }
    if let Some(trimmed) = body.strip_suffix(b"\n") {
        out.push((
            trimmed.strip_suffix(b"\r").unwrap_or(trimmed).to_vec(),
            BodyAltered,
            "without its trailing newline (one was added on the way)",
        ));
    }
    let mut with_newline = body.to_vec();
    with_newline.push(b'\n');
    out.push((
        with_newline,
        BodyAltered,
        "with a trailing newline (it was stripped on the way)",
    ));
    if body.contains(&b'\n') {
        if body.windows(2).any(|w| w == b"\r\n") {
            out.push((
                replace(body, b"\r\n", b"\n"),
                BodyAltered,
                "with LF line endings (they became CRLF on the way)",
            ));
        } else {
            out.push((
                replace(body, b"\n", b"\r\n"),
                BodyAltered,
                "with CRLF line endings (they became LF on the way)",
            ));
        }
    }
    if let Ok(text) = std::str::from_utf8(body) {
        // Sent as Latin-1, read as Latin-1 and re-encoded as UTF-8 on the way.
        if let Some(latin1) = text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()
            && latin1 != body
        {
            out.push((
                latin1,
                BodyCharset,
                "encoded as Latin-1 (it was re-encoded as UTF-8 on the way)",
            ));
        }
    }
    if !body.is_ascii() {
        // Sent as UTF-8, decoded as Latin-1 and re-encoded on the way (mojibake), or
        // truly Latin-1 bytes that were read as such.
        let as_utf8: String = body.iter().map(|&b| char::from(b)).collect();
        out.push((
            as_utf8.into_bytes(),
            BodyCharset,
            "encoded as UTF-8 (it arrived in another character set)",
        ));
    }
    let trimmed = body.trim_ascii();
    if !trimmed.is_empty()
        && trimmed.len().is_multiple_of(4)
        && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(trimmed)
    {
        out.push((
            decoded,
            BodyAltered,
            "base64-decoded (a gateway base64-wrapped it, e.g. API Gateway's isBase64Encoded)",
        ));
    }
    out
}

fn write<F: Formatter>(v: &Value, f: F) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, f);
    // Writing a `Value` to a Vec cannot fail.
    let _ = v.serialize(&mut ser);
    buf
}

fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> =
                map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

fn replace(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 16);
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

/// Python's `json.dumps` defaults: `", "` and `": "` separators and, with `ensure_ascii`,
/// every non-ASCII character escaped as `\uXXXX` (surrogate pairs beyond the BMP).
struct Python {
    ascii: bool,
}

impl Formatter for Python {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !self.ascii {
            return w.write_all(fragment.as_bytes());
        }
        for c in fragment.chars() {
            if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_style_matches_json_dumps() {
        let v: Value = serde_json::from_str(r#"{"b":[1,2],"a":"é😀"}"#).expect("json");
        assert_eq!(
            String::from_utf8(write(&v, Python { ascii: true })).expect("utf8"),
            r#"{"b": [1, 2], "a": "\u00e9\ud83d\ude00"}"#
        );
        assert_eq!(
            String::from_utf8(write(&sort_keys(v), CompactFormatter)).expect("utf8"),
            r#"{"a":"é😀","b":[1,2]}"#
        );
    }

    #[test]
    fn line_ending_rewrites() {
        assert_eq!(replace(b"a\nb\n", b"\n", b"\r\n"), b"a\r\nb\r\n");
        assert_eq!(replace(b"a\r\nb", b"\r\n", b"\n"), b"a\nb");
    }
}
