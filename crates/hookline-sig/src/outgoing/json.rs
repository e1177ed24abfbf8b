//! The body template: a JSON document whose strings may hold placeholders.
//!
//! It is declared as a JSON value (a TOML table), so the envelope is well-formed by
//! construction: the renderer writes JSON itself, escaping every string through serde_json,
//! and splices the payload in as raw JSON (checked to be JSON first), never as a string.
//! A string that is exactly one placeholder takes that value's JSON type: `"{payload}"` is
//! the payload, `"{created}"` a number, `"{event_type}"` a string.

use serde_json::{Map, Number, Value};

use super::Values;
use super::text::{Field, Text};

/// One node of the body template.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Number(Number),
    /// A string with placeholders (or none).
    Text(Text),
    /// A string that is exactly one placeholder: written with the value's own JSON type.
    Field(Field),
    Array(Vec<Node>),
    /// Members in the order declared.
    Object(Vec<(String, Node)>),
}

impl Node {
    /// Reads a declared body. `at` is the JSON pointer of `v`, for errors.
    pub(super) fn parse(v: &Value, at: &str) -> Result<Node, String> {
        Ok(match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => {
                let text = Text::parse(s).map_err(|e| format!("{at}: {e}"))?;
                match text.alone() {
                    Some(f) => Node::Field(f),
                    None if text.fields().any(|f| f == Field::Payload) => {
                        return Err(format!(
                            "{at}: `{{payload}}` must be a whole value (\"{{payload}}\"), not part of a string"
                        ));
                    }
                    None => Node::Text(text),
                }
            }
            Value::Array(items) => Node::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Node::parse(item, &format!("{at}/{i}")))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(members) => Node::Object(
                members
                    .iter()
                    .map(|(k, item)| {
                        let at = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                        Ok((k.clone(), Node::parse(item, &at)?))
                    })
                    .collect::<Result<_, String>>()?,
            ),
        })
    }

    /// The declared form back, for printing a scheme.
    pub(super) fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::Text(t) => Value::String(t.to_string()),
            Node::Field(f) => Value::String(
                Text {
                    pieces: vec![super::text::Piece::Field(*f)],
                }
                .to_string(),
            ),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, n)| (k.clone(), n.to_value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }

    /// Every field the template uses.
    pub(super) fn fields(&self, out: &mut Vec<Field>) {
        match self {
            Node::Text(t) => out.extend(t.fields()),
            Node::Field(f) => out.push(*f),
            Node::Array(items) => items.iter().for_each(|n| n.fields(out)),
            Node::Object(members) => members.iter().for_each(|(_, n)| n.fields(out)),
            Node::Null | Node::Bool(_) | Node::Number(_) => {}
        }
    }

    /// What a JSON pointer into the rendered body reaches: a node of the template, or
    /// somewhere inside the payload (which the template cannot see into).
    pub(super) fn at_pointer(&self, pointer: &str) -> Reach<'_> {
        let mut node = self;
        if pointer.is_empty() {
            return Reach::Node(node);
        }
        let Some(rest) = pointer.strip_prefix('/') else {
            return Reach::Nothing;
        };
        for token in rest.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match node {
                Node::Field(Field::Payload) => return Reach::InsidePayload,
                Node::Object(members) => match members.iter().find(|(k, _)| *k == token) {
                    Some((_, n)) => n,
                    None => return Reach::Nothing,
                },
                Node::Array(items) => {
                    match token.parse::<usize>().ok().and_then(|i| items.get(i)) {
                        Some(n) => n,
                        None => return Reach::Nothing,
                    }
                }
                _ => return Reach::Nothing,
            };
        }
        match node {
            Node::Field(Field::Payload) => Reach::InsidePayload,
            n => Reach::Node(n),
        }
    }

    /// Writes the body. `payload` has been checked to be one JSON value.
    pub(super) fn render(&self, v: &Values<'_>, out: &mut Vec<u8>) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Node::Text(t) => write_str(&t.render(v), out),
            Node::Field(Field::Payload) => out.extend_from_slice(v.payload),
            Node::Field(f) => {
                let mut text = String::new();
                f.write(v, &mut text);
                if f.is_number() {
                    out.extend_from_slice(text.as_bytes());
                } else {
                    write_str(&text, out);
                }
            }
            Node::Array(items) => {
                out.push(b'[');
                for (i, n) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    n.render(v, out);
                }
                out.push(b']');
            }
            Node::Object(members) => {
                out.push(b'{');
                for (i, (k, n)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(k, out);
                    out.push(b':');
                    n.render(v, out);
                }
                out.push(b'}');
            }
        }
    }
}

/// What a pointer reaches in the template.
pub(super) enum Reach<'a> {
    Node(&'a Node),
    InsidePayload,
    Nothing,
}

/// A JSON string, escaped by serde_json (quotes, backslashes, control characters).
fn write_str(s: &str, out: &mut Vec<u8>) {
    // Writing a `&str` into a `Vec<u8>` cannot fail: the only errors serde_json reports
    // here are I/O errors, and a Vec never returns one.
    let _ = serde_json::to_writer(&mut *out, s);
}
