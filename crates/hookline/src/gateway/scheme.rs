//! A source's scheme (a preset, or a custom definition) and its keys, as a verifier.

use hookline_sig::{Scheme, SchemeDef, Tolerance, Verifier, presets};

use super::model::Source;
use crate::store::Millis;

/// The name a source gives a custom scheme.
pub const CUSTOM: &str = "custom";

/// Why a scheme or its keys are unusable, in words for a 422.
#[derive(Debug, thiserror::Error)]
pub enum SchemeProblem {
    #[error("unknown scheme {0:?}; one of: {1}, or `custom` with a schemeDefinition")]
    Unknown(String, String),
    #[error("`custom` needs a schemeDefinition")]
    MissingDefinition,
    #[error("a schemeDefinition is given only with scheme `custom`")]
    UnexpectedDefinition,
    #[error("{0}")]
    Definition(String),
}

/// The scheme `name` names (with `definition` for `custom`).
pub fn resolve(name: &str, definition: Option<&str>) -> Result<Scheme, SchemeProblem> {
    match (name, definition) {
        (CUSTOM, Some(text)) => {
            let def: SchemeDef =
                serde_json::from_str(text).map_err(|e| SchemeProblem::Definition(e.to_string()))?;
            Scheme::try_from(def).map_err(|e| SchemeProblem::Definition(e.to_string()))
        }
        (CUSTOM, None) => Err(SchemeProblem::MissingDefinition),
        (_, Some(_)) => Err(SchemeProblem::UnexpectedDefinition),
        (name, None) => presets::by_name(name)
            .cloned()
            .ok_or_else(|| SchemeProblem::Unknown(name.to_owned(), presets::names().join(", "))),
    }
}

/// The source's scheme with its replay window applied.
pub fn scheme_of(source: &Source) -> Result<Scheme, SchemeProblem> {
    let scheme = resolve(&source.scheme, source.scheme_definition.as_deref())?;
    Ok(match source.tolerance_secs {
        Some(t) => scheme.with_tolerance(Tolerance::symmetric(u64::from(t))),
        None => scheme,
    })
}

/// A verifier over the keys that verify at `now`. `None` when every key has expired (the
/// source then refuses everything, as it should: nothing can be authentic).
pub fn verifier(
    scheme: &Scheme,
    source: &Source,
    now: Millis,
) -> Result<Option<Verifier>, hookline_sig::KeyError> {
    let keys = source.active_keys(now);
    if keys.is_empty() {
        return Ok(None);
    }
    Verifier::new(scheme, &keys).map(Some)
}

/// Why `key` is not a key of `scheme`, if it is not.
pub fn key_problem(scheme: &Scheme, key: &str) -> Option<String> {
    if key.is_empty() || key.len() > 4096 {
        return Some("expected 1 to 4,096 characters".into());
    }
    Verifier::new(scheme, &[key])
        .err()
        .map(|e| format!("not a key of scheme {}: {e}", scheme.name()))
}
