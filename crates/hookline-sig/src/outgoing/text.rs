//! Text with placeholders, for outgoing header values, ids and the strings of a body
//! template: `"evt_{msg_uuid}"`, `"{event_type}"`. `{{` and `}}` stand for literal braces.

use std::fmt::{self, Write as _};

use super::Values;
use crate::time::TimestampFormat;

/// One value a template draws from the message being sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// `{msg_id}`: Hookline's message id (`msg_…`), the same on every attempt.
    MsgId,
    /// `{msg_uuid}`: a UUID derived from the message id alone: the same on every attempt
    /// and for every endpoint (an *event* id: Spine's and Stripe's `evt_…`).
    MsgUuid,
    /// `{delivery_uuid}`: a UUID derived from the message id and the delivery key (the
    /// endpoint): the same on every attempt of one delivery, different per endpoint (WaSphere's
    /// `deliveryId`, GitHub's `X-GitHub-Delivery`).
    DeliveryUuid,
    /// `{id}`: the id as the scheme sends it (`send.id`, by default the message id).
    Id,
    /// `{event_type}`: the message's event type.
    EventType,
    /// `{created}`, `{created_ms}`, `{created_rfc3339}`: when the message was created, so the
    /// same on every attempt.
    Created(TimestampFormat),
    /// `{sent}`, `{sent_ms}`, `{sent_rfc3339}`: this attempt's time (the signature's
    /// timestamp, for schemes that read it from the body, as Linear does).
    Sent(TimestampFormat),
    /// `{payload}`: the payload as raw JSON. Only as a whole value of the body template.
    Payload,
}

const FIELDS: &[(&str, Field)] = &[
    ("msg_id", Field::MsgId),
    ("msg_uuid", Field::MsgUuid),
    ("delivery_uuid", Field::DeliveryUuid),
    ("id", Field::Id),
    ("event_type", Field::EventType),
    ("created", Field::Created(TimestampFormat::UnixSeconds)),
    ("created_ms", Field::Created(TimestampFormat::UnixMillis)),
    ("created_rfc3339", Field::Created(TimestampFormat::Rfc3339)),
    ("sent", Field::Sent(TimestampFormat::UnixSeconds)),
    ("sent_ms", Field::Sent(TimestampFormat::UnixMillis)),
    ("sent_rfc3339", Field::Sent(TimestampFormat::Rfc3339)),
    ("payload", Field::Payload),
];

impl Field {
    fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    /// Whether the value is a JSON number when it stands alone in the body template.
    pub(super) fn is_number(self) -> bool {
        matches!(
            self,
            Field::Created(TimestampFormat::UnixSeconds | TimestampFormat::UnixMillis)
                | Field::Sent(TimestampFormat::UnixSeconds | TimestampFormat::UnixMillis)
        )
    }

    /// Writes the value as text (`Payload` is never text: parsing refuses it there).
    pub(super) fn write(self, v: &Values<'_>, out: &mut String) {
        match self {
            Field::MsgId => out.push_str(v.msg_id),
            Field::MsgUuid => out.push_str(&v.msg_uuid),
            Field::DeliveryUuid => out.push_str(v.delivery_uuid.as_deref().unwrap_or_default()),
            Field::Id => out.push_str(v.id),
            Field::EventType => out.push_str(v.event_type),
            Field::Created(f) => out.push_str(&f.format(v.created)),
            Field::Sent(f) => out.push_str(&f.format(v.sent)),
            Field::Payload => {}
        }
    }
}

/// One piece of a text template.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Piece {
    Literal(String),
    Field(Field),
}

/// A parsed text template.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Text {
    pub(super) pieces: Vec<Piece>,
}

impl Text {
    /// Parses `text`. Where `{payload}` may stand (only alone, in the body) is the caller's rule.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("{{") || rest.starts_with("}}") {
                literal.push(c);
                rest = &rest[2..];
            } else if c == '{' {
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("{text:?}: unclosed `{{`"))?;
                let name = &rest[1..end];
                let field = FIELDS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, f)| *f)
                    .ok_or_else(|| {
                        let known: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
                        format!(
                            "{text:?}: unknown placeholder `{{{name}}}` (known: {})",
                            known.join(", ")
                        )
                    })?;
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Field(field));
                rest = &rest[end + 1..];
            } else if c == '}' {
                return Err(format!(
                    "{text:?}: lone `}}` (write `}}}}` for a literal brace)"
                ));
            } else {
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Text { pieces })
    }

    /// The one field this text consists of, if it is exactly one placeholder.
    pub(super) fn alone(&self) -> Option<Field> {
        match self.pieces.as_slice() {
            [Piece::Field(f)] => Some(*f),
            _ => None,
        }
    }

    /// Every field used.
    pub(super) fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field(f) => Some(*f),
            Piece::Literal(_) => None,
        })
    }

    pub(super) fn render(&self, v: &Values<'_>) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Literal(s) => out.push_str(s),
                Piece::Field(f) => f.write(v, &mut out),
            }
        }
        out
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.pieces {
            match p {
                Piece::Literal(s) => f.write_str(&s.replace('{', "{{").replace('}', "}}"))?,
                Piece::Field(field) => {
                    f.write_char('{')?;
                    f.write_str(field.name())?;
                    f.write_char('}')?;
                }
            }
        }
        Ok(())
    }
}
