//! The `hookline` command. Thin: parse arguments, run the command, turn errors into one line
//! on stderr and an exit code.

use std::process::ExitCode;

use clap::Parser as _;

mod cli;

/// jemalloc, with a background thread that hands freed memory back to the system: after
/// thousands of connections close, glibc's malloc kept all of it (BENCHMARKS.md,
/// "Connections and memory").
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        // A reader that went away (`hookline schemes | head`) is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
