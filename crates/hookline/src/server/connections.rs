//! The accept loop: HTTP/1.1 connections under a cap, each with the deadlines of
//! [`super::watchdog`], and a shutdown that ends within its grace.
//!
//! Why not `axum::serve`: it has no limits at all. A client that sends half a request, or
//! nothing, holds its connection (and a file descriptor) forever; at the descriptor limit
//! `accept` fails and nothing is logged; and its graceful shutdown waits for those
//! connections without end.
//!
//! - **Cap.** A semaphore of `max_connections` permits, one per open connection. Beyond it,
//!   a new connection is answered `503` with a JSON body and closed at once, without a task;
//!   refusals are counted in `/metrics` and logged at most once per [`LOG_EVERY`].
//! - **Before the first byte** a connection is only a socket and a small task: hyper (and
//!   its read and write buffers, 8 KiB each) is set up once the client has sent something.
//! - **Shutdown.** The listener closes; idle connections close at once, a request in
//!   progress is finished (a 2xx is only sent after the commit) and its connection closed;
//!   what is still open after `shutdown_grace` is dropped: a request not answered by then
//!   was not acknowledged, and its transaction rolls back.

use std::future::Future;
use std::io::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

use super::watchdog::{Activity, Check, Deadlines, Phase, TrackedIo, TrackedService};
use crate::metrics::Metrics;

/// Refusals and accept errors are logged at most this often, with a count.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(10);

/// After an accept error other than a connection's own (out of file descriptors, most
/// likely), the loop waits this long before accepting again, instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// hyper's read buffer grows up to this (its default is ~400 KiB). A head is at most this
/// big; bodies stream through it in pieces, so a larger body is still read.
const MAX_BUF: usize = 64 * 1024;

/// The limits on client connections.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) deadlines: Deadlines,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_grace: Duration,
}

/// What the connections are told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Running,
    /// Finish the request in progress, then close.
    Draining,
    /// Close now: the grace is over.
    Abort,
}

/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module).
pub(crate) async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(Stop::Running);
    let mut builder = http1::Builder::new();
    // The head deadline is the watchdog's (hyper's would also cut idle keep-alives short).
    builder.header_read_timeout(None).max_buf_size(MAX_BUF);
    let builder = Arc::new(builder);
    let refusal = refusal_response();
    let mut refusals = Tally::default();
    let mut accept_errors = Tally::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                metrics.accept_error();
                if let Some(n) = accept_errors.note(Instant::now()) {
                    tracing::error!(error = %e, errors = n, "accepting connections fails");
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let open = Open::new(permit, metrics.clone());
                tokio::spawn(connection(
                    stream,
                    router.clone(),
                    builder.clone(),
                    limits.deadlines,
                    stop_rx.clone(),
                    open,
                ));
            }
            Err(_) => {
                refuse(stream, &refusal);
                metrics.connection_refused();
                if let Some(n) = refusals.note(Instant::now()) {
                    tracing::warn!(
                        refused = n,
                        max_connections = limits.max_connections,
                        "connection cap reached: new connections are answered 503"
                    );
                }
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(Stop::Draining);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(limits.shutdown_grace, permits.acquire_many(all)).await;
    if drained.is_err() {
        let open = limits.max_connections - permits.available_permits();
        tracing::warn!(
            open,
            grace_ms = limits.shutdown_grace.as_millis() as u64,
            "shutdown grace over: closing the connections still open"
        );
        let _ = stop_tx.send(Stop::Abort);
        // Each task drops its connection as soon as it sees `Abort`.
        let _ = permits.acquire_many(all).await;
    }
}

/// One connection, from accept to close.
async fn connection(
    stream: TcpStream,
    router: axum::Router,
    builder: Arc<http1::Builder>,
    deadlines: Deadlines,
    mut stop: watch::Receiver<Stop>,
    open: Open,
) {
    let activity = Arc::new(Activity::new(Instant::now()));
    tokio::select! {
        ready = stream.readable() => if ready.is_err() { return },
        () = tokio::time::sleep(deadlines.header) => {
            open.metrics.connection_timed_out(Phase::Headers);
            return;
        }
        _ = stop.wait_for(|s| *s != Stop::Running) => return,
    }
    // hyper's state only now, and on the heap, so that a task still waiting for its
    // first byte does not carry it inline (no difference measured in RSS, though: see
    // BENCHMARKS.md, "Connections and memory").
    Box::pin(serve_http(
        stream, router, &builder, deadlines, stop, &open, activity,
    ))
    .await;
}

/// The HTTP part of [`connection`], once the client has sent something.
async fn serve_http(
    stream: TcpStream,
    router: axum::Router,
    builder: &http1::Builder,
    deadlines: Deadlines,
    mut stop: watch::Receiver<Stop>,
    open: &Open,
    activity: Arc<Activity>,
) {
    let io = TokioIo::new(TrackedIo::new(stream, activity.clone()));
    let conn = builder.serve_connection(io, TrackedService::new(router, activity.clone()));
    tokio::pin!(conn);
    if *stop.borrow_and_update() != Stop::Running {
        conn.as_mut().graceful_shutdown();
    }
    let look = tokio::time::sleep_until(Instant::now() + deadlines.recheck());
    tokio::pin!(look);
    loop {
        tokio::select! {
            served = conn.as_mut() => {
                // Errors here are the peer's: a reset, a malformed head (hyper answered 400).
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            () = &mut look => match activity.check(Instant::now(), &deadlines) {
                Check::Until(at) => look.as_mut().reset(at),
                Check::Expired(phase) => {
                    open.metrics.connection_timed_out(phase);
                    tracing::debug!(phase = phase.name(), "connection closed: deadline passed");
                    return;
                }
            },
            changed = stop.changed() => match changed.map(|()| *stop.borrow_and_update()) {
                Ok(Stop::Running) => {}
                Ok(Stop::Draining) => conn.as_mut().graceful_shutdown(),
                Ok(Stop::Abort) | Err(_) => return,
            },
        }
    }
}

/// An open connection: its permit, and its place in the `connections_open` gauge.
struct Open {
    _permit: OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
}

impl Open {
    fn new(permit: OwnedSemaphorePermit, metrics: Arc<Metrics>) -> Open {
        metrics.connection_opened();
        Open {
            _permit: permit,
            metrics,
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.metrics.connection_closed();
    }
}

/// The answer past the cap, in Svix's error shape.
fn refusal_response() -> Vec<u8> {
    let body = r#"{"code":"too_many_connections","detail":"the server has reached its limit of open connections; retry shortly"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers `503` and closes, without waiting for anything: the socket is fresh, so the
/// answer fits its send buffer. Whatever of the request has already arrived is read first,
/// because closing with unread data makes the kernel send a reset, which can overtake the
/// answer. Plain non-blocking calls on the std socket: tokio's `try_*` would not even try
/// before the reactor has reported the socket ready.
fn refuse(stream: TcpStream, answer: &[u8]) {
    let Ok(mut std) = stream.into_std() else {
        return;
    };
    let mut sink = [0u8; 4096];
    let _ = io::Read::read(&mut std, &mut sink);
    let _ = std.write(answer);
    let _ = std.shutdown(std::net::Shutdown::Write);
}

/// The cap that fits in the process's file-descriptor limit (`soft_limit`, when known),
/// leaving `reserve` descriptors for everything else: past the limit `accept` itself fails,
/// and the cap could never answer its 503.
pub(crate) fn cap_for_descriptors(
    configured: usize,
    soft_limit: Option<u64>,
    reserve: usize,
) -> usize {
    match soft_limit.and_then(|l| usize::try_from(l).ok()) {
        Some(limit) => configured.min(limit.saturating_sub(reserve)).max(1),
        None => configured,
    }
}

/// This process's soft limit of open files, from `/proc/self/limits` (Linux; `None`
/// elsewhere or when unlimited).
pub(crate) fn open_files_limit() -> Option<u64> {
    parse_open_files(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

fn parse_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The errors of one connection (it was reset before we took it): nothing to log.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Counts events and says when to log them: the first at once, then at most once per
/// [`LOG_EVERY`] with the number since the last line. Pure: time is the caller's.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    last: Option<Instant>,
    unlogged: u64,
}

impl Tally {
    /// Notes one event at `now`; returns the count to log, if a line is due.
    pub(crate) fn note(&mut self, now: Instant) -> Option<u64> {
        self.unlogged += 1;
        match self.last {
            Some(last) if now.saturating_duration_since(last) < LOG_EVERY => None,
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.unlogged))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_logged_once_per_period_with_their_count() {
        let t0 = Instant::now();
        let mut t = Tally::default();
        assert_eq!(t.note(t0), Some(1));
        for i in 1..1000 {
            assert_eq!(t.note(t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(t.note(t0 + LOG_EVERY), Some(1000));
        assert_eq!(t.note(t0 + LOG_EVERY + Duration::from_secs(1)), None);
    }

    #[test]
    fn the_cap_leaves_room_for_other_descriptors() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_open_files(limits), Some(1024));
        assert_eq!(
            parse_open_files("Max open files  unlimited  unlimited  files"),
            None
        );
        assert_eq!(cap_for_descriptors(4096, Some(1024), 400), 624);
        assert_eq!(cap_for_descriptors(100, Some(1024), 400), 100);
        assert_eq!(cap_for_descriptors(4096, Some(100), 400), 1);
        assert_eq!(cap_for_descriptors(4096, None, 400), 4096);
    }

    #[test]
    fn the_refusal_is_a_complete_http_response_with_a_json_body() {
        let r = String::from_utf8(refusal_response()).expect("utf8");
        let (head, body) = r.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["code"], "too_many_connections");
    }
}
