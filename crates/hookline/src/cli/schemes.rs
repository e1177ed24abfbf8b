//! `hookline schemes [NAME]`.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use hookline_sig::{SchemeDef, presets};

#[derive(Debug, Args)]
pub(crate) struct SchemesArgs {
    /// Show this scheme in full, as TOML (the form `--scheme-file` reads).
    name: Option<String>,
}

pub(crate) fn run(a: &SchemesArgs) -> anyhow::Result<ExitCode> {
    match &a.name {
        Some(name) => {
            let scheme = super::input::load_scheme(Some(name), None)?;
            let def = SchemeDef::from(scheme);
            let text = toml::to_string_pretty(&def).context("writing TOML")?;
            say!(nonl "{text}");
        }
        None => {
            let all = presets::all();
            let width = all.iter().map(|s| s.name().len()).max().unwrap_or(0);
            for s in all {
                let headers = s.header_names();
                let where_ = if headers.is_empty() {
                    "signature in the body".to_owned()
                } else {
                    headers.join(", ")
                };
                let sign = if s.can_sign() { "" } else { " [verify only]" };
                let body = if s.outgoing().has_body() {
                    "; sends its provider's envelope"
                } else {
                    ""
                };
                say!(
                    "{:width$}  {}{sign}\n{:width$}  headers: {where_}{body}",
                    s.name(),
                    s.description(),
                    ""
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
