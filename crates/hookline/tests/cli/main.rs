//! The `hookline` binary, run as a user runs it.
//!
//! The helpers that run it are here; the tests, one file per command, are in `verify`,
//! `sign`, `schemes` and `serve`, and the refusals of bad input in `bad_input`.

mod bad_input;
mod schemes;
mod serve;
mod sign;
mod verify;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const STD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STD_HEADERS: [&str; 3] = [
    "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp: 1614265330",
    "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
];

fn hookline(args: &[&str], stdin: &[u8]) -> Output {
    hookline_env(args, stdin, &[])
}

fn hookline_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookline"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hookline");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("hookline ran")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hookline-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn verify_args<'a>(
    scheme: &'a str,
    secret: &'a str,
    headers: &[&'a str],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["verify", "--scheme", scheme, "--secret", secret];
    for h in headers {
        args.extend(["-H", h]);
    }
    args.extend(extra);
    args
}
