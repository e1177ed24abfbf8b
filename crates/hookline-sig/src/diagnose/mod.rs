//! Why a signature failed, and what to do about it.
//!
//! "Signature mismatch" is where every other library stops. The diagnosis goes on: it
//! re-runs verification on corrected versions of the request, one suspect at a time (the
//! body as it was before a middleware re-serialized it, the secret decoded the other way,
//! the header with its prefix fixed, the URL before a proxy rewrote it, another scheme
//! altogether) and reports each correction that makes the signature match. A correction that
//! matches is proof, not a guess: the sender's MAC was computed over exactly that.
//!
//! Every finding names the mistake and the fix. The checks come from the failure modes
//! providers' issue trackers are full of (see `shared/spec/schemes.md`).
//!
//! Cost: a diagnosis re-verifies the request a few dozen times. It is meant for the failure
//! path of a CLI or a debugging endpoint, not for every forged request a server receives.

mod body;
mod header;
mod keys;

use std::fmt;

use crate::detect::detect;
use crate::error::VerifyError;
use crate::request::Request;
use crate::scheme::{Scheme, Source};
use crate::template::{Part, Template};
use crate::time::{Tolerance, UnixTime};
use crate::verify::{Verified, Verifier};

/// The result of [`diagnose()`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Diagnosis {
    /// The scheme that was checked.
    pub scheme: String,
    /// What plain verification said.
    pub outcome: Result<Verified, VerifyError>,
    /// What was found, most certain first. Empty when verification succeeded and there is
    /// nothing to warn about.
    pub findings: Vec<Finding>,
}

impl Diagnosis {
    /// Whether plain verification succeeded.
    pub fn verified(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// One thing the diagnosis found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What kind of mistake.
    pub kind: FindingKind,
    /// What happened, in a sentence a person can act on.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  fix: {}", self.message, self.fix)
    }
}

/// The kinds of mistake the diagnosis recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// The body was parsed and written out again before verification.
    BodyReserialized,
    /// The body was decoded and re-encoded in another character set.
    BodyCharset,
    /// A proxy wrapped the body (base64) or changed its line endings.
    BodyAltered,
    /// Whitespace or a newline was pasted with the secret.
    SecretWhitespace,
    /// The secret's encoding is mixed up (`whsec_` + base64 decoded or not).
    SecretEncoding,
    /// The secret looks like an API key, not a webhook signing secret.
    SecretLooksLikeApiKey,
    /// The signature's prefix (`sha256=`, `v1,`) is missing, doubled or wrong.
    SignaturePrefix,
    /// Hex read as base64 or the reverse, or the digest text encoded twice.
    SignatureEncoding,
    /// Stray spaces inside the signature header.
    SignatureSpacing,
    /// The signature was made with another hash than the scheme's.
    Algorithm,
    /// The signed content is put together differently than the scheme says.
    SignedContent,
    /// The timestamp lies outside the window.
    TimestampSkew,
    /// The timestamp is in milliseconds where seconds are expected, or the reverse.
    TimestampUnit,
    /// The request belongs to another scheme.
    OtherScheme,
    /// The URL the sender signed is not the one given (a proxy changed it).
    UrlChanged,
    /// The value is a provider's published example that is known to be wrong.
    KnownBadFixture,
    /// A required part of the request is missing or unreadable.
    Malformed,
    /// No correction explains the failure: the key is wrong or the body was changed.
    WrongKeyOrBody,
    /// Verification passed, but something about the scheme deserves care.
    Caution,
}

/// Verifies `req` and, when it fails, finds out why. See the module docs.
pub fn diagnose<S: AsRef<str>>(
    scheme: &Scheme,
    keys: &[S],
    req: &Request<'_>,
    now: UnixTime,
) -> Diagnosis {
    let keys: Vec<String> = keys.iter().map(|k| k.as_ref().to_owned()).collect();
    let cx = Cx {
        scheme,
        keys: &keys,
        req: *req,
        now,
    };
    let outcome = match Verifier::new(scheme, &keys) {
        Ok(v) => v.verify(req, now),
        // A key that does not parse: verify with the ones that do, and let the key checks
        // explain the rest.
        Err(_) => cx.verify_each(scheme, &keys, req, now, None),
    };
    let mut findings = Vec::new();
    match &outcome {
        Ok(v) => cautions(scheme, v, &mut findings),
        Err(e) => cx.explain(e, &mut findings),
    }
    Diagnosis {
        scheme: scheme.name.clone(),
        outcome,
        findings,
    }
}

/// What every check needs.
pub(crate) struct Cx<'a> {
    pub(crate) scheme: &'a Scheme,
    pub(crate) keys: &'a [String],
    pub(crate) req: Request<'a>,
    pub(crate) now: UnixTime,
}

impl Cx<'_> {
    /// Verifies with each key alone (so one unparsable key does not hide the others), with
    /// `tolerance` overriding the window when given.
    fn verify_each(
        &self,
        scheme: &Scheme,
        keys: &[String],
        req: &Request<'_>,
        now: UnixTime,
        tolerance: Option<Tolerance>,
    ) -> Result<Verified, VerifyError> {
        let mut last = VerifyError::NoMatch {
            signatures: 0,
            keys: keys.len(),
        };
        for k in keys {
            let Ok(mut v) = Verifier::new(scheme, std::slice::from_ref(k)) else {
                continue;
            };
            if let Some(t) = tolerance {
                v = v.with_tolerance(t);
            }
            match v.verify(req, now) {
                Ok(ok) => return Ok(ok),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Whether the request verifies as changed, ignoring the replay window (clock problems
    /// are reported on their own).
    pub(crate) fn verifies(&self, scheme: &Scheme, keys: &[String], req: &Request<'_>) -> bool {
        self.verify_each(scheme, keys, req, self.now, Some(Tolerance::unlimited()))
            .is_ok()
    }

    /// The same request with another body.
    pub(crate) fn with_body<'b>(&'b self, body: &'b [u8]) -> Request<'b> {
        Request { body, ..self.req }
    }

    fn explain(&self, error: &VerifyError, out: &mut Vec<Finding>) {
        let s = self.scheme;
        if let Some(f) = header::known_bad_fixture(self) {
            out.push(f);
        }
        // Apart from the clock, does the signature hold?
        let mac_ok = self.verifies(s, self.keys, &self.req);
        if error.is_timestamp() {
            out.push(timestamp_finding(s, error, mac_ok, self));
        }
        if mac_ok {
            return;
        }
        let before = out.len();
        self.other_schemes(out);
        keys::check(self, out);
        body::check(self, out);
        header::check(self, out);
        self.url_check(out);
        self.construction_check(out);
        if out.len() > before {
            return;
        }
        if matches!(
            error,
            VerifyError::NoMatch { .. } | VerifyError::BodyHashMismatch(_)
        ) {
            keys::api_key_hint(self, out);
            out.push(Finding {
                kind: FindingKind::WrongKeyOrBody,
                message: format!(
                    "No key produced any of the signatures, and no known mistake explains it: the body was changed in a way not recognised, or none of the {} key(s) is the one the sender signs with.",
                    self.keys.len()
                ),
                fix: "Check that the secret is this endpoint's webhook signing secret (not an API key, not another endpoint's, not the test-mode or CLI secret), and that nothing between the sender and this check rewrites the body.".into(),
            });
        } else if !error.is_timestamp() {
            out.push(Finding {
                kind: FindingKind::Malformed,
                message: format!("The request does not fit scheme `{}`: {error}.", s.name),
                fix: "Send or forward every header the scheme needs, unchanged, and give the URL for schemes that sign it.".into(),
            });
        }
    }

    /// The headers may belong to another scheme, with or without a matching signature.
    fn other_schemes(&self, out: &mut Vec<Finding>) {
        let s = self.scheme;
        let own_header_present = s
            .signature
            .source
            .header()
            .is_some_and(|h| self.req.headers.get(h).is_some());
        for other in detect(self.req.headers, self.req.body)
            .into_iter()
            .filter(|o| o.name != s.name)
        {
            if self.verifies(other, self.keys, &self.req) {
                out.push(Finding {
                    kind: FindingKind::OtherScheme,
                    message: format!("This request verifies as scheme `{}` with the same key: its headers ({}) are that scheme's, not `{}`'s.", other.name, other.header_names().join(", "), s.name),
                    fix: format!("Verify with scheme `{}`.", other.name),
                });
                return;
            }
            if !own_header_present {
                out.push(Finding {
                    kind: FindingKind::OtherScheme,
                    message: format!("The request carries `{}`'s headers ({}), not `{}`'s; it does not verify that way either with the key given.", other.name, other.header_names().join(", "), s.name),
                    fix: format!("If the sender is {}, verify with scheme `{}` and its signing secret.", other.description, other.name),
                });
                return;
            }
        }
    }

    /// Twilio and Square sign the URL: a proxy that changed scheme, port or path breaks it.
    fn url_check(&self, out: &mut Vec<Finding>) {
        let Some(url) = self.req.url else { return };
        if !self.scheme.template.uses(&Part::Url) {
            return;
        }
        for (variant, what) in url_guesses(url) {
            let req = Request {
                url: Some(&variant),
                ..self.req
            };
            if self.verifies(self.scheme, self.keys, &req) {
                out.push(Finding {
                    kind: FindingKind::UrlChanged,
                    message: format!("The sender signed the URL `{variant}`, not `{url}`: {what}."),
                    fix: "Verify against the URL as the sender saw it: the public URL configured at the provider (mind X-Forwarded-Proto and X-Forwarded-Host behind a proxy).".into(),
                });
                return;
            }
        }
    }

    /// For HMAC schemes: does the signature match the same values put together another way?
    /// This catches a custom scheme declared with the wrong template, and senders that
    /// follow another provider's recipe.
    fn construction_check(&self, out: &mut Vec<Finding>) {
        let s = self.scheme;
        if !s.algorithm.is_symmetric() {
            return;
        }
        let has_id = s.id.is_some();
        let has_ts = s.timestamp.is_some();
        for text in [
            "{body}",
            "{timestamp}.{body}",
            "{timestamp}{body}",
            "{timestamp}:{body}",
            "v0:{timestamp}:{body}",
            "{id}.{timestamp}.{body}",
            "{id}{timestamp}{body}",
        ] {
            let Ok(t) = Template::parse(text) else {
                continue;
            };
            if t == s.template
                || (t.uses(&Part::Id) && !has_id)
                || (t.uses(&Part::Timestamp) && !has_ts)
            {
                continue;
            }
            let mut other = s.clone();
            other.template = t;
            for alg in algorithms(s) {
                other.algorithm = alg;
                if self.verifies(&other, self.keys, &self.req) {
                    out.push(Finding {
                        kind: FindingKind::SignedContent,
                        message: format!("The signature is {} of `{text}`, but scheme `{}` signs {} of `{}`.", alg.as_str(), s.name, s.algorithm.as_str(), s.template),
                        fix: format!("If this sender is right, declare the scheme with signed_content = \"{text}\" and algorithm = \"{}\"; otherwise the sender has to sign what the scheme says.", alg.as_str()),
                    });
                    return;
                }
            }
        }
    }
}

/// The scheme's own algorithm first, then the other HMACs.
pub(crate) fn algorithms(s: &Scheme) -> Vec<crate::key::Algorithm> {
    use crate::key::Algorithm::*;
    let mut v = vec![s.algorithm];
    v.extend(
        [HmacSha256, HmacSha1, HmacSha512]
            .into_iter()
            .filter(|a| *a != s.algorithm),
    );
    v
}

fn timestamp_finding(s: &Scheme, error: &VerifyError, mac_ok: bool, cx: &Cx<'_>) -> Finding {
    let (how, size) = match error {
        VerifyError::TimestampTooOld { age, tolerance } => (
            format!("{}s old, {}s allowed", age.as_secs(), tolerance.as_secs()),
            age.as_secs(),
        ),
        VerifyError::TimestampTooNew { ahead, tolerance } => (
            format!(
                "{}s in the future, {}s allowed",
                ahead.as_secs(),
                tolerance.as_secs()
            ),
            ahead.as_secs(),
        ),
        _ => (String::new(), 0),
    };
    // Seconds read as milliseconds or the reverse give skews of decades.
    if size > 20 * 365 * 86_400
        && let Some(spec) = &s.timestamp
    {
        let raw = match &spec.source {
            Source::Header(h) => cx.req.headers.get(h).map(str::to_owned),
            _ => None,
        };
        return Finding {
            kind: FindingKind::TimestampUnit,
            message: format!(
                "The timestamp{} is {how}: off by decades, so it is almost certainly in the wrong unit (milliseconds for seconds, or the reverse), not a clock problem.",
                raw.map(|r| format!(" `{r}`")).unwrap_or_default()
            ),
            fix: format!(
                "The sender must write the timestamp as {}.",
                crate::verify::format_name(spec.format)
            ),
        };
    }
    let signature = if mac_ok {
        "The signature itself is valid: only the time is wrong."
    } else {
        "The signature does not match either (see below)."
    };
    Finding {
        kind: FindingKind::TimestampSkew,
        message: format!("The timestamp is {how}. {signature}"),
        fix: if matches!(error, VerifyError::TimestampTooNew { .. }) {
            "The sender's clock runs ahead of this machine's, or this machine's is behind: sync both with NTP. To tolerate it, widen the future side of the window.".into()
        } else {
            "Either a clock is off (sync both with NTP), the request was replayed or queued for long, or the sender stamps the event's time instead of the send time. Widen the past side of the window only if late delivery is expected.".into()
        },
    }
}

fn cautions(s: &Scheme, v: &Verified, out: &mut Vec<Finding>) {
    if v.timestamp.is_some() && !v.timestamp_signed {
        out.push(Finding {
            kind: FindingKind::Caution,
            message: format!("Scheme `{}` does not sign its timestamp: a replayed request can carry a fresh one.", s.name),
            fix: "De-duplicate on the message id and keep ids at least as long as the window.".into(),
        });
    }
    if s.timestamp.is_none() {
        out.push(Finding {
            kind: FindingKind::Caution,
            message: format!("Scheme `{}` has no timestamp: nothing stops a replay of this request but de-duplication.", s.name),
            fix: "De-duplicate on the delivery id or a hash of the body.".into(),
        });
    }
}

/// URLs a proxy may have turned the sender's into, with what changed.
fn url_guesses(url: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(rest) = url.strip_prefix("http://") {
        out.push((
            format!("https://{rest}"),
            "TLS was terminated by a proxy (https became http)",
        ));
    } else if let Some(rest) = url.strip_prefix("https://") {
        out.push((
            format!("http://{rest}"),
            "the scheme differs (http was signed)",
        ));
    }
    for v in crate::request::url_variants(url, true).into_iter().skip(1) {
        out.push((v.into_owned(), "a proxy added or removed the port"));
    }
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let toggled = base
        .strip_suffix('/')
        .map_or_else(|| format!("{base}/"), str::to_owned);
    out.push((
        query.map_or_else(|| toggled.clone(), |q| format!("{toggled}?{q}")),
        "the trailing slash differs",
    ));
    if query.is_some() {
        out.push((base.to_owned(), "the query string was dropped or added"));
    }
    out
}

#[cfg(test)]
mod tests;
