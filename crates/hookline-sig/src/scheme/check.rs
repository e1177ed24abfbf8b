//! From the written form to a checked [`Scheme`]: each location, the signature's layout,
//! and the cross-field rules serde cannot express. A failure is a [`SchemeError`] naming
//! the scheme and the field.

use super::{Scheme, SignatureFormat, SignatureSpec, Source, TimestampSpec};
use super::{SchemeDef, SourceDef};
use crate::headers::HeaderKey;
use crate::outgoing::Outgoing;
use crate::template::Part;

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
