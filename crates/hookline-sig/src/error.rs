//! Why a verification or a signing failed.
//!
//! The variants are what a receiver acts on (answer 400 or 401, log which header) and what
//! the diagnosis starts from. None of them carries a secret or the body.

use std::time::Duration;

/// Why a request did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the scheme needs is absent.
    #[error("missing header `{0}`")]
    MissingHeader(String),
    /// A field of the JSON body that the scheme needs is absent.
    #[error("missing body field `{0}`")]
    MissingBodyField(String),
    /// The `pairs` signature header lacks an item the scheme needs (Stripe's `t=`).
    #[error("header `{header}` has no `{param}=` item")]
    MissingParam {
        /// The signature header.
        header: String,
        /// The missing key.
        param: String,
    },
    /// A value is present but cannot be read.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// The header or body field.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The scheme signs the URL and the caller did not give it.
    #[error("this scheme signs the request URL: pass the full URL the sender posted to")]
    MissingUrl,
    /// The timestamp is older than the window allows.
    #[error("timestamp too old: {}s old, {}s allowed", age.as_secs(), tolerance.as_secs())]
    TimestampTooOld {
        /// How old it is.
        age: Duration,
        /// The limit.
        tolerance: Duration,
    },
    /// The timestamp is further in the future than the window allows.
    #[error("timestamp too far in the future: {}s ahead, {}s allowed", ahead.as_secs(), tolerance.as_secs())]
    TimestampTooNew {
        /// How far ahead it is.
        ahead: Duration,
        /// The limit.
        tolerance: Duration,
    },
    /// The body does not hash to the digest the signed URL carries (Twilio's `bodySHA256`).
    #[error("the body does not match the `{0}` digest in the URL")]
    BodyHashMismatch(String),
    /// No key produced any of the signatures.
    #[error("no signature matched ({signatures} signature(s) tried against {keys} key(s))")]
    NoMatch {
        /// How many well-formed signatures the request carried.
        signatures: usize,
        /// How many keys were tried.
        keys: usize,
    },
}

impl VerifyError {
    /// Whether the failure concerns only the timestamp's window.
    pub fn is_timestamp(&self) -> bool {
        matches!(
            self,
            VerifyError::TimestampTooOld { .. } | VerifyError::TimestampTooNew { .. }
        )
    }
}

/// Why a request could not be signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The scheme puts its signature somewhere Hookline cannot write, or has no private key format.
    #[error("scheme `{0}` cannot sign (verify only)")]
    CannotSign(String),
    /// The scheme signs a message id and none was given.
    #[error("scheme `{0}` signs a message id: give one")]
    MissingId(String),
    /// The scheme signs the URL and none was given.
    #[error("scheme `{0}` signs the request URL: give it")]
    MissingUrl(String),
    /// No key was given.
    #[error("no signing key given")]
    NoKey,
    /// The scheme wraps the payload in a JSON envelope and the payload is not one JSON value.
    #[error("scheme `{0}` wraps the payload in a JSON envelope: the payload must be JSON")]
    PayloadNotJson(String),
    /// The scheme sends a per-delivery id and no delivery key was given.
    #[error("scheme `{0}` sends a per-delivery id (`{{delivery_uuid}}`): give a delivery key")]
    MissingDeliveryKey(String),
    /// A header value would hold a control character (from the event type, say).
    #[error("header `{0}` would hold a control character")]
    BadHeaderValue(String),
}
