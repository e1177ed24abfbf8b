//! Receiving: verify a request as a gateway does, and say in a few words why it was refused.
//!
//! [`receive()`] runs the [`Verifier`] and turns its outcome into a [`Decision`]: accepted,
//! with the event's id and type ([`EventMeta`], the de-duplication key and the routing key),
//! or rejected, with a [`Rejection`] class (the HTTP status a gateway answers) and a short
//! reason meant for the sender. The reason names the check that failed ("stale timestamp,
//! 412 s old", "no signature matched", "missing header `X-Hub-Signature-256`") and never
//! holds a secret, an expected signature or the body: it goes back to whoever sent the
//! request, who may be an attacker. The full story (re-serialized body, secret encoding, skew,
//! ...) is [`diagnose()`](crate::diagnose()), which a gateway runs later, when a person asks.
//!
//! [`handshake`] answers the URL-ownership challenges some providers send before any event.

pub mod handshake;
mod meta;
#[cfg(test)]
mod tests;

pub use meta::{EventMeta, IdOrigin, MAX_EVENT_ID_LEN, event_meta};

use crate::error::VerifyError;
use crate::request::Request;
use crate::time::UnixTime;
use crate::verify::Verifier;

/// What a gateway does with a received request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Authentic and fresh: forward it (unless its id was seen already).
    Accepted(Accepted),
    /// Refused: answer with the rejection's status and reason, forward nothing.
    Rejected(Rejected),
}

/// An accepted request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// Its event id and type.
    pub event: EventMeta,
    /// Which key verified it (0 is the first): tells a rotation's progress.
    pub key_index: usize,
    /// Its timestamp, where the scheme has one.
    pub timestamp: Option<UnixTime>,
}

/// A refused request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejected {
    /// Which kind of refusal: the status to answer.
    pub kind: Rejection,
    /// A short reason, safe to send back (no secret, no expected signature, no body).
    pub reason: String,
    /// What verification said, for the caller's records and a later diagnosis.
    pub error: VerifyError,
}

/// The two kinds of refusal a receiver tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// A header, item or body field the scheme needs is absent: the request is not of this
    /// scheme at all (HTTP 400).
    Incomplete,
    /// The request is of this scheme and fails a check: a signature, a timestamp, a digest
    /// (HTTP 401).
    Unverified,
}

impl Rejection {
    /// The HTTP status a gateway answers with.
    pub fn status(self) -> u16 {
        match self {
            Rejection::Incomplete => 400,
            Rejection::Unverified => 401,
        }
    }
}

/// Verifies `req` as of `now` and decides. The event id and type are read only once the
/// request is authentic, so an attacker cannot make a forged request claim a real event's id.
pub fn receive(verifier: &Verifier, req: &Request<'_>, now: UnixTime) -> Decision {
    match verifier.verify(req, now) {
        Ok(v) => Decision::Accepted(Accepted {
            event: event_meta(verifier.scheme(), req),
            key_index: v.key_index,
            timestamp: v.timestamp,
        }),
        Err(error) => Decision::Rejected(Rejected {
            kind: classify(&error),
            reason: reason(&error),
            error,
        }),
    }
}

/// Which kind of refusal an error is.
pub fn classify(error: &VerifyError) -> Rejection {
    match error {
        VerifyError::MissingHeader(_)
        | VerifyError::MissingBodyField(_)
        | VerifyError::MissingParam { .. }
        | VerifyError::MissingUrl => Rejection::Incomplete,
        _ => Rejection::Unverified,
    }
}

/// The short reason for `error`. Each variant of [`VerifyError`] carries only names, counts
/// and durations, never key material; this wording is shorter still, for a response body.
pub fn reason(error: &VerifyError) -> String {
    match error {
        VerifyError::MissingHeader(h) => format!("missing header {h}"),
        VerifyError::MissingBodyField(p) => format!("missing body field {p}"),
        VerifyError::MissingParam { header, param } => {
            format!("header {header} has no {param}= item")
        }
        VerifyError::MissingUrl => "the scheme signs the URL, which was not available".into(),
        VerifyError::Malformed { what, reason } => format!("malformed {what}: {reason}"),
        VerifyError::TimestampTooOld { age, tolerance } => format!(
            "stale timestamp, {} s old ({} s allowed)",
            age.as_secs(),
            tolerance.as_secs()
        ),
        VerifyError::TimestampTooNew { ahead, tolerance } => format!(
            "timestamp {} s in the future ({} s allowed)",
            ahead.as_secs(),
            tolerance.as_secs()
        ),
        VerifyError::BodyHashMismatch(param) => {
            format!("the body does not match the {param} digest in the URL")
        }
        VerifyError::NoMatch { .. } => "no signature matched".into(),
    }
}
