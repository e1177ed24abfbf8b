//! Which presets a request belongs to, judged from the headers it carries.

use crate::headers::Headers;
use crate::presets;
use crate::scheme::{Scheme, SignatureFormat, Source};
use crate::signature;

/// The presets whose signature this request carries, most likely first.
///
/// A preset qualifies when its signature header is present and holds a signature in its
/// layout (so `standard` and `standard-v1a`, which share headers, are told apart by their
/// `v1,` and `v1a,` entries); it ranks higher for each other header of its own that is present.
/// Mailgun, which signs inside the body, qualifies when the body is JSON with its fields.
pub fn detect(headers: &dyn Headers, body: &[u8]) -> Vec<&'static Scheme> {
    let mut scored: Vec<(usize, &'static Scheme)> = presets::all()
        .iter()
        .filter_map(|s| score(s, headers, body).map(|n| (n, s)))
        .collect();
    // Stable: among equals, the preset order (sha256 before the legacy sha1, and so on).
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    scored.into_iter().map(|(_, s)| s).collect()
}

fn score(s: &Scheme, headers: &dyn Headers, body: &[u8]) -> Option<usize> {
    match &s.signature.source {
        Source::Header(name) => {
            let value = headers.get_key(name)?;
            let parsed = signature::parse(&s.signature.format, value);
            let layout_fits = parsed.signatures().next().is_some();
            if !layout_fits && matches!(s.signature.format, SignatureFormat::List { .. }) {
                return None;
            }
            let others = s
                .header_names()
                .iter()
                .skip(1)
                .filter(|h| headers.get(h).is_some())
                .count();
            Some(10 + 3 * usize::from(layout_fits) + others)
        }
        Source::BodyField(pointer) => {
            // Only a plausible body is parsed: detection must stay cheap on hostile input.
            if body.len() > 1 << 20 || !body.starts_with(b"{") {
                return None;
            }
            let v: serde_json::Value = serde_json::from_slice(body).ok()?;
            v.pointer(pointer)?.as_str().map(|_| 5)
        }
        Source::SignatureParam(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: &[(&str, &str)], body: &[u8]) -> Vec<&'static str> {
        detect(&h, body).into_iter().map(|s| s.name()).collect()
    }

    #[test]
    fn tells_schemes_apart() {
        assert_eq!(
            names(&[("Stripe-Signature", "t=1,v1=ab")], b"")[0],
            "stripe"
        );
        assert_eq!(
            names(
                &[("webhook-signature", "v1a,abc"), ("webhook-id", "x")],
                b""
            ),
            ["standard-v1a"]
        );
        assert_eq!(
            names(&[("svix-signature", "v1,abc"), ("svix-id", "x")], b""),
            ["svix"]
        );
        let gh = names(
            &[
                ("X-Hub-Signature-256", "sha256=ab"),
                ("X-Hub-Signature", "sha1=ab"),
            ],
            b"",
        );
        assert_eq!(gh, ["github", "github-sha1"]);
        assert_eq!(
            names(
                &[],
                br#"{"signature":{"signature":"ab","token":"t","timestamp":"1"}}"#
            ),
            ["mailgun"]
        );
        assert!(names(&[("content-type", "application/json")], b"{}").is_empty());
    }
}
