//! The real server on port 0 with a fresh data directory, and an HTTP client for it.

use std::path::PathBuf;

use hookline::config::{Config, Secret};
use hookline::server::Application;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

pub(crate) const ADMIN_TOKEN: &str = "hk_test-admin-token-0123456789abcdef";

pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) data_dir: PathBuf,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub(crate) fn fresh_dir() -> PathBuf {
    // The process id is in the name so that `pg::sweep` knows whose database it was.
    let dir = std::env::temp_dir().join(format!(
        "hookline-test-{}-{}",
        std::process::id(),
        hookline::ids::new_id("d")
    ));
    std::fs::create_dir_all(&dir).expect("data dir");
    dir
}

/// The configuration of a test server on `data_dir`: embedded SQLite, or, when the suite
/// runs on PostgreSQL (`HOOKLINE_TEST_POSTGRES`), a database of the directory's own.
pub(crate) fn config(data_dir: &std::path::Path) -> Config {
    let database_url =
        crate::pg::server_url().map(|server| crate::pg::database_for(&server, data_dir));
    Config {
        database_url: Secret::new(database_url),
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: data_dir.to_path_buf(),
        admin_token: Secret::new(Some(ADMIN_TOKEN.into())),
        // API tests run without the delivery engine, so nothing leaves the machine; the
        // delivery tests turn it on with loopback receivers.
        role: hookline::config::Role::Api,
        ..Config::default()
    }
}

/// Everything the server on `dir` has stored, as bytes, for tests that look for secrets in
/// the clear: the SQLite file and its WAL, or a `pg_dump` of the test's database.
pub(crate) fn stored_bytes(dir: &std::path::Path) -> Vec<u8> {
    match config(dir).database_url.expose() {
        Some(url) => {
            let out = std::process::Command::new("pg_dump")
                .args(["--data-only", url])
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
        None => {
            let mut bytes = std::fs::read(dir.join("hookline.db")).expect("db");
            bytes.extend(std::fs::read(dir.join("hookline.db-wal")).unwrap_or_default());
            bytes
        }
    }
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_with(config(&fresh_dir())).await
}

pub(crate) async fn spawn_with(config: Config) -> TestApp {
    let app = Application::build(&config).await.expect("server builds");
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run(async move {
        let _ = rx.await;
    }));
    TestApp {
        base,
        data_dir: config.data_dir.clone(),
        client: reqwest::Client::new(),
        token: ADMIN_TOKEN.into(),
        stop: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    /// Stops the server and waits until it has closed its database.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server ran cleanly");
        }
    }

    /// `GET /metrics` as text, with the admin token.
    pub(crate) async fn metrics_text(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the admin token.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_as(&self.token.clone(), method, path, body).await
    }

    pub(crate) async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        (status, json)
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Creates an application and returns its id.
    pub(crate) async fn create_app(&self, name: &str, uid: Option<&str>) -> String {
        let (s, v) = self
            .post("/api/v1/app", serde_json::json!({"name": name, "uid": uid}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().expect("id").to_owned()
    }
}

/// Starts `command` (a `hookline serve`) and waits for the line that says where it listens:
/// the child, for the caller to kill and reap, and its base URL.
// The child is handed to the caller; clippy cannot see that.
#[allow(clippy::zombie_processes)]
pub(crate) fn spawn_listening(
    command: &mut std::process::Command,
) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn hookline serve");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server exited before listening");
        }
        if let Some(addr) = line.trim().strip_prefix("Hookline listening on ") {
            return (child, addr.to_owned());
        }
    }
}
