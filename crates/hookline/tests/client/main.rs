//! The client commands (`send`, `login`, the management commands, `trigger`, `import svix`,
//! `completions`) run as a user runs them: the real `hookline` binary against the real server
//! on port 0 (SQLite, or PostgreSQL with `HOOKLINE_TEST_POSTGRES`), real receivers on
//! loopback, and a config directory of each test's own (`XDG_CONFIG_HOME`).

// The API suite's harness, shared as is; this suite uses part of it.
#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../api/pg.rs"]
mod pg;
#[allow(dead_code)]
#[path = "../api/receiver.rs"]
mod receiver;

mod import;
mod login;
mod manage;
mod run;
mod send;
mod trigger;
