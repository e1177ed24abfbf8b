//! Command-line parsing and the commands: one file per command (or command group).
//!
//! Exit codes, the same for every command:
//!
//! - 0: success.
//! - 1: a signature that did not verify (`verify`).
//! - 2: bad usage or input, or any other failure (a file not found, a bad flag).
//! - 3: an HTTP answer with an error status: the management API refused (its status, code
//!   and detail are printed; a 422 names the fields), or `send`'s target answered non-2xx
//!   (with `--count`: at least one did); `import` when an item failed.
//! - 4: no answer from the server (refused, reset, timed out), or the connection to it
//!   lost (`listen --exit-on-disconnect`).

/// `println!` that returns an error instead of panicking when stdout is closed (`| head`).
macro_rules! say {
    (nonl $($t:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($t)*)?;
    }};
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($t)*)?;
    }};
}

mod app;
mod attempt;
mod body;
mod completions;
mod config_file;
mod endpoint;
mod event_type;
mod health;
mod import;
mod input;
mod listen;
mod listen_routes;
mod load;
mod login;
mod message;
mod output;
mod remote;
mod schemes;
mod send;
mod serve;
mod sign;
mod source;
mod token;
mod trigger;
mod verify;

/// See the exit-code policy above.
pub(crate) const EXIT_API_ERROR: u8 = 3;
/// See the exit-code policy above.
pub(crate) const EXIT_UNREACHABLE: u8 = 4;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hookline: sign, verify and diagnose webhook signatures.
#[derive(Debug, Parser)]
#[command(name = "hookline", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a body: print the headers a sender attaches (or a ready curl command).
    Sign(sign::SignArgs),
    /// Verify a received webhook; on failure, say why and how to fix it.
    Verify(verify::VerifyArgs),
    /// List the built-in schemes, or show one as the TOML a custom scheme is written in.
    Schemes(schemes::SchemesArgs),
    /// Run the server: the Svix-compatible management API on embedded SQLite.
    Serve(serve::ServeArgs),
    /// Receive a server's events as they happen and forward them to a local URL.
    Listen(listen::ListenArgs),
    /// Sign a body and POST it in one step; `--count N` for a quick load with a summary.
    Send(send::SendArgs),
    /// Check a token against a server and store both for the commands below.
    Login(login::LoginArgs),
    /// Applications.
    App(app::AppArgs),
    /// Event types.
    EventType(event_type::EventTypeArgs),
    /// An application's endpoints, their secrets, headers, recovery and examples.
    Endpoint(endpoint::EndpointArgs),
    /// Messages: send one, list, show.
    Message(message::MessageArgs),
    /// Delivery attempts: the log, and resending.
    Attempt(attempt::AttemptArgs),
    /// Publish a test message built from an event type's example, with your overrides.
    Trigger(trigger::TriggerArgs),
    /// Copy applications, event types and endpoints from another server.
    Import(import::ImportArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Exit 0 when a server answers its health check (for container health checks).
    Health(health::HealthArgs),
    /// Admin tokens: create one per script or person, list, revoke.
    Token(token::TokenArgs),
    /// The inbound gateway's sources, the requests they received, replays.
    Source(source::SourceArgs),
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let result = match cli.command {
        Command::Sign(a) => sign::run(&a),
        Command::Verify(a) => verify::run(&a),
        Command::Schemes(a) => schemes::run(&a),
        Command::Serve(a) => serve::run(&a),
        Command::Listen(a) => listen::run(&a),
        Command::Send(a) => send::run(&a),
        Command::Login(a) => login::run(&a),
        Command::App(a) => app::run(&a),
        Command::EventType(a) => event_type::run(&a),
        Command::Endpoint(a) => endpoint::run(&a),
        Command::Message(a) => message::run(&a),
        Command::Attempt(a) => attempt::run(&a),
        Command::Trigger(a) => trigger::run(&a),
        Command::Import(a) => import::run(&a),
        Command::Completions(a) => completions::run(&a),
        Command::Health(a) => health::run(&a),
        Command::Token(a) => token::run(&a),
        Command::Source(a) => source::run(&a),
    };
    // A server's refusal or silence has exit codes of its own; everything else is main's 2.
    match result {
        Err(e) => match e.downcast_ref::<remote::RemoteError>() {
            Some(r) => {
                eprintln!("error: {e:#}");
                Ok(ExitCode::from(r.exit_code()))
            }
            None => Err(e),
        },
        ok => ok,
    }
}
