//! A minimal W3C WebDriver client over reqwest (already a dependency), for `browser.rs`:
//! the dozen commands the test uses. A client crate (fantoccini, thirtyfour) would bring its
//! own HTTP stack and the `webdriver` crate's tree for what is a few JSON requests here.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver, started on a free loopback port, and one headless Chromium session.
pub(crate) struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    _profile: std::path::PathBuf,
}

/// Where Debian installs them; `None` when they are not installed.
pub(crate) fn installed() -> Option<(String, String)> {
    let find = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("/usr/bin/{n}"))
            .find(|p| std::path::Path::new(p).exists())
    };
    Some((
        find(&["chromium", "chromium-browser"])?,
        find(&["chromedriver"])?,
    ))
}

impl Browser {
    pub(crate) async fn start(chromium: &str, chromedriver: &str) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile =
            std::env::temp_dir().join(format!("hookline-chromium-{}", hookline::ids::new_id("p")));
        // No outside network on this machine: nothing that phones home.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ];
        let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("json");
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_owned();
        Browser {
            driver,
            http,
            session: format!("{base}/session/{session}"),
            _profile: profile,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        // POSTs need a JSON body, if only `{}`.
        req = req.json(&body.unwrap_or_else(|| json!({})));
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        v["value"].clone()
    }

    async fn ok(&self, path: &str, body: Value) -> Value {
        let v = self.cmd(reqwest::Method::POST, path, Some(body)).await;
        assert!(v.get("error").is_none(), "{path}: {v}");
        v
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.ok("/url", json!({"url": url})).await;
    }

    pub(crate) async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching `css`, or `None`.
    pub(crate) async fn find(&self, css: &str) -> Option<String> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().map(str::to_owned)
    }

    pub(crate) async fn el(&self, css: &str) -> String {
        match self.find(css).await {
            Some(e) => e,
            None => {
                let src = self.cmd(reqwest::Method::GET, "/source", None).await;
                panic!("no element {css} in {src}")
            }
        }
    }

    pub(crate) async fn click(&self, css: &str) {
        let e = self.el(css).await;
        self.ok(&format!("/element/{e}/click"), json!({})).await;
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let e = self.el(css).await;
        self.ok(&format!("/element/{e}/clear"), json!({})).await;
        self.ok(&format!("/element/{e}/value"), json!({"text": text}))
            .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let e = self.el(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{e}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` (a function body; `arguments` as given) and returns what it returns;
    /// an async script's last argument is its callback.
    pub(crate) async fn run(&self, script: &str, asynchronous: bool) -> Value {
        let path = if asynchronous {
            "/execute/async"
        } else {
            "/execute/sync"
        };
        self.ok(path, json!({"script": script, "args": []})).await
    }

    /// Accepts the `confirm()` a destructive action asks (waiting for it to open).
    pub(crate) async fn accept_dialog(&self) {
        for _ in 0..50 {
            let v = self
                .cmd(reqwest::Method::POST, "/alert/accept", Some(json!({})))
                .await;
            if v.get("error").is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no dialog opened");
    }

    /// The page's visible text; `None` while a navigation has no document to read yet.
    async fn page_text(&self) -> Option<String> {
        let v = self
            .cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": "return document.body ? document.body.innerText : null;", "args": []})))
            .await;
        v.as_str().map(str::to_owned)
    }

    /// Waits until the page's text contains `needle` (at most 10 s), reloading as it goes
    /// when `reload` (for a result that the server produces in the background). A form
    /// just submitted may still be navigating: that is "not yet", not a failure.
    pub(crate) async fn wait_for_text(&self, needle: &str, reload: bool) {
        let mut last = None;
        for _ in 0..50 {
            last = self.page_text().await;
            if last.as_deref().is_some_and(|t| t.contains(needle)) {
                return;
            }
            if reload {
                let _ = self
                    .cmd(reqwest::Method::POST, "/refresh", Some(json!({})))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("page never showed {needle:?}: {last:?}");
    }

    /// Waits until the page's URL contains `needle`: for a navigation whose new page shows
    /// text the old one showed too.
    pub(crate) async fn wait_for_url(&self, needle: &str) {
        let mut last = String::new();
        for _ in 0..50 {
            last = self.url().await;
            if last.contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the URL never held {needle:?}: {last}");
    }

    pub(crate) async fn window_size(&self, width: u32, height: u32) {
        self.ok("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    /// A PNG of the window, into `path`.
    pub(crate) async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine as _;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64"))
            .expect("png");
        std::fs::write(path, png).expect("screenshot written");
    }

    pub(crate) async fn quit(mut self) {
        let _ = self.http.delete(&self.session).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}
