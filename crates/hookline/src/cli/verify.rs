//! `hookline verify`: verify, and on failure diagnose.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use hookline_sig::{Diagnosis, Request, Scheme, Tolerance, UnixTime, Verified, detect, diagnose};

use super::input::{self, KeyArgs, SchemeArgs};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    scheme: SchemeArgs,
    #[command(flatten)]
    keys: KeyArgs,
    /// A received header, `Name: value`. Repeat for each.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = input::parse_header)]
    headers: Vec<(String, String)>,
    /// The raw body, exactly as received (default: standard input).
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// The full URL the sender posted to, for schemes that sign it (Twilio, Square).
    #[arg(long)]
    url: Option<String>,
    /// Verify as of this time, in unix seconds (default: now).
    #[arg(long, value_name = "UNIX")]
    now: Option<i64>,
    /// The replay window in seconds, both directions; `none` for no limit (default: the scheme's).
    #[arg(long, value_name = "SECONDS", value_parser = parse_tolerance)]
    tolerance: Option<Tolerance>,
}

fn parse_tolerance(text: &str) -> Result<Tolerance, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(Tolerance::unlimited());
    }
    text.parse()
        .map(Tolerance::symmetric)
        .map_err(|_| format!("expected whole seconds or `none`, got {text:?}"))
}

pub(crate) fn run(a: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let keys = a.keys.collect()?;
    let body = input::read_body(a.body_file.as_ref())?;
    let now = input::time_or_now(a.now);
    let mut req = Request::new(&a.headers, &body);
    if let Some(url) = &a.url {
        req = req.with_url(url);
    }
    let candidates: Vec<Scheme> = if a.scheme.is_auto() {
        let found: Vec<Scheme> = detect(&a.headers, &body).into_iter().cloned().collect();
        if found.is_empty() {
            bail!(
                "--scheme auto: no known scheme's signature header is present (see `hookline schemes`); name the scheme with --scheme"
            );
        }
        found
    } else {
        vec![a.scheme.load()?]
    };
    let candidates: Vec<Scheme> = match a.tolerance {
        Some(t) => candidates
            .into_iter()
            .map(|s| s.with_tolerance(t))
            .collect(),
        None => candidates,
    };

    let mut first = None;
    for scheme in &candidates {
        let d = diagnose(scheme, &keys, &req, now);
        if d.verified() {
            print_verified(scheme, &d)?;
            return Ok(ExitCode::SUCCESS);
        }
        first.get_or_insert(d);
    }
    let Some(d) = first else {
        bail!("no scheme to verify with")
    };
    print_failure(&d, candidates.len())?;
    Ok(ExitCode::from(1))
}

fn print_verified(scheme: &Scheme, d: &Diagnosis) -> anyhow::Result<()> {
    let Ok(v) = &d.outcome else { return Ok(()) };
    say!("verified: scheme {}", scheme.name());
    print_fields(v)?;
    for f in &d.findings {
        say!("note: {}\n  {}", f.message, f.fix);
    }
    Ok(())
}

fn print_fields(v: &Verified) -> anyhow::Result<()> {
    if let Some(id) = &v.id {
        say!("  id:          {id}");
    }
    if let Some(t) = v.timestamp {
        let signed = if v.timestamp_signed {
            "signed"
        } else {
            "NOT covered by the signature"
        };
        say!(
            "  timestamp:   {} ({}, {signed})",
            t.secs(),
            hookline_sig::TimestampFormat::Rfc3339.format(UnixTime::from_secs(t.secs()))
        );
    }
    if let Some(e) = &v.event_type {
        say!("  event type:  {e}");
    }
    say!("  key:         #{}", v.key_index + 1);
    Ok(())
}

fn print_failure(d: &Diagnosis, tried: usize) -> anyhow::Result<()> {
    let Err(e) = &d.outcome else { return Ok(()) };
    let also = if tried > 1 {
        format!(" (and {} other detected scheme(s))", tried - 1)
    } else {
        String::new()
    };
    say!("NOT verified: scheme {}{also}: {e}", d.scheme);
    if d.findings.is_empty() {
        return Ok(());
    }
    say!("\nwhy:");
    for (i, f) in d.findings.iter().enumerate() {
        say!("  {}. {}\n     fix: {}", i + 1, f.message, f.fix);
    }
    Ok(())
}
