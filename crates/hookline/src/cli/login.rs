//! `hookline login`: check a token against a server, then store both for the other commands.

use std::io::{BufRead as _, IsTerminal as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::config_file::{self, Stored};
use super::output::block_on;
use super::remote::{Client, RemoteError};
use reqwest::StatusCode;

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8071.
    #[arg(long, env = "HOOKLINE_SERVER", value_name = "URL")]
    server: String,
    /// The API token (default: read from standard input, which keeps it out of shell history).
    #[arg(
        long,
        env = "HOOKLINE_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
}

pub(crate) fn run(a: &LoginArgs) -> anyhow::Result<ExitCode> {
    let token = match &a.token {
        Some(t) => t.clone(),
        None => {
            if std::io::stdin().is_terminal() {
                eprint!("API token: ");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the token from standard input")?;
            line.trim().to_owned()
        }
    };
    if token.is_empty() {
        anyhow::bail!("no token: give --token, HOOKLINE_TOKEN or one line on standard input");
    }
    let client = Client::new(&a.server, &token)?;
    // Any authenticated read proves the token; listing one application is the cheapest. A
    // 403 is a valid token limited to one application (an app-portal token): kept, and said.
    let limited = block_on(async {
        match client.get("/app?limit=1").await {
            Ok(_) => Ok(false),
            Err(RemoteError::Api { status, .. }) if status == StatusCode::FORBIDDEN => Ok(true),
            Err(e) => Err(e.into()),
        }
    })?;
    if limited {
        eprintln!(
            "note: this token is valid but cannot list applications (an application's token)"
        );
    }
    let path = config_file::save(&Stored {
        server: client.base().to_owned(),
        token,
    })?;
    say!(
        "logged in to {}; saved in {}",
        client.base(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
