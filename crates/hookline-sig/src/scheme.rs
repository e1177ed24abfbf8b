//! A signature scheme, declared as data.
//!
//! [`SchemeDef`] is the shape users write in TOML or JSON; [`Scheme`] is what it becomes once
//! checked. Every preset is a `Scheme` too, and prints back to the `SchemeDef` TOML a user
//! would write for it, so "a provider we do not ship" is never more than a file away.

use serde::{Deserialize, Serialize};

use crate::encoding::Encoding;
use crate::headers::HeaderKey;
use crate::key::{Algorithm, KeyFormat};
use crate::outgoing::{Outgoing, SendDef};
use crate::template::{Part, Template};
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
    pub(crate) receive: ReceiveSpec,
}

/// Where a *received* request carries its event id and event type, when that differs from
/// (or adds to) the scheme's own `id` and `event_type`.
///
/// The scheme's `id` and `event_type` are also what the signer writes; a value a provider
/// puts in its body (Stripe's `/id`, Slack's `/event_id`) or in a header the signer has no
/// business writing (Twilio's `I-Twilio-Idempotency-Token`) is declared here instead, so
/// declaring it changes nothing about how Hookline sends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReceiveSpec {
    /// The event id: the key a receiver de-duplicates on.
    pub id: Option<Source>,
    /// The event type.
    pub event_type: Option<Source>,
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
    /// Where a received request's event id is: the `receive` declaration, else `id`.
    pub fn receive_id(&self) -> Option<&Source> {
        self.receive.id.as_ref().or(self.id.as_ref())
    }
    /// Where a received request's event type is: the `receive` declaration, else
    /// `event_type`.
    pub fn receive_event_type(&self) -> Option<&Source> {
        self.receive
            .event_type
            .as_ref()
            .or(self.event_type.as_ref())
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

/// A scheme as written in TOML or JSON. See the README for every field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SchemeDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub algorithm: Algorithm,
    pub encoding: Encoding,
    pub signed_content: Template,
    pub key: KeyFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<KeyFormat>,
    pub signature: SignatureDef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<SourceDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<SourceDef>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub url: UrlRules,
    /// How a message is dressed for the wire: `id`, `body`, `headers` (see [`SendDef`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<SendDef>,
    /// Set to false for a scheme that should only verify.
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    pub can_sign: bool,
    /// Where a received request carries its event id and type, beyond `id`/`event_type`
    /// (see [`ReceiveSpec`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive: Option<ReceiveDef>,
}

/// The `[receive]` table: each field a location written as [`SourceDef`] is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ReceiveDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<SourceDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<SourceDef>,
}

fn yes() -> bool {
    true
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A value's location, written as exactly one of its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SourceDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

/// The signature's location and layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SignatureDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_field: Option<String>,
    /// `single`, `list` or `pairs`.
    pub style: String,
    /// `single`: text before the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `list`: the version tag; `pairs`: the key that marks a signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `pairs`: the item separator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<char>,
}

/// The timestamp's location, format and window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TimestampDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    pub format: TimestampFormat,
    #[serde(default)]
    pub tolerance: Tolerance,
}

/// A scheme declaration that does not hold together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("scheme `{name}`: {reason}")]
pub struct SchemeError {
    name: String,
    reason: String,
}

impl TryFrom<SourceDef> for Source {
    type Error = String;
    fn try_from(d: SourceDef) -> Result<Self, String> {
        match (d.header, d.body_field, d.param) {
            (Some(h), None, None) if !h.is_empty() => Ok(Source::Header(HeaderKey::new(h))),
            (None, Some(p), None) if p.starts_with('/') => Ok(Source::BodyField(p)),
            (None, Some(p), None) => Err(format!(
                "body_field {p:?} must be a JSON pointer such as \"/data/id\""
            )),
            (None, None, Some(k)) if !k.is_empty() => Ok(Source::SignatureParam(k)),
            _ => Err("give exactly one of `header`, `body_field` or `param`, not empty".into()),
        }
    }
}

impl From<Source> for SourceDef {
    fn from(s: Source) -> Self {
        match s {
            Source::Header(h) => SourceDef {
                header: Some(h.to_string()),
                ..Default::default()
            },
            Source::BodyField(p) => SourceDef {
                body_field: Some(p),
                ..Default::default()
            },
            Source::SignatureParam(k) => SourceDef {
                param: Some(k),
                ..Default::default()
            },
        }
    }
}

impl TryFrom<SchemeDef> for Scheme {
    type Error = SchemeError;

    fn try_from(d: SchemeDef) -> Result<Self, SchemeError> {
        let name = d.name.clone();
        let fail = |reason: String| SchemeError {
            name: name.clone(),
            reason,
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(fail(
                "the name must be non-empty letters, digits, `-` or `_`".into(),
            ));
        }
        let ctx = |what: &'static str| {
            let name = name.clone();
            move |e: String| SchemeError {
                name,
                reason: format!("{what}: {e}"),
            }
        };
        let sig_source: Source = SourceDef {
            header: d.signature.header.clone(),
            body_field: d.signature.body_field.clone(),
            param: None,
        }
        .try_into()
        .map_err(ctx("signature"))?;
        let format = match d.signature.style.as_str() {
            "single" => SignatureFormat::Single { prefix: d.signature.prefix.clone().unwrap_or_default() },
            "list" => SignatureFormat::List {
                version: d.signature.key.clone().ok_or_else(|| fail("signature: `list` needs `key`, the version tag (e.g. \"v1\")".into()))?,
            },
            "pairs" => SignatureFormat::Pairs {
                separator: d.signature.separator.unwrap_or(','),
                key: d.signature.key.clone().ok_or_else(|| fail("signature: `pairs` needs `key`, the key that marks a signature (e.g. \"v1\")".into()))?,
            },
            other => return Err(fail(format!("signature: unknown style {other:?} (single, list, pairs)"))),
        };
        let id =
            d.id.clone()
                .map(Source::try_from)
                .transpose()
                .map_err(ctx("id"))?;
        let event_type = d
            .event_type
            .clone()
            .map(Source::try_from)
            .transpose()
            .map_err(ctx("event_type"))?;
        let timestamp = match d.timestamp.clone() {
            Some(t) => Some(TimestampSpec {
                source: SourceDef {
                    header: t.header,
                    body_field: t.body_field,
                    param: t.param,
                }
                .try_into()
                .map_err(ctx("timestamp"))?,
                format: t.format,
                tolerance: t.tolerance,
            }),
            None => None,
        };
        let receive = match d.receive.clone() {
            Some(r) => ReceiveSpec {
                id: r
                    .id
                    .map(Source::try_from)
                    .transpose()
                    .map_err(ctx("receive.id"))?,
                event_type: r
                    .event_type
                    .map(Source::try_from)
                    .transpose()
                    .map_err(ctx("receive.event_type"))?,
            },
            None => ReceiveSpec::default(),
        };
        let outgoing = match &d.send {
            Some(send) => Outgoing::parse(send).map_err(fail)?,
            None => Outgoing::default(),
        };
        let scheme = Scheme {
            name: d.name.clone(),
            description: d.description,
            algorithm: d.algorithm,
            encoding: d.encoding,
            template: d.signed_content,
            key: d.key,
            can_sign: d.can_sign
                && matches!(sig_source, Source::Header(_))
                && (d.algorithm.is_symmetric() || d.signing_key.is_some()),
            signing_key: d.signing_key,
            signature: SignatureSpec {
                source: sig_source,
                format,
            },
            id,
            timestamp,
            event_type,
            url: d.url,
            outgoing,
            receive,
        };
        scheme.check().map_err(fail)?;
        Ok(scheme)
    }
}

impl Scheme {
    /// Cross-field rules that serde cannot express.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.template.uses(&Part::Id) && self.id.is_none() {
            return Err("signed_content uses {id} but the scheme has no `id`".into());
        }
        if self.template.uses(&Part::Timestamp) && self.timestamp.is_none() {
            return Err("signed_content uses {timestamp} but the scheme has no `timestamp`".into());
        }
        if matches!(self.signature.source, Source::SignatureParam(_)) {
            return Err("the signature cannot be a `param` of itself".into());
        }
        let pairs_key = match (&self.signature.source, &self.signature.format) {
            (Source::Header(_), SignatureFormat::Pairs { key, .. }) => Some(key.as_str()),
            _ => None,
        };
        for (what, source) in [
            ("id", self.id.as_ref()),
            ("timestamp", self.timestamp.as_ref().map(|t| &t.source)),
            ("event_type", self.event_type.as_ref()),
            ("receive.id", self.receive.id.as_ref()),
            ("receive.event_type", self.receive.event_type.as_ref()),
        ] {
            if let Some(Source::SignatureParam(k)) = source {
                match pairs_key {
                    None => {
                        return Err(format!("{what}: `param` needs a `pairs` signature header"));
                    }
                    Some(key) if key == k => {
                        return Err(format!("{what}: `param` {k:?} is the signature key"));
                    }
                    Some(_) => {}
                }
            }
        }
        if let SignatureFormat::Pairs { separator, key } = &self.signature.format
            && (*separator == '='
                || separator.is_alphanumeric()
                || key.is_empty()
                || key.contains('='))
        {
            return Err("signature: a `pairs` separator must be punctuation other than `=`, and the key non-empty".into());
        }
        if let SignatureFormat::List { version } = &self.signature.format
            && (version.is_empty() || version.contains([',', ' ']))
        {
            return Err(
                "signature: a `list` version tag must be non-empty, without `,` or spaces".into(),
            );
        }
        if self.url.body_hash_param.is_some() && !self.template.uses(&Part::Url) {
            return Err("url.body_hash_param needs {url} in signed_content".into());
        }
        self.outgoing.check(self)
    }
}

impl From<Scheme> for SchemeDef {
    fn from(s: Scheme) -> Self {
        let (header, body_field) = match s.signature.source {
            Source::Header(h) => (Some(h.to_string()), None),
            Source::BodyField(p) => (None, Some(p)),
            Source::SignatureParam(_) => (None, None),
        };
        let (style, prefix, key, separator) = match s.signature.format {
            SignatureFormat::Single { prefix } => {
                ("single", (!prefix.is_empty()).then_some(prefix), None, None)
            }
            SignatureFormat::List { version } => ("list", None, Some(version), None),
            SignatureFormat::Pairs { separator, key } => {
                ("pairs", None, Some(key), Some(separator))
            }
        };
        let asymmetric_without_key = !s.algorithm.is_symmetric() && s.signing_key.is_none();
        let body_signature = body_field.is_some();
        SchemeDef {
            name: s.name,
            description: s.description,
            algorithm: s.algorithm,
            encoding: s.encoding,
            signed_content: s.template,
            key: s.key,
            signing_key: s.signing_key,
            signature: SignatureDef {
                header,
                body_field,
                style: style.into(),
                prefix,
                key,
                separator,
            },
            id: s.id.map(Into::into),
            timestamp: s.timestamp.map(|t| {
                let SourceDef {
                    header,
                    body_field,
                    param,
                } = t.source.into();
                TimestampDef {
                    header,
                    body_field,
                    param,
                    format: t.format,
                    tolerance: t.tolerance,
                }
            }),
            event_type: s.event_type.map(Into::into),
            url: s.url,
            send: s.outgoing.to_def(),
            can_sign: s.can_sign || asymmetric_without_key || body_signature,
            receive: (s.receive != ReceiveSpec::default()).then(|| ReceiveDef {
                id: s.receive.id.map(Into::into),
                event_type: s.receive.event_type.map(Into::into),
            }),
        }
    }
}
