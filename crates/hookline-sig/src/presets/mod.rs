//! The schemes Hookline ships, each a plain [`Scheme`] value.
//!
//! Each preset cites where its rules come from. Where a provider's documentation and its
//! official SDK disagree, the preset follows the SDK: the SDK is what senders are tested
//! against. Details marked *unconfirmed* are our reading, chosen so the provider's own SDK
//! would accept what we sign.

mod founding;
mod wide;

use std::sync::OnceLock;

use crate::encoding::Encoding;
use crate::headers::HeaderKey;
use crate::key::{Algorithm, KeyEncoding, KeyFormat};
use crate::outgoing::{Outgoing, SendDef};
use crate::scheme::{
    ReceiveSpec, Scheme, SignatureFormat, SignatureSpec, Source, TimestampSpec, UrlRules,
};
use crate::template::Template;
use crate::time::{TimestampFormat, Tolerance};

/// Every preset, in the order `hookline schemes` lists them.
pub fn all() -> &'static [Scheme] {
    static ALL: OnceLock<Vec<Scheme>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v = wide::all();
        v.extend(founding::all());
        v
    })
}

/// The preset called `name` (case-insensitive; `_` and `-` are the same).
pub fn by_name(name: &str) -> Option<&'static Scheme> {
    let want = name.replace('_', "-");
    all().iter().find(|s| s.name.eq_ignore_ascii_case(&want))
}

/// The names of every preset.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|s| s.name.as_str()).collect()
}

/// A preset under construction. Presets are code, not parsed text, so a typo in one fails
/// the build or the `presets_are_valid` test rather than a user's request.
pub(crate) struct Preset(Scheme);

impl Preset {
    /// An HMAC-SHA256 scheme whose secret is the text's own bytes, with the signature in
    /// `header`: the most common shape, which the other builders adjust.
    pub(crate) fn new(
        name: &str,
        description: &str,
        header: &str,
        format: SignatureFormat,
        encoding: Encoding,
        signed: &str,
    ) -> Self {
        Preset(Scheme {
            name: name.into(),
            description: description.into(),
            algorithm: Algorithm::HmacSha256,
            encoding,
            // Preset templates are literals covered by the `presets_are_valid` test.
            template: Template::parse(signed).unwrap_or_else(|e| panic!("preset {name}: {e}")),
            key: KeyFormat::utf8(),
            signing_key: None,
            signature: SignatureSpec {
                source: Source::Header(HeaderKey::new(header)),
                format,
            },
            id: None,
            timestamp: None,
            event_type: None,
            url: UrlRules::default(),
            can_sign: true,
            outgoing: Outgoing::default(),
            receive: ReceiveSpec::default(),
        })
    }

    pub(crate) fn algorithm(mut self, a: Algorithm) -> Self {
        self.0.algorithm = a;
        self
    }
    pub(crate) fn key(mut self, encoding: KeyEncoding, prefix: Option<&str>) -> Self {
        self.0.key = KeyFormat {
            encoding,
            prefix: prefix.map(Into::into),
        };
        self
    }
    pub(crate) fn signing_key(mut self, encoding: KeyEncoding, prefix: Option<&str>) -> Self {
        self.0.signing_key = Some(KeyFormat {
            encoding,
            prefix: prefix.map(Into::into),
        });
        self
    }
    pub(crate) fn id(mut self, source: Source) -> Self {
        self.0.id = Some(source);
        self
    }
    pub(crate) fn event(mut self, source: Source) -> Self {
        self.0.event_type = Some(source);
        self
    }
    /// Where a received request's event id and type are, when the provider puts them where
    /// the signer should not write (see [`ReceiveSpec`]).
    pub(crate) fn receive(mut self, id: Option<Source>, event_type: Option<Source>) -> Self {
        self.0.receive = ReceiveSpec { id, event_type };
        self
    }
    pub(crate) fn timestamp(
        mut self,
        source: Source,
        format: TimestampFormat,
        tolerance: Tolerance,
    ) -> Self {
        self.0.timestamp = Some(TimestampSpec {
            source,
            format,
            tolerance,
        });
        self
    }
    pub(crate) fn signature_in_body(mut self, pointer: &str) -> Self {
        self.0.signature.source = Source::BodyField(pointer.into());
        self.0.can_sign = false;
        self
    }
    pub(crate) fn url(mut self, rules: UrlRules) -> Self {
        self.0.url = rules;
        self
    }
    /// How the provider dresses a message: `id` and `headers` are text templates, `body` a
    /// JSON template (see [`crate::outgoing`]). Nested objects go after the plain members, as
    /// TOML prints them, so a preset prints and reads back as the same scheme.
    pub(crate) fn send(
        mut self,
        id: Option<&str>,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Self {
        let def = SendDef {
            id: id.map(Into::into),
            body,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        // Preset templates are literals covered by the `presets_are_valid` test.
        self.0.outgoing =
            Outgoing::parse(&def).unwrap_or_else(|e| panic!("preset {}: {e}", self.0.name));
        self
    }
    pub(crate) fn build(self) -> Scheme {
        self.0
    }
}

/// Shorthands for the sources and layouts presets use.
pub(crate) fn header(name: &str) -> Source {
    Source::Header(HeaderKey::new(name))
}
pub(crate) fn body_field(pointer: &str) -> Source {
    Source::BodyField(pointer.into())
}
pub(crate) fn param(key: &str) -> Source {
    Source::SignatureParam(key.into())
}
pub(crate) fn single(prefix: &str) -> SignatureFormat {
    SignatureFormat::Single {
        prefix: prefix.into(),
    }
}
pub(crate) fn list(version: &str) -> SignatureFormat {
    SignatureFormat::List {
        version: version.into(),
    }
}
pub(crate) fn pairs(separator: char, key: &str) -> SignatureFormat {
    SignatureFormat::Pairs {
        separator,
        key: key.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::SchemeDef;

    #[test]
    fn presets_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in all() {
            s.check().unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert!(seen.insert(s.name.clone()), "duplicate {}", s.name);
            // Every preset survives its own data form.
            let def = SchemeDef::from(s.clone());
            assert_eq!(&Scheme::try_from(def).expect("round trip"), s);
        }
        for name in [
            "standard",
            "standard-v1a",
            "svix",
            "stripe",
            "github",
            "github-sha1",
            "slack",
            "shopify",
            "twilio",
            "paddle",
            "zoom",
            "discord",
            "square",
            "linear",
            "twitch",
            "typeform",
            "sendgrid",
            "mailgun",
            "spectrum",
            "spine",
            "wasphere",
            "spaces",
            "splashify",
        ] {
            assert!(by_name(name).is_some(), "missing preset {name}");
        }
        assert!(by_name("GitHub_SHA1").is_some());
    }
}
