//! A signature scheme, declared as data.
//!
//! [`SchemeDef`] is the shape users write in TOML or JSON; [`Scheme`] is what it becomes once
//! checked. Every preset is a `Scheme` too, and prints back to the `SchemeDef` TOML a user
//! would write for it, so "a provider we do not ship" is never more than a file away.
//!
//! This module holds the checked form; the written form and how a scheme prints back to it
//! are in `def`, and the checks that turn one into the other in `check`. Both are
//! re-exported here, so every type is named `hookline_sig::scheme::X`.

mod check;
mod def;

pub use check::SchemeError;
pub use def::{SchemeDef, SignatureDef, SourceDef, TimestampDef};

use serde::{Deserialize, Serialize};

use crate::encoding::Encoding;
use crate::headers::HeaderKey;
use crate::key::{Algorithm, KeyFormat};
use crate::outgoing::Outgoing;
use crate::template::Template;
use crate::time::{TimestampFormat, Tolerance};

/// Where a value is found in a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A header, by name (case-insensitive).
    Header(HeaderKey),
    /// A field of the JSON body, as a JSON pointer (`/signature/token`). Read only after the
    /// MAC has been checked, except where the signature itself lives in the body.
    BodyField(String),
    /// A `key=value` item of the signature header (Stripe's `t=`), for `pairs` signatures.
    SignatureParam(String),
}

impl Source {
    /// The header name, for header sources.
    pub fn header(&self) -> Option<&str> {
        match self {
            Source::Header(h) => Some(h),
            _ => None,
        }
    }
}

/// How signatures are laid out in their header.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureFormat {
    /// The whole value is one signature after a fixed prefix (`sha256=…`, or no prefix).
    Single {
        /// Text before the signature, such as `sha256=`; may be empty.
        prefix: String,
    },
    /// Space-separated `{version},{signature}` entries (Standard Webhooks: `v1,… v1,…`).
    /// Entries of other versions are ignored, so `v1` and `v1a` can share one header.
    List {
        /// The version tag this scheme signs and accepts.
        version: String,
    },
    /// `key=value` items split by `separator` (`t=…,v1=…,v1=…`; `ts=…;h1=…`). Every item
    /// whose key is `key` carries a signature; other keys are ignored (Stripe's `v0`).
    Pairs {
        /// The item separator: `,` or `;`.
        separator: char,
        /// The key that marks a signature: `v1`, `h1`.
        key: String,
    },
}

/// Where the signature is and how it is laid out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignatureSpec {
    /// A header or a body field.
    pub source: Source,
    /// The layout of the value.
    pub format: SignatureFormat,
}

/// Where the timestamp is, how it is written, and how old or new it may be.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimestampSpec {
    /// Where to read it.
    pub source: Source,
    /// How it is written.
    pub format: TimestampFormat,
    /// The replay window; a verifier may override it.
    pub tolerance: Tolerance,
}

/// URL rules for schemes that sign the URL (Twilio, Square).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlRules {
    /// A query parameter that carries the hex SHA-256 of the body (Twilio's `bodySHA256`):
    /// when the URL has it, the body must hash to it and `{form}` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hash_param: Option<String>,
    /// Also try the URL with its default port added or removed, as Twilio's SDKs do: a proxy
    /// in front of the receiver often changes just that.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub port_variants: bool,
}

/// A checked signature scheme. Build one from a [`SchemeDef`] or take a preset.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SchemeDef", into = "SchemeDef")]
pub struct Scheme {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) algorithm: Algorithm,
    pub(crate) encoding: Encoding,
    pub(crate) template: Template,
    pub(crate) key: KeyFormat,
    pub(crate) signing_key: Option<KeyFormat>,
    pub(crate) signature: SignatureSpec,
    pub(crate) id: Option<Source>,
    pub(crate) timestamp: Option<TimestampSpec>,
    pub(crate) event_type: Option<Source>,
    pub(crate) url: UrlRules,
    pub(crate) can_sign: bool,
    pub(crate) outgoing: Outgoing,
}

impl Scheme {
    /// The scheme's name (`stripe`, or a custom scheme's own).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// One line on who uses it.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The signature algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// The encoding of signatures.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
    /// What is signed.
    pub fn template(&self) -> &Template {
        &self.template
    }
    /// Where the signature is.
    pub fn signature(&self) -> &SignatureSpec {
        &self.signature
    }
    /// Where the message id is, if the scheme has one.
    pub fn id(&self) -> Option<&Source> {
        self.id.as_ref()
    }
    /// The timestamp rules, if the scheme has a timestamp.
    pub fn timestamp(&self) -> Option<&TimestampSpec> {
        self.timestamp.as_ref()
    }
    /// Where the event type is, if the scheme names one.
    pub fn event_type(&self) -> Option<&Source> {
        self.event_type.as_ref()
    }
    /// The key format for secrets and public keys.
    pub fn key_format(&self) -> &KeyFormat {
        &self.key
    }
    /// Whether Hookline can send in this scheme (false where the signature lives in the body,
    /// or where an asymmetric scheme declares no private-key format).
    pub fn can_sign(&self) -> bool {
        self.can_sign
    }
    /// How the scheme dresses a message for the wire (envelope, ids, extra headers).
    pub fn outgoing(&self) -> &Outgoing {
        &self.outgoing
    }
    /// The headers this scheme reads or writes, signature first, then the extra headers it
    /// sends (`send.headers`).
    pub fn header_names(&self) -> Vec<&str> {
        let mut names = self.verified_header_names();
        names.extend(self.outgoing.header_names());
        names
    }
    /// The headers the verifier reads (and the signer writes): signature, timestamp, id,
    /// event type.
    pub(crate) fn verified_header_names(&self) -> Vec<&str> {
        [
            Some(&self.signature.source),
            self.timestamp.as_ref().map(|t| &t.source),
            self.id.as_ref(),
            self.event_type.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter_map(Source::header)
        .collect()
    }
    /// The same scheme with another default replay window.
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Tolerance) -> Self {
        if let Some(t) = &mut self.timestamp {
            t.tolerance = tolerance;
        }
        self
    }
}
