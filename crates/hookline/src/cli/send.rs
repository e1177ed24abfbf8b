//! `hookline send`: sign a body (as `hookline sign` does) and POST it in one step; with
//! `--count` a small load run with a latency summary.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use hookline_sig::Scheme;

use super::input::{self, KeyArgs, SchemeArgs};
use super::load::{Outcome, Summary};
use super::sign::{Inputs, sign_request};

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    scheme: SchemeArgs,
    #[command(flatten)]
    keys: KeyArgs,
    /// Where to POST.
    #[arg(long)]
    url: String,
    /// The body (default, or `-`: standard input).
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// An extra request header, `Name: value`. Repeatable. (Default content type:
    /// application/json.)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = input::parse_header)]
    headers: Vec<(String, String)>,
    /// Send the body as the payload of an event of this type, dressed as the scheme's
    /// provider sends it (see `hookline sign --event-type`).
    #[arg(long, value_name = "TYPE")]
    event_type: Option<String>,
    /// The message id (default: a fresh one per request, where the scheme has ids).
    #[arg(long)]
    id: Option<String>,
    /// Send this many requests (each signed afresh) and print a latency summary.
    #[arg(long, default_value_t = 1, value_name = "N")]
    count: usize,
    /// Requests in flight at once, with `--count`.
    #[arg(long, default_value_t = 1, value_name = "C")]
    concurrency: usize,
    /// Seconds before a request is given up.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
    /// With `--count`: the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// What every request shares.
struct Job {
    scheme: Scheme,
    keys: Vec<String>,
    body: Vec<u8>,
    url: String,
    headers: Vec<(String, String)>,
    event_type: Option<String>,
    id: Option<String>,
    http: reqwest::Client,
}

impl Job {
    /// Signs afresh (a new id and the current time) and builds the request.
    fn request(&self) -> anyhow::Result<reqwest::RequestBuilder> {
        let signed = sign_request(
            &self.scheme,
            &self.keys,
            &self.body,
            &Inputs {
                id: self.id.as_deref(),
                timestamp: input::time_or_now(None),
                url: Some(&self.url),
                event_type: self.event_type.as_deref(),
                delivery_key: None,
            },
        )?;
        let mut req = self.http.post(&self.url);
        if !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in signed.headers.iter().chain(&self.headers) {
            req = req.header(k, v);
        }
        Ok(req.body(signed.dressed.unwrap_or_else(|| self.body.clone())))
    }
}

pub(crate) fn run(a: &SendArgs) -> anyhow::Result<ExitCode> {
    if a.count == 0 || a.concurrency == 0 {
        anyhow::bail!("--count and --concurrency must be at least 1");
    }
    let scheme = a.scheme.load()?;
    super::sign::can_sign(&scheme)?;
    let job = Arc::new(Job {
        scheme,
        keys: a.keys.collect()?,
        body: input::read_body(a.body_file.as_ref())?,
        url: a.url.clone(),
        headers: a.headers.clone(),
        event_type: a.event_type.clone(),
        id: a.id.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(a.timeout))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the HTTP client")?,
    });
    // Fail on a bad scheme or key before any request goes out.
    let _ = job.request()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if a.count == 1 {
        return runtime.block_on(send_one(&job));
    }
    let summary = runtime.block_on(send_many(job, a.count, a.concurrency))?;
    if a.json {
        super::output::json(&summary.to_json())?;
    } else {
        say!("{summary}");
    }
    Ok(if summary.failed_total() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_API_ERROR)
    })
}

/// One request: the answer's status line, headers and body.
async fn send_one(job: &Job) -> anyhow::Result<ExitCode> {
    let resp =
        job.request()?
            .send()
            .await
            .map_err(|e| super::remote::RemoteError::Unreachable {
                what: format!("POST {}", job.url),
                reason: e.to_string(),
            })?;
    let status = resp.status();
    say!("{:?} {status}", resp.version());
    for (k, v) in resp.headers() {
        say!("{k}: {}", String::from_utf8_lossy(v.as_bytes()));
    }
    let body = resp.bytes().await.context("reading the answer")?;
    say!("");
    if !body.is_empty() {
        say!("{}", String::from_utf8_lossy(&body));
    }
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_API_ERROR)
    })
}

/// `count` requests, `concurrency` at a time; a progress line on stderr when it is a terminal.
async fn send_many(job: Arc<Job>, count: usize, concurrency: usize) -> anyhow::Result<Summary> {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let progress = std::io::stderr().is_terminal().then(|| {
        // At once, so even a run shorter than one tick says what it is doing.
        eprint!("\rsent 0/{count}");
        let done = done.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let n = done.load(Ordering::Relaxed);
                eprint!("\rsent {n}/{count}");
            }
        })
    });
    let mut workers = Vec::new();
    for _ in 0..concurrency.min(count) {
        let (job, next, done) = (job.clone(), next.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            let mut results = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let req = job.request()?;
                let t = Instant::now();
                let outcome = match req.send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        // The body is read so the connection can be reused.
                        let _ = resp.bytes().await;
                        Outcome::Status(status)
                    }
                    Err(_) => Outcome::NoAnswer,
                };
                results.push((outcome, t.elapsed()));
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(results)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for w in workers {
        all.extend(w.await.context("a sending task failed")??);
    }
    let elapsed = started.elapsed();
    if let Some(p) = progress {
        p.abort();
        eprint!("\r\x1b[K");
    }
    Ok(Summary::new(all, elapsed))
}
