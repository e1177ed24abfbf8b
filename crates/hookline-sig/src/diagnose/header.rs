//! Is the signature right but written the wrong way?

use super::{Cx, Finding, FindingKind, algorithms};
use crate::encoding::Encoding;
use crate::headers::Overlay;
use crate::request::Request;
use crate::scheme::{SignatureFormat, Source};
use crate::signature;

/// A provider's published example that does not verify, and what to say about it.
struct BadFixture {
    scheme: &'static str,
    starts: &'static str,
    ends: &'static str,
    message: &'static str,
}

const BAD_FIXTURES: &[BadFixture] = &[BadFixture {
    scheme: "splashify",
    starts: "sha256=2bd8e57e",
    ends: "d7e8f",
    message: "This is the signature Splashify's documentation publishes as its test fixture, and that fixture is wrong: for secret `test-secret` and the documented body, the correct value is sha256=74ab878b4a24f3b1c3c783952ec441fea77e9b6c3ac8e90614410f3bd4a31931.",
}];

pub(super) fn known_bad_fixture(cx: &Cx<'_>) -> Option<Finding> {
    let value = cx
        .scheme
        .signature
        .source
        .header()
        .and_then(|h| cx.req.headers.get(h))?
        .trim()
        .to_ascii_lowercase();
    BAD_FIXTURES
        .iter()
        .find(|f| f.scheme == cx.scheme.name && value.starts_with(f.starts) && value.ends_with(f.ends))
        .map(|f| Finding {
            kind: FindingKind::KnownBadFixture,
            message: f.message.into(),
            fix: "Do not test against the documented value: sign the fixture yourself (`hookline sign`) or use a real delivery.".into(),
        })
}

pub(super) fn check(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let s = cx.scheme;
    let Source::Header(name) = &s.signature.source else {
        return;
    };
    let Some(value) = cx.req.headers.get(name) else {
        return;
    };
    for (fixed, kind, what) in rewrites(&s.signature.format, s.encoding, value) {
        let headers = Overlay {
            base: cx.req.headers,
            name,
            value: &fixed,
        };
        let req = Request {
            headers: &headers,
            ..cx.req
        };
        if cx.verifies(s, cx.keys, &req) {
            out.push(Finding {
                kind,
                message: format!(
                    "The signature is right but {what}: `{name}` should read `{}`.",
                    abbreviate(&fixed)
                ),
                fix: format!(
                    "The sender must write `{name}` as {}.",
                    signature::expectation(&s.signature.format)
                ),
            });
            return;
        }
    }
    algorithm_check(cx, name, value, out);
}

/// The signature is well-formed but made with another hash (its length tells).
fn algorithm_check(cx: &Cx<'_>, name: &str, value: &str, out: &mut Vec<Finding>) {
    let s = cx.scheme;
    let parsed = signature::parse(&s.signature.format, value);
    let Some(len) = parsed
        .signatures()
        .find_map(|sig| s.encoding.decode(sig))
        .map(|d| d.len())
    else {
        return;
    };
    if Some(len) == s.algorithm.signature_len() || !s.algorithm.is_symmetric() {
        return;
    }
    let mut other = s.clone();
    if let Some(alg) = algorithms(s)
        .into_iter()
        .skip(1)
        .find(|a| a.signature_len() == Some(len))
    {
        other.algorithm = alg;
        let proven = cx.verifies(&other, cx.keys, &cx.req);
        out.push(Finding {
            kind: FindingKind::Algorithm,
            message: format!(
                "The signature in `{name}` is {len} bytes: {} made it, but scheme `{}` uses {}{}.",
                alg.as_str(),
                s.name,
                s.algorithm.as_str(),
                if proven { " (with the key given, it verifies as the former)" } else { "" }
            ),
            fix: "Make the sender use the scheme's hash, or declare a custom scheme with its algorithm (for GitHub, `github-sha1` reads the legacy X-Hub-Signature header).".into(),
        });
    }
}

/// Corrected versions of a signature header value, with the kind of mistake and its wording.
fn rewrites(
    format: &SignatureFormat,
    encoding: Encoding,
    value: &str,
) -> Vec<(String, FindingKind, String)> {
    use FindingKind::{SignatureEncoding, SignaturePrefix, SignatureSpacing};
    let mut out = Vec::new();
    let despaced: String = value
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(if matches!(format, SignatureFormat::List { .. }) {
            " "
        } else {
            ""
        });
    let squeezed = squeeze_after_separators(value);
    if squeezed != value {
        out.push((
            squeezed,
            SignatureSpacing,
            "it has stray spaces after `=` or `,`".to_owned(),
        ));
    } else if despaced != value && !matches!(format, SignatureFormat::List { .. }) {
        out.push((despaced, SignatureSpacing, "it has stray spaces".to_owned()));
    }
    match format {
        SignatureFormat::Single { prefix } if !prefix.is_empty() => {
            if let Some(rest) = value
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix(prefix.as_str()))
            {
                out.push((
                    format!("{prefix}{rest}"),
                    SignaturePrefix,
                    format!("its `{prefix}` prefix is doubled"),
                ));
            } else if !value.starts_with(prefix.as_str()) {
                let bare = bare_signature(value);
                let what = if bare == value {
                    format!("its `{prefix}` prefix is missing")
                } else {
                    format!(
                        "its prefix is `{}`, not `{prefix}`",
                        &value[..value.len() - bare.len()]
                    )
                };
                out.push((format!("{prefix}{bare}"), SignaturePrefix, what));
            }
        }
        SignatureFormat::Single { .. } => {
            let bare = bare_signature(value);
            if bare != value {
                out.push((
                    bare.to_owned(),
                    SignaturePrefix,
                    format!(
                        "it carries a prefix `{}` that this scheme does not use",
                        &value[..value.len() - bare.len()]
                    ),
                ));
            }
        }
        SignatureFormat::List { version } => {
            let tag = format!("{version},");
            let entries: Vec<&str> = value.split(' ').filter(|e| !e.is_empty()).collect();
            if entries
                .iter()
                .any(|e| e.starts_with(&format!("{tag}{tag}")))
            {
                let fixed: Vec<String> = entries
                    .iter()
                    .map(|e| {
                        e.strip_prefix(tag.as_str())
                            .filter(|r| r.starts_with(tag.as_str()))
                            .unwrap_or(e)
                            .to_owned()
                    })
                    .collect();
                out.push((
                    fixed.join(" "),
                    SignaturePrefix,
                    format!("its `{tag}` prefix is doubled"),
                ));
            }
            if entries.iter().all(|e| !e.contains(',')) {
                let fixed: Vec<String> = entries.iter().map(|e| format!("{tag}{e}")).collect();
                out.push((
                    fixed.join(" "),
                    SignaturePrefix,
                    format!("its `{tag}` prefix is missing"),
                ));
            }
        }
        SignatureFormat::Pairs { .. } => {}
    }
    // Encodings: apply to the signatures as the layout reads them (after the fixes above).
    let base = out
        .first()
        .map_or_else(|| value.to_owned(), |(v, _, _)| v.clone());
    let other = encoding.other();
    if let Some(v) = reencode(format, &base, |sig| {
        other.decode(sig).map(|b| encoding.encode(&b))
    }) {
        out.push((
            v,
            SignatureEncoding,
            format!(
                "it is written in {} where the scheme uses {}",
                other.as_str(),
                encoding.as_str()
            ),
        ));
    }
    if let Some(v) = reencode(format, &base, |sig| {
        let text = Encoding::Base64.decode(sig)?;
        let hex_bytes = hex::decode(std::str::from_utf8(&text).ok()?.trim()).ok()?;
        Some(encoding.encode(&hex_bytes))
    }) {
        out.push((
            v,
            SignatureEncoding,
            "it is the base64 of the hex digest's text (the digest was encoded twice)".to_owned(),
        ));
    }
    out
}

/// The value with each signature passed through `f`; `None` if `f` changes none of them.
fn reencode(
    format: &SignatureFormat,
    value: &str,
    f: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let parsed = signature::parse(format, value);
    let mut changed = false;
    let sigs: Vec<String> = parsed
        .signatures()
        .map(|s| match f(s) {
            Some(n) if n != s => {
                changed = true;
                n
            }
            _ => s.to_owned(),
        })
        .collect();
    let params: Vec<(&str, &str)> = parsed.params().collect();
    changed.then(|| signature::write(format, &sigs, &params))
}

/// `sha1=abc` → `abc`; `v1,abc` → `abc`: the part after a short `word=` or `word,` prefix.
fn bare_signature(value: &str) -> &str {
    for sep in ['=', ','] {
        if let Some((p, rest)) = value.split_once(sep)
            && !p.is_empty()
            && p.len() <= 8
            && p.bytes().all(|b| b.is_ascii_alphanumeric())
            && !rest.is_empty()
        {
            return rest;
        }
    }
    value
}

fn squeeze_after_separators(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut after_sep = false;
    for c in value.trim().chars() {
        if c == ' ' && after_sep {
            continue;
        }
        after_sep = matches!(c, '=' | ',' | ';');
        out.push(c);
    }
    out
}

fn abbreviate(v: &str) -> String {
    if v.len() <= 90 {
        v.to_owned()
    } else {
        format!(
            "{}…",
            &v[..v.char_indices().nth(87).map_or(v.len(), |(i, _)| i)]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_fix_prefixes() {
        let f = SignatureFormat::Single {
            prefix: "sha256=".into(),
        };
        let r = rewrites(&f, Encoding::Hex, "sha256=sha256=ab");
        assert!(
            r.iter()
                .any(|(v, k, _)| v == "sha256=ab" && *k == FindingKind::SignaturePrefix)
        );
        let r = rewrites(&f, Encoding::Hex, "ab");
        assert!(r.iter().any(|(v, _, _)| v == "sha256=ab"));
        let r = rewrites(&f, Encoding::Hex, "sha1=ab");
        assert!(
            r.iter()
                .any(|(v, _, w)| v == "sha256=ab" && w.contains("sha1="))
        );
        let r = rewrites(&f, Encoding::Hex, "sha256= ab");
        assert!(
            r.iter()
                .any(|(v, k, _)| v == "sha256=ab" && *k == FindingKind::SignatureSpacing)
        );
    }

    #[test]
    fn rewrites_fix_encodings() {
        let f = SignatureFormat::List {
            version: "v1".into(),
        };
        // `abcd` in hex is `q80=` in base64.
        let r = rewrites(&f, Encoding::Base64, "v1,abcd");
        assert!(
            r.iter()
                .any(|(v, k, _)| v == "v1,q80=" && *k == FindingKind::SignatureEncoding),
            "{r:?}"
        );
    }
}
