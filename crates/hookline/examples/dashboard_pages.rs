//! How long the dashboard's pages take to render with many attempts stored (not a timed
//! test): a server on embedded SQLite (or PostgreSQL with `HOOKLINE_BENCH_POSTGRES` set to
//! a database URL), then each page fetched 20 times, signed in, and its time reported
//! (median, p95), after a first fetch reported on its own (the overview's first view
//! counts the window's closed minutes into the rollup).
//!
//! Two ways to fill it:
//! - `dashboard_pages -- deliver [messages]` (default 20,000): messages sent through the
//!   API and delivered to a loopback receiver that fails one in ten, as in production;
//! - `dashboard_pages -- seed [attempts] [hours]` (default 1,000,000 over the last 168
//!   hours): an application and its endpoint made through the API, then that many
//!   messages, deliveries and attempts (one in ten failed, or one in
//!   `HOOKLINE_BENCH_FAIL_EVERY`) written straight into the
//!   database in bulk, spread evenly over the window, plus a quiet second application
//!   with one attempt in a thousand (its delivery log must not read the others').
//!
//! Run: `cargo run --release -p hookline --example dashboard_pages -- seed 1000000`.
//! Results go in BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hookline::config::{Config, Role, Secret};
use hookline::server::Application;
use serde_json::{Value, json};

#[path = "dashboard_pages/seed.rs"]
mod seed;

const TOKEN: &str = "hk_dashboard-bench-0123456789abcdef";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("deliver", String::as_str);
    let num = |i: usize, default: u64| {
        args.get(i)
            .and_then(|a| a.replace('_', "").parse().ok())
            .unwrap_or(default)
    };
    let dir = std::env::temp_dir().join(format!(
        "hookline-dash-bench-{}",
        hookline::ids::new_id("d")
    ));
    let pg = std::env::var("HOOKLINE_BENCH_POSTGRES").ok();
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.clone(),
        admin_token: Secret::new(Some(TOKEN.into())),
        database_url: Secret::new(pg.clone()),
        role: Role::All,
        ssrf_allow: vec!["127.0.0.0/8".parse().expect("subnet")],
        retry_schedule: vec![],
        ..Config::default()
    };
    let app = Application::build(&config).await.expect("server builds");
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(async move {
        let _ = stopped.await;
    }));
    let seen = Arc::new(AtomicU64::new(0));
    let hook = receiver(seen.clone()).await;
    let http = reqwest::Client::new();
    let api = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let mut eps = Vec::new();
    for uid in ["bench", "quiet"] {
        let made: Value = api("/api/v1/app", json!({"name": uid, "uid": uid}))
            .await
            .expect("app")
            .json()
            .await
            .expect("json");
        let ep: Value = api(&format!("/api/v1/app/{uid}/endpoint"), json!({"url": hook}))
            .await
            .expect("ep")
            .json()
            .await
            .expect("json");
        eps.push((
            made["id"].as_str().expect("id").to_owned(),
            ep["id"].as_str().expect("id").to_owned(),
        ));
    }
    let ep_id = eps[0].1.clone();

    let started = Instant::now();
    if mode == "seed" {
        let n = num(1, 1_000_000);
        let hours = i64::try_from(num(2, 168)).unwrap_or(168);
        let now = hookline::now_millis();
        let fail_every = std::env::var("HOOKLINE_BENCH_FAIL_EVERY")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&v| v > 0)
            .unwrap_or(10);
        let rows = seed::plan(&eps, n, now - hours * 3_600_000, now - 1_000, fail_every);
        match &pg {
            Some(url) => seed::postgres(url, &rows, &hook).await,
            None => seed::sqlite(&dir.join("hookline.db"), &rows, &hook),
        }
        println!(
            "{n} attempts seeded over {hours} h in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        let n = num(1, 20_000);
        deliver(&http, &base, n, &seen).await;
        println!(
            "{n} messages delivered ({} attempts) in {:.1} s",
            seen.load(Ordering::Relaxed),
            started.elapsed().as_secs_f64()
        );
    }

    let cookie = sign_in(&http, &base).await;
    let first_of = |query: &str| {
        let url = format!("{base}/api/v1/app/bench/attempt/endpoint/{ep_id}?{query}");
        let http = http.clone();
        async move {
            let v: Value = http
                .get(url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("attempts")
                .json()
                .await
                .expect("json");
            v
        }
    };
    let list = first_of("limit=1").await;
    let a = &list["data"][0];
    let (msg, att) = (
        a["msgId"].as_str().expect("msg").to_owned(),
        a["id"].as_str().expect("id").to_owned(),
    );
    let deep = first_of("limit=250&status=2").await;
    let deep_cursor = deep["iterator"].as_str().unwrap_or_default().to_owned();
    let pages = [
        ("overview, last hour".to_owned(), "/".to_owned()),
        ("overview, last day".into(), "/?range=day".into()),
        ("overview, last week".into(), "/?range=week".into()),
        ("application".into(), "/app/bench".into()),
        ("endpoint".into(), format!("/app/bench/endpoint/{ep_id}")),
        (
            "delivery log (whole application)".into(),
            "/app/bench/log".into(),
        ),
        (
            "delivery log, failed only".into(),
            "/app/bench/log?status=2".into(),
        ),
        (
            "delivery log, failed, page 6+".into(),
            format!("/app/bench/log?status=2&iterator={deep_cursor}"),
        ),
        (
            "delivery log, quiet application".into(),
            "/app/quiet/log".into(),
        ),
        ("message".into(), format!("/app/bench/msg/{msg}")),
        (
            "attempt".into(),
            format!("/app/bench/msg/{msg}/attempt/{att}"),
        ),
    ];
    println!("| page | first ms | median ms | p95 ms |\n|---|---:|---:|---:|");
    for (name, path) in pages {
        let mut ms = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            let resp = http
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("page");
            assert_eq!(resp.status(), 200, "{path}");
            let _ = resp.bytes().await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let first = ms.remove(0);
        ms.sort_by(f64::total_cmp);
        println!(
            "| {name} | {first:.1} | {:.1} | {:.1} |",
            ms[ms.len() / 2],
            ms[ms.len() * 95 / 100]
        );
    }
    let _ = stop.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Sends `n` messages through the API (32 at a time) and waits for their delivery.
async fn deliver(http: &reqwest::Client, base: &str, n: u64, seen: &AtomicU64) {
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    for _ in 0..32 {
        let (http, base, next) = (http.clone(), base.to_owned(), next.clone());
        senders.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let _ = http
                    .post(format!("{base}/api/v1/app/bench/msg"))
                    .bearer_auth(TOKEN)
                    .json(&json!({"eventType": "invoice.paid", "payload": {"n": 1, "note": "<b>x</b>"}}))
                    .send()
                    .await;
            }
        }));
    }
    for s in senders {
        let _ = s.await;
    }
    while seen.load(Ordering::Relaxed) < n && started.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The last attempts are written just after their responses.
    tokio::time::sleep(Duration::from_secs(2)).await;
}

/// Signs in as the browser does: the double-submit token, then the token; the cookie.
async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let resp = http
        .get(format!("{base}/sign-in"))
        .send()
        .await
        .expect("sign-in page");
    let pre = resp.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let page = resp.text().await.expect("text");
    let at = page.find(r#"name="csrf" value=""#).expect("csrf") + 19;
    let csrf = page[at..].split('"').next().expect("value");
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = no_redirect
        .post(format!("{base}/sign-in"))
        .header("cookie", pre)
        .form(&[("csrf", csrf), ("token", TOKEN)])
        .send()
        .await
        .expect("sign in");
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("hl_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

/// A loopback receiver answering 200, and 500 to one request in ten.
async fn receiver(seen: Arc<AtomicU64>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                if seen.fetch_add(1, Ordering::Relaxed) % 10 == 9 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
