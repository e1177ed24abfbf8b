//! Runs the `hookline` binary from async tests, each with a config directory of its own.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use crate::common::{ADMIN_TOKEN, TestApp, fresh_dir};

/// One user's shell: an empty `XDG_CONFIG_HOME`, and the environment variables given.
pub(crate) struct Shell {
    pub(crate) config_home: PathBuf,
    env: Vec<(String, String)>,
}

impl Shell {
    /// A user with no stored login.
    pub(crate) fn new() -> Shell {
        Shell {
            config_home: fresh_dir(),
            env: Vec::new(),
        }
    }

    /// A user with these environment variables and no stored login.
    pub(crate) fn with_env(vars: &[(&str, &str)]) -> Shell {
        let mut s = Shell::new();
        s.env
            .extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        s
    }

    /// A user whose `HOOKLINE_SERVER` and `HOOKLINE_TOKEN` point at `app` with the admin token.
    pub(crate) fn for_app(app: &TestApp) -> Shell {
        let mut s = Shell::new();
        s.env.push(("HOOKLINE_SERVER".into(), app.base.clone()));
        s.env.push(("HOOKLINE_TOKEN".into(), ADMIN_TOKEN.into()));
        s
    }

    /// Runs `hookline args...` with `stdin`, off the test's runtime (so a server on it keeps
    /// answering).
    pub(crate) async fn run(&self, args: &[&str], stdin: &[u8]) -> Out {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let stdin = stdin.to_vec();
        let env = self.env.clone();
        let home = self.config_home.clone();
        tokio::task::spawn_blocking(move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_hookline"))
                .args(&args)
                .env_remove("HOOKLINE_SERVER")
                .env_remove("HOOKLINE_TOKEN")
                .env("XDG_CONFIG_HOME", &home)
                .env("HOME", &home)
                .envs(env)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn hookline");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(&stdin)
                .expect("write stdin");
            Out(child.wait_with_output().expect("hookline ran"))
        })
        .await
        .expect("join")
    }

    /// Runs and asserts exit 0: the standard output.
    pub(crate) async fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args, b"").await;
        assert_eq!(o.code(), 0, "hookline {args:?}\n{o}");
        o.stdout()
    }

    /// Runs with `--json` and asserts exit 0: the JSON printed.
    pub(crate) async fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.ok(&a).await;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
}

/// A finished run.
pub(crate) struct Out(pub(crate) Output);

impl Out {
    pub(crate) fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub(crate) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }
}
