//! How pages call the API's handlers: queries as the API's `Params`, form input as the JSON
//! body the API would receive, parsed by the API's own strict parser. So a page can do
//! nothing the API would refuse, and its errors are the API's.

use maud::{Markup, html};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::error::ApiResult;
use crate::api::extract::{Body, Params, parse_json};

/// Query parameters; empty values are left out (an empty filter means none).
pub(super) fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// A body as the API parses it.
pub(super) fn body<T: DeserializeOwned>(v: &Value) -> ApiResult<Body<T>> {
    parse_json(v.to_string().as_bytes()).map(Body)
}

/// The first example of an event type's schemas, as the API's send-example picks it.
pub(super) fn example_of(schemas: Option<&Value>) -> Option<Value> {
    schemas?
        .as_object()?
        .values()
        .find_map(|schema| schema.get("examples")?.as_array()?.first().cloned())
}

/// Newer / older links over the API's cursors. `base` ends in `?` or `&`.
pub(super) fn pager(
    base: &str,
    prev: &Option<String>,
    next: &Option<String>,
    done: bool,
    paged: bool,
) -> Markup {
    html! {
        nav.pager aria-label="Pages" {
            @if paged { @if let Some(p) = prev { a href={ (base) "iterator=" (enc(p)) } { "← Previous" } } }
            @if !done { @if let Some(n) = next { a href={ (base) "iterator=" (enc(n)) } { "Next →" } } }
        }
    }
}

/// A query-string value.
pub(super) fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
