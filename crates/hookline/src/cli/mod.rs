//! Command-line parsing and the commands.
//!
//! Exit codes: 0 success, 1 a signature that did not verify, 2 bad usage or input, 3 the
//! connection to the server lost (`listen --exit-on-disconnect`).

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

mod input;
mod listen;
mod schemes;
mod serve;
mod sign;
mod verify;

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
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Sign(a) => sign::run(&a),
        Command::Verify(a) => verify::run(&a),
        Command::Schemes(a) => schemes::run(&a),
        Command::Serve(a) => serve::run(&a),
        Command::Listen(a) => listen::run(&a),
    }
}
