//! The written form of a scheme (the TOML or JSON a user writes), and how a checked
//! [`Scheme`] prints back to it, so every preset can be shown as the file that would
//! declare it.

use serde::{Deserialize, Serialize};

use super::{Scheme, SignatureFormat, Source, UrlRules};
use crate::encoding::Encoding;
use crate::key::{Algorithm, KeyFormat};
use crate::outgoing::SendDef;
use crate::template::Template;
use crate::time::{TimestampFormat, Tolerance};

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
        }
    }
}
