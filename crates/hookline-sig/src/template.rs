//! The signed-content template: which bytes go into the MAC, in which order.
//!
//! Written as text (`"{id}.{timestamp}.{body}"`), parsed once into parts, then fed to the MAC
//! piece by piece so that the body is never copied.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One piece of the signed content.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// Literal text, such as `.` or `v0:`.
    Literal(String),
    /// `{id}`: the message id, as it appears on the wire.
    Id,
    /// `{timestamp}`: the timestamp, exactly as it appears on the wire.
    Timestamp,
    /// `{body}`: the raw request body.
    Body,
    /// `{url}`: the full URL the sender posted to.
    Url,
    /// `{form}`: the body's form parameters, sorted by name, each written `name` + `value`
    /// (Twilio's construction). Empty for a body that is not a form.
    Form,
}

/// A parsed signed-content template.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Template {
    parts: Vec<Part>,
}

/// A template that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad signed-content template {template:?}: {reason}")]
pub struct TemplateError {
    template: String,
    reason: String,
}

impl Template {
    /// Parses `{id}`, `{timestamp}`, `{body}`, `{url}`, `{form}` and literal text; `{{` and
    /// `}}` stand for literal braces.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let err = |reason: String| TemplateError {
            template: text.to_owned(),
            reason,
        };
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("{{") || rest.starts_with("}}") {
                literal.push(c);
                rest = &rest[2..];
            } else if c == '{' {
                let end = rest.find('}').ok_or_else(|| err("unclosed `{`".into()))?;
                let part = match &rest[1..end] {
                    "id" => Part::Id,
                    "timestamp" => Part::Timestamp,
                    "body" => Part::Body,
                    "url" => Part::Url,
                    "form" => Part::Form,
                    other => {
                        return Err(err(format!(
                            "unknown placeholder `{{{other}}}` (known: id, timestamp, body, url, form)"
                        )));
                    }
                };
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(part);
                rest = &rest[end + 1..];
            } else if c == '}' {
                return Err(err("lone `}` (write `}}` for a literal brace)".into()));
            } else {
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        if parts.is_empty() {
            return Err(err("empty".into()));
        }
        Ok(Template { parts })
    }

    /// The parts in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether the template uses `part`.
    pub fn uses(&self, part: &Part) -> bool {
        self.parts.contains(part)
    }

    /// Feeds the signed content to `sink`, piece by piece.
    pub(crate) fn feed(&self, values: &Values<'_>, mut sink: impl FnMut(&[u8])) {
        for part in &self.parts {
            match part {
                Part::Literal(s) => sink(s.as_bytes()),
                Part::Id => sink(values.id.as_bytes()),
                Part::Timestamp => sink(values.timestamp.as_bytes()),
                Part::Body => sink(values.body),
                Part::Url => sink(values.url.as_bytes()),
                Part::Form => {
                    for (k, v) in values.form {
                        sink(k.as_bytes());
                        sink(v.as_bytes());
                    }
                }
            }
        }
    }

    /// The signed content as one buffer, for signature algorithms that need it whole.
    pub(crate) fn render(&self, values: &Values<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(values.body.len() + 64);
        self.feed(values, |b| out.extend_from_slice(b));
        out
    }
}

/// The values a template draws on. Unused ones may be empty.
#[derive(Clone, Debug, Default)]
pub(crate) struct Values<'a> {
    pub(crate) id: &'a str,
    pub(crate) timestamp: &'a str,
    pub(crate) body: &'a [u8],
    pub(crate) url: &'a str,
    pub(crate) form: &'a [(String, String)],
}

/// Twilio's parameter order: sorted by name, then by value for repeated names.
pub(crate) fn sorted_form(body: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Literal(s) => f.write_str(&s.replace('{', "{{").replace('}', "}}"))?,
                Part::Id => f.write_str("{id}")?,
                Part::Timestamp => f.write_str("{timestamp}")?,
                Part::Body => f.write_str("{body}")?,
                Part::Url => f.write_str("{url}")?,
                Part::Form => f.write_str("{form}")?,
            }
        }
        Ok(())
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Template::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        for t in [
            "{id}.{timestamp}.{body}",
            "v0:{timestamp}:{body}",
            "{url}{form}",
            "{{lit}}{body}",
        ] {
            let parsed = Template::parse(t).expect(t);
            assert_eq!(parsed.to_string(), t);
        }
        let t = Template::parse("v0:{timestamp}:{body}").expect("parses");
        assert_eq!(
            t.parts(),
            &[
                Part::Literal("v0:".into()),
                Part::Timestamp,
                Part::Literal(":".into()),
                Part::Body
            ]
        );
    }

    #[test]
    fn rejects_unknown_and_unbalanced() {
        for bad in ["{nope}", "{body", "body}", ""] {
            assert!(Template::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn renders_without_copying_pieces_out_of_order() {
        let t = Template::parse("{url}{form}").expect("parses");
        let form = sorted_form(b"b=2&a=1&a=0");
        let values = Values {
            url: "https://x/y",
            form: &form,
            ..Values::default()
        };
        assert_eq!(t.render(&values), b"https://x/ya0a1b2");
    }
}
