//! The checks of the source API's input (`api::source`), each a 422 naming its field.

use hookline_sig::Scheme;
use hookline_sig::receive::handshake::Handshake;

use super::error::{ApiError, ApiResult};
use super::source_types::SourceIn;
use super::types::check_uid;
use crate::gateway::scheme;

pub(super) fn check_name(loc: &str, name: &str) -> ApiResult<()> {
    if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            loc,
            "1 to 256 characters, no control characters",
        ));
    }
    Ok(())
}

pub(super) fn check_tolerance(loc: &str, t: Option<u32>) -> ApiResult<()> {
    if t.is_some_and(|t| !(1..=86_400).contains(&t)) {
        return Err(ApiError::invalid(loc, "from 1 to 86,400 seconds"));
    }
    Ok(())
}

pub(super) fn check_window(loc: &str, w: u32) -> ApiResult<()> {
    if !(1..=90 * 24 * 3600).contains(&w) {
        return Err(ApiError::invalid(loc, "from 1 second to 90 days"));
    }
    Ok(())
}

pub(super) fn check_handshake(loc: &str, h: &str) -> ApiResult<()> {
    if Handshake::parse(h).is_none() {
        return Err(ApiError::invalid(
            loc,
            "one of: slack, zoom, meta, twitter, graph",
        ));
    }
    Ok(())
}

pub(super) fn check_verify_token(loc: &str, t: &str) -> ApiResult<()> {
    if t.is_empty() || t.len() > 256 || t.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            loc,
            "1 to 256 characters, no control characters",
        ));
    }
    Ok(())
}

/// The scheme the input names, checked, and its definition as stored text.
pub(super) fn input_scheme(input: &SourceIn) -> ApiResult<(Scheme, Option<String>)> {
    let definition = match &input.scheme_definition {
        Some(v) if !v.is_object() => {
            return Err(ApiError::invalid(
                "body.schemeDefinition",
                "must be a JSON object",
            ));
        }
        Some(v) => Some(v.to_string()),
        None => None,
    };
    let s = scheme::resolve(&input.scheme, definition.as_deref()).map_err(|e| {
        let loc = match e {
            scheme::SchemeProblem::Definition(_) | scheme::SchemeProblem::UnexpectedDefinition => {
                "body.schemeDefinition"
            }
            _ => "body.scheme",
        };
        ApiError::invalid(loc, e.to_string())
    })?;
    Ok((s, definition))
}

pub(super) fn check_keys(loc: &str, scheme: &Scheme, keys: &[String]) -> ApiResult<()> {
    if keys.is_empty() || keys.len() > 10 {
        return Err(ApiError::invalid(loc, "give 1 to 10 keys"));
    }
    for (i, k) in keys.iter().enumerate() {
        if let Some(why) = scheme::key_problem(scheme, k) {
            return Err(ApiError::invalid(&format!("{loc}.{i}"), why));
        }
    }
    Ok(())
}

pub(super) fn check_input(input: &SourceIn) -> ApiResult<()> {
    check_name("body.name", &input.name)?;
    if let Some(uid) = &input.uid {
        check_uid("body.uid", uid)?;
    }
    check_tolerance("body.toleranceSeconds", input.tolerance_seconds)?;
    if let Some(w) = input.dedupe_window_seconds {
        check_window("body.dedupeWindowSeconds", w)?;
    }
    if let Some(h) = &input.handshake {
        check_handshake("body.handshake", h)?;
    }
    if let Some(t) = &input.verify_token {
        check_verify_token("body.verifyToken", t)?;
    }
    Ok(())
}
