//! `hookline import svix`: copy applications, event types and endpoints (with their signing
//! secrets, filters, channels, headers, rate limits, descriptions and metadata) from a server
//! that speaks Svix's API into this one, so a team moves over in one command.
//!
//! Idempotent: each item is matched to what the destination already has (an application by
//! uid, else by name among those without a uid; an event type by name; an endpoint by uid,
//! else by URL), updated where it differs and left alone where it does not. A second run
//! reports everything unchanged. The summary counts created / updated / unchanged / failed
//! per kind; one failed item does not stop the others.

mod diff;
mod svix;

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::{Format, block_on};
use super::remote::{Client, ServerArgs};

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    #[command(subcommand)]
    from: From,
}

#[derive(Debug, Subcommand)]
enum From {
    /// From a Svix server (or anything speaking its API: another Hookline, too).
    Svix(SvixArgs),
}

#[derive(Debug, Args)]
struct SvixArgs {
    /// The Svix server's base URL (e.g. https://api.eu.svix.com, or a self-hosted one).
    #[arg(long, value_name = "URL")]
    from: String,
    /// A token of that server (an organisation-wide API key).
    #[arg(
        long,
        env = "HOOKLINE_IMPORT_FROM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    from_token: String,
    /// The Hookline server written to (default: `--server`, `HOOKLINE_SERVER`, or `login`).
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

/// What happened to one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Counts for one kind of item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Tally {
    pub(crate) created: usize,
    pub(crate) updated: usize,
    pub(crate) unchanged: usize,
    pub(crate) failed: usize,
}

/// The whole run: counts per kind, and what a person should know (failures, what could not
/// be copied).
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) kinds: BTreeMap<&'static str, Tally>,
    pub(crate) notes: Vec<String>,
}

impl Report {
    pub(crate) fn count(&mut self, kind: &'static str, r: anyhow::Result<Outcome>, what: &str) {
        let t = self.kinds.entry(kind).or_default();
        match r {
            Ok(Outcome::Created) => t.created += 1,
            Ok(Outcome::Updated) => t.updated += 1,
            Ok(Outcome::Unchanged) => t.unchanged += 1,
            Err(e) => {
                t.failed += 1;
                self.notes.push(format!("failed: {kind} {what}: {e:#}"));
            }
        }
    }

    fn failed(&self) -> usize {
        self.kinds.values().map(|t| t.failed).sum()
    }
}

pub(crate) fn run(a: &ImportArgs) -> anyhow::Result<ExitCode> {
    let From::Svix(a) = &a.from;
    let from = Client::new(&a.from, &a.from_token)?;
    let to = a.server.client()?;
    let report = block_on(svix::import(&from, &to))?;
    for note in &report.notes {
        eprintln!("{note}");
    }
    if a.format.json {
        let kinds: serde_json::Map<String, serde_json::Value> = report
            .kinds
            .iter()
            .map(|(k, t)| ((*k).to_owned(), serde_json::to_value(t).unwrap_or_default()))
            .collect();
        super::output::json(&serde_json::json!({ "summary": kinds, "notes": report.notes }))?;
    } else {
        say!(
            "{:<12} {:>8} {:>8} {:>10} {:>7}",
            "KIND",
            "CREATED",
            "UPDATED",
            "UNCHANGED",
            "FAILED"
        );
        for kind in svix::KINDS {
            let t = report.kinds.get(kind).copied().unwrap_or_default();
            say!(
                "{kind:<12} {:>8} {:>8} {:>10} {:>7}",
                t.created,
                t.updated,
                t.unchanged,
                t.failed
            );
        }
    }
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_API_ERROR)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_item_is_counted_and_named_and_the_rest_go_on() {
        let mut r = Report::default();
        r.count("apps", Ok(Outcome::Created), "a");
        r.count("apps", Err(anyhow::anyhow!("422 body.url")), "b");
        r.count("apps", Ok(Outcome::Unchanged), "c");
        r.count("endpoints", Ok(Outcome::Updated), "e");
        assert_eq!(
            r.kinds["apps"],
            Tally {
                created: 1,
                updated: 0,
                unchanged: 1,
                failed: 1
            }
        );
        assert_eq!(r.kinds["endpoints"].updated, 1);
        assert_eq!(r.failed(), 1);
        assert_eq!(r.notes, ["failed: apps b: 422 body.url"]);
    }
}
