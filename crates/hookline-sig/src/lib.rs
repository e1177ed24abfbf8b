#![doc = include_str!("../README.md")]
//!
//! # Layout
//!
//! - [`scheme`]: a scheme as data ([`Scheme`], and [`SchemeDef`], its TOML/JSON form).
//! - [`presets`]: the schemes Hookline ships, each a `Scheme`.
//! - [`Verifier`] (`verify`): checks a request; [`Signer`] (`sign`): makes the headers.
//! - [`diagnose()`]: says why a request did not verify, and how to fix it.
//! - [`detect()`]: which presets a request's headers belong to.
//! - [`receive`](mod@receive): a gateway's decision on a received request (accepted with its event id
//!   and type, or rejected with a short reason), and the providers' URL handshakes.
//! - [`outgoing`]: how a scheme dresses a message for the wire (envelope, ids, extra
//!   headers), so a delivery looks like the provider's own; [`Signer::sign_event`] applies it.
//! - [`envelope`]: typed events for providers that define one (Spine, WaSphere).
//! - Supporting pieces: [`Template`] (what is signed), [`Headers`], [`UnixTime`] and
//!   [`Tolerance`] (time is always passed in), [`Encoding`], keys ([`Algorithm`], [`KeyFormat`]).
//!
//! Nothing here does I/O or reads the clock, and nothing panics on input: every failure is a
//! typed error.

mod detect;
pub mod diagnose;
mod encoding;
pub mod envelope;
mod error;
mod headers;
mod key;
pub mod outgoing;
pub mod presets;
pub mod receive;
mod request;
pub mod scheme;
mod sign;
mod signature;
mod template;
mod time;
mod verify;

pub use detect::detect;
pub use diagnose::{Diagnosis, Finding, FindingKind, diagnose};
pub use encoding::Encoding;
pub use error::{SignError, VerifyError};
pub use headers::{HeaderKey, Headers};
pub use key::{Algorithm, KeyEncoding, KeyError, KeyFormat, SigningKey, VerifyingKey};
pub use outgoing::{Event, Outbound};
pub use receive::{Decision, EventMeta, receive};
pub use request::Request;
pub use scheme::{ReceiveSpec, Scheme, SchemeDef, SchemeError, SignatureFormat, Source};
pub use sign::{Message, Signer};
pub use template::{Part, Template, TemplateError};
pub use time::{Skew, TimestampFormat, Tolerance, UnixTime};
pub use verify::{Verified, Verifier};

/// Any error of this crate, for callers that do not need to tell them apart.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key could not be parsed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A request did not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A message could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
}
