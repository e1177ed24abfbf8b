//! Verification: is this request what the holder of the key sent, and is it fresh?
//!
//! Order matters. The signature header is parsed and a header timestamp is checked first
//! (cheap refusals); then the MAC is checked over the raw body; only then is the body read
//! as JSON for fields that are not signed inputs (Linear's timestamp, WaSphere's id). The one
//! exception is a scheme that puts the signature itself in the body (Mailgun), where the body
//! must be parsed to find it.

use std::borrow::Cow;

use ring::{digest, hmac};
use subtle::ConstantTimeEq as _;

use crate::encoding::{self, Encoding};
use crate::error::VerifyError;
use crate::key::{KeyError, Verify, VerifyingKey};
use crate::request::{self, BodyJson, Request};
use crate::scheme::{Scheme, Source};
use crate::signature::{self, Parsed};
use crate::template::{self, Part, Values};
use crate::time::{Skew, Tolerance, UnixTime};

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The message id, where the scheme has one: the key to de-duplicate on.
    pub id: Option<String>,
    /// The timestamp, where the scheme has one.
    pub timestamp: Option<UnixTime>,
    /// Whether the timestamp is covered by the signature. When it is not (WaSphere), a
    /// replayed request can carry a fresh timestamp: de-duplicate on the id.
    pub timestamp_signed: bool,
    /// The event type, where the scheme names one.
    pub event_type: Option<String>,
    /// Which of the keys matched (0 is the first): tells a rotation's progress.
    pub key_index: usize,
}

/// A scheme with its keys parsed, ready to verify many requests.
#[derive(Clone, Debug)]
pub struct Verifier {
    scheme: Scheme,
    keys: Vec<VerifyingKey>,
    tolerance: Option<Tolerance>,
}

impl Verifier {
    /// Parses `keys` (secrets, or public keys for asymmetric schemes) in the scheme's format.
    /// Any one of them may have signed a request: this is how rotation works.
    pub fn new<S: AsRef<str>>(scheme: &Scheme, keys: &[S]) -> Result<Self, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::NoKeys);
        }
        let keys = keys
            .iter()
            .map(|k| {
                let bytes = scheme.key.decode(k.as_ref())?;
                VerifyingKey::from_bytes(scheme.algorithm, &bytes)
            })
            .collect::<Result<_, _>>()?;
        Ok(Verifier {
            scheme: scheme.clone(),
            keys,
            tolerance: None,
        })
    }

    /// Overrides the scheme's replay window.
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Tolerance) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Verifies `req` as of `now`.
    pub fn verify(&self, req: &Request<'_>, now: UnixTime) -> Result<Verified, VerifyError> {
        let s = &self.scheme;
        let sig_source = &s.signature.source;
        let sig_name = sig_source.header().unwrap_or("signature");
        let mut json = BodyJson::new(req.body);
        let no_params = Parsed::default();

        let sig_value = request::require(sig_source, sig_name, req, &mut json, &no_params)?;
        let parsed = signature::parse(&s.signature.format, &sig_value);
        if parsed.signatures().next().is_none() {
            return Err(VerifyError::Malformed {
                what: request::describe(sig_source),
                reason: format!("expected {}", signature::expectation(&s.signature.format)),
            });
        }

        // Values the MAC covers, and a timestamp that is cheap to check, are read now.
        let ts_spec = s.timestamp.as_ref();
        let ts_now = ts_spec.filter(|t| {
            !matches!(t.source, Source::BodyField(_)) || s.template.uses(&Part::Timestamp)
        });
        let mut ts_raw = None;
        let mut timestamp = None;
        if let Some(spec) = ts_now {
            let raw = request::require(&spec.source, sig_name, req, &mut json, &parsed)?;
            timestamp = Some(self.check_time(spec, &raw, now)?);
            ts_raw = Some(raw);
        }
        let mut id = match &s.id {
            Some(src) if s.template.uses(&Part::Id) => {
                Some(request::require(src, sig_name, req, &mut json, &parsed)?)
            }
            _ => None,
        };

        let key_index = self.check_mac(req, &parsed, id.as_deref(), ts_raw.as_deref())?;

        // Authenticated now: the rest of the body may be read.
        if let (Some(spec), None) = (ts_spec, timestamp) {
            let raw = request::require(&spec.source, sig_name, req, &mut json, &parsed)?;
            timestamp = Some(self.check_time(spec, &raw, now)?);
        }
        if id.is_none()
            && let Some(src) = &s.id
        {
            id = request::read_optional(src, req, &mut json, &parsed);
        }
        let event_type = match &s.event_type {
            Some(src) => request::read_optional(src, req, &mut json, &parsed).map(Cow::into_owned),
            None => None,
        };
        Ok(Verified {
            id: id.map(Cow::into_owned),
            timestamp,
            timestamp_signed: s.template.uses(&Part::Timestamp),
            event_type,
            key_index,
        })
    }

    fn check_time(
        &self,
        spec: &crate::scheme::TimestampSpec,
        raw: &str,
        now: UnixTime,
    ) -> Result<UnixTime, VerifyError> {
        let ts = spec
            .format
            .parse(raw)
            .ok_or_else(|| VerifyError::Malformed {
                what: format!("timestamp ({})", request::describe(&spec.source)),
                reason: format!("expected {}", format_name(spec.format)),
            })?;
        match self.tolerance.unwrap_or(spec.tolerance).check(ts, now) {
            Ok(()) => Ok(ts),
            Err(Skew::TooOld { age, tolerance }) => {
                Err(VerifyError::TimestampTooOld { age, tolerance })
            }
            Err(Skew::TooNew { ahead, tolerance }) => {
                Err(VerifyError::TimestampTooNew { ahead, tolerance })
            }
        }
    }

    /// Checks every signature against every key; returns the index of the key that matched.
    fn check_mac(
        &self,
        req: &Request<'_>,
        parsed: &Parsed<'_>,
        id: Option<&str>,
        ts: Option<&str>,
    ) -> Result<usize, VerifyError> {
        let s = &self.scheme;
        let mut values = Values {
            id: id.unwrap_or_default(),
            timestamp: ts.unwrap_or_default(),
            body: req.body,
            ..Values::default()
        };
        // Form parameters (Twilio): sorted, and, when a name repeats with the same value,
        // also with the repeats dropped. twilio-python signs every value; twilio-node and
        // twilio-php drop identical repeats. Both come from the holder of the key.
        let form = match req.url {
            Some(url) if s.template.uses(&Part::Url) => self.form_params(req, url)?,
            _ if s.template.uses(&Part::Form) => template::sorted_form(req.body),
            _ => Vec::new(),
        };
        let mut deduped = form.clone();
        deduped.dedup();
        let forms: &[&[(String, String)]] = if deduped.len() == form.len() {
            &[&form]
        } else {
            &[&form, &deduped]
        };
        let no_url = [Cow::Borrowed("")];
        let url_variants;
        let urls: &[Cow<'_, str>] = if s.template.uses(&Part::Url) {
            let url = req.url.ok_or(VerifyError::MissingUrl)?;
            url_variants = request::url_variants(url, s.url.port_variants);
            &url_variants
        } else {
            &no_url
        };
        // How many signatures decode: counted while matching, so that the common case (one
        // key, one signature) decodes each signature once and stores nothing.
        let mut valid = 0;
        for url in urls {
            values.url = url;
            for form in forms {
                values.form = form;
                if let Some(i) = self.match_key(&values, parsed, &mut valid) {
                    return Ok(i);
                }
            }
        }
        if valid == 0 {
            return Err(VerifyError::Malformed {
                what: request::describe(&s.signature.source),
                reason: format!("no signature in it is valid {}", s.encoding.as_str()),
            });
        }
        Err(VerifyError::NoMatch {
            signatures: valid,
            keys: self.keys.len(),
        })
    }

    /// Twilio: when the URL carries the body's digest, the body must match it and no form
    /// parameters are signed; otherwise the form parameters are.
    fn form_params(
        &self,
        req: &Request<'_>,
        url: &str,
    ) -> Result<Vec<(String, String)>, VerifyError> {
        let s = &self.scheme;
        if let Some(param) = &s.url.body_hash_param
            && let Some(expected) = request::query_param(url, param)
        {
            let actual = digest::digest(&digest::SHA256, req.body);
            let ok = hex::decode(expected.trim()).is_ok_and(|e| ct_eq(&e, actual.as_ref()));
            return if ok {
                Ok(Vec::new())
            } else {
                Err(VerifyError::BodyHashMismatch(param.clone()))
            };
        }
        Ok(if s.template.uses(&Part::Form) {
            template::sorted_form(req.body)
        } else {
            Vec::new()
        })
    }

    /// The index of the first key that made one of the signatures; counts into `valid` how
    /// many signatures decode.
    fn match_key(
        &self,
        values: &Values<'_>,
        parsed: &Parsed<'_>,
        valid: &mut usize,
    ) -> Option<usize> {
        let s = &self.scheme;
        let decoded = || {
            parsed
                .signatures()
                .filter_map(|sig| Decoded::new(s.encoding, sig))
        };
        if s.algorithm.is_symmetric() {
            for (i, key) in self.keys.iter().enumerate() {
                let Verify::Hmac(k) = &key.0 else { continue };
                let mut ctx = hmac::Context::with_key(k);
                s.template.feed(values, |b| ctx.update(b));
                let tag = ctx.sign();
                // `|` not `||`: every candidate is compared, in constant time each.
                let (n, hit) = decoded().fold((0, false), |(n, hit), d| {
                    (n + 1, hit | ct_eq(tag.as_ref(), d.bytes()))
                });
                *valid = n;
                if hit {
                    return Some(i);
                }
            }
        } else {
            let message = s.template.render(values);
            for (i, key) in self.keys.iter().enumerate() {
                *valid = 0;
                for d in decoded() {
                    *valid += 1;
                    if key.verify_asymmetric(&message, d.bytes()) {
                        return Some(i);
                    }
                }
            }
        }
        None
    }
}

/// Constant-time equality, eight bytes at a time: `subtle` compares a slice byte by byte,
/// with an optimisation barrier per byte, which shows in a profile of a 1 KiB verification.
/// The length is public (it is the algorithm's), the contents are not.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut ca, mut cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut equal = subtle::Choice::from(1);
    for (x, y) in (&mut ca).zip(&mut cb) {
        let x = u64::from_le_bytes(x.try_into().unwrap_or_default());
        let y = u64::from_le_bytes(y.try_into().unwrap_or_default());
        equal &= x.ct_eq(&y);
    }
    equal &= ca.remainder().ct_eq(cb.remainder());
    equal.into()
}

/// A decoded signature, kept inline: verification is a hot path, and every signature the
/// schemes use fits (HMAC-SHA512 and Ed25519 are 64 bytes, a P-256 DER signature at most 72).
struct Decoded {
    buf: [u8; 80],
    len: usize,
}

impl Decoded {
    fn new(encoding: Encoding, text: &str) -> Option<Self> {
        let mut buf = [0u8; 80];
        let len = match encoding {
            Encoding::Hex => encoding::decode_hex_into(text, &mut buf)?,
            _ => encoding::decode_base64_into(text, &mut buf)?,
        };
        Some(Decoded { buf, len })
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

pub(crate) fn format_name(f: crate::time::TimestampFormat) -> &'static str {
    match f {
        crate::time::TimestampFormat::UnixSeconds => "unix seconds",
        crate::time::TimestampFormat::UnixMillis => "unix milliseconds",
        crate::time::TimestampFormat::Rfc3339 => "an RFC 3339 date-time",
    }
}

impl Scheme {
    /// Parses `keys` for verifying. Shorthand for [`Verifier::new`].
    pub fn verifier<S: AsRef<str>>(&self, keys: &[S]) -> Result<Verifier, KeyError> {
        Verifier::new(self, keys)
    }

    /// Verifies one request: parses the keys, then verifies. For many requests, keep a
    /// [`Verifier`] instead.
    pub fn verify<S: AsRef<str>>(
        &self,
        keys: &[S],
        req: &Request<'_>,
        now: UnixTime,
    ) -> Result<Verified, crate::Error> {
        Ok(self.verifier(keys)?.verify(req, now)?)
    }
}

#[cfg(test)]
mod tests {
    use super::ct_eq;

    #[test]
    fn constant_time_equality_is_equality() {
        let a: Vec<u8> = (0..37).collect();
        for len in [0, 1, 7, 8, 9, 32, 37] {
            assert!(ct_eq(&a[..len], &a[..len]));
            for i in 0..len {
                let mut b = a[..len].to_vec();
                b[i] ^= 0x80;
                assert!(!ct_eq(&a[..len], &b), "len {len}, byte {i}");
            }
        }
        assert!(!ct_eq(&a[..8], &a[..9]));
    }
}
