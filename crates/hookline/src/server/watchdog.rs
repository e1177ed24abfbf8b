//! The deadlines of one client connection: for a request's head, for its body, and for the
//! wait between requests on a kept-alive connection.
//!
//! Why not hyper's `header_read_timeout`: in hyper 1.x its timer starts as soon as hyper
//! waits for a request, on a new connection and again after each response, so it bounds the
//! idle wait and the head together; a 10 s head deadline would then close every kept-alive
//! connection after 10 s of quiet. Here the phases are told apart, as Go's `IdleTimeout`
//! and `ReadHeaderTimeout` do: a connection is [`Phase::Idle`] between a response and the
//! first byte of the next request, then [`Phase::Headers`] until its head is parsed.
//!
//! Three small wrappers report the phase changes into one [`Activity`] per connection: the
//! socket (a byte read while idle starts a head), the service (a parsed head starts the
//! body) and the two bodies (the end of the request body, the drop of the response body).
//! They cost an atomic store per change and one clock read per request; no timer is set
//! per request. The connection's task sleeps until the current phase's deadline and looks
//! again ([`Activity::check`]).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Where a connection is in its request cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for a request's head to be complete: from the connection's start, or on a
    /// kept-alive connection from the first byte of the next request.
    Headers = 0,
    /// The head is parsed; the body is still arriving.
    Body = 1,
    /// The request is read: the handler runs, or its response is being written. No
    /// deadline: what the handler waits for (the store) has its own timeouts.
    Handling = 2,
    /// Between a response and the first byte of the next request.
    Idle = 3,
}

impl Phase {
    fn from_bits(bits: u64) -> Phase {
        match bits & 0b11 {
            0 => Phase::Headers,
            1 => Phase::Body,
            2 => Phase::Handling,
            _ => Phase::Idle,
        }
    }

    /// The name used in logs and in `/metrics`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Phase::Headers => "headers",
            Phase::Body => "body",
            Phase::Handling => "handling",
            Phase::Idle => "idle",
        }
    }
}

/// The time each phase may last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deadlines {
    pub(crate) header: Duration,
    pub(crate) body: Duration,
    pub(crate) idle: Duration,
}

impl Deadlines {
    fn of(&self, phase: Phase) -> Option<Duration> {
        match phase {
            Phase::Headers => Some(self.header),
            Phase::Body => Some(self.body),
            Phase::Handling => None,
            Phase::Idle => Some(self.idle),
        }
    }

    /// The longest the watchdog sleeps between looks: the shortest deadline, so that a
    /// phase entered meanwhile (a body with a shorter deadline than the head before it)
    /// cannot run out before the next look.
    pub(crate) fn recheck(&self) -> Duration {
        self.header.min(self.body).min(self.idle)
    }
}

/// What [`Activity::check`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Nothing has run out: look again at this instant.
    Until(Instant),
    /// This phase outlasted its deadline: the connection is to be closed.
    Expired(Phase),
}

/// The phase of one connection and when it began, shared by the wrappers below and the
/// connection's task. One word holds both (milliseconds since `origin`, shifted, and the
/// phase in the two low bits), so a reader never sees one without the other. Everything
/// touching it runs in the connection's own task: `Relaxed` is enough.
#[derive(Debug)]
pub(crate) struct Activity {
    origin: Instant,
    state: AtomicU64,
}

impl Activity {
    /// A new connection: waiting for its first head since `now`.
    pub(crate) fn new(now: Instant) -> Activity {
        Activity {
            origin: now,
            state: AtomicU64::new(Phase::Headers as u64),
        }
    }

    pub(crate) fn enter(&self, phase: Phase, now: Instant) {
        let ms = u64::try_from(now.saturating_duration_since(self.origin).as_millis())
            .unwrap_or(u64::MAX >> 2);
        self.state.store((ms << 2) | phase as u64, Relaxed);
    }

    fn load(&self) -> (Phase, Instant) {
        let bits = self.state.load(Relaxed);
        (
            Phase::from_bits(bits),
            self.origin + Duration::from_millis(bits >> 2),
        )
    }

    pub(crate) fn phase(&self) -> Phase {
        self.load().0
    }

    /// Whether the current phase has outlasted its deadline at `now`, and if not, when to
    /// look again: at its deadline, or sooner (see [`Deadlines::recheck`]). Pure: time is
    /// the caller's.
    pub(crate) fn check(&self, now: Instant, deadlines: &Deadlines) -> Check {
        let (phase, since) = self.load();
        let next = now + deadlines.recheck();
        match deadlines.of(phase) {
            None => Check::Until(next),
            Some(limit) if since + limit <= now => Check::Expired(phase),
            Some(limit) => Check::Until(next.min(since + limit)),
        }
    }

    fn byte_read(&self) {
        if self.phase() == Phase::Idle {
            self.enter(Phase::Headers, Instant::now());
        }
    }

    fn body_read(&self) {
        if self.phase() == Phase::Body {
            self.enter(Phase::Handling, Instant::now());
        }
    }
}

/// The client's socket: a byte read while idle starts the next request's head.
pub(crate) struct TrackedIo<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> TrackedIo<T> {
    pub(crate) fn new(inner: T, activity: Arc<Activity>) -> Self {
        TrackedIo { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TrackedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.byte_read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TrackedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The router as hyper's service: a parsed head moves the connection to [`Phase::Body`]
/// (or straight to [`Phase::Handling`] when there is no body).
#[derive(Clone)]
pub(crate) struct TrackedService {
    router: axum::Router,
    activity: Arc<Activity>,
}

impl TrackedService {
    pub(crate) fn new(router: axum::Router, activity: Arc<Activity>) -> Self {
        TrackedService { router, activity }
    }
}

impl hyper::service::Service<Request<Incoming>> for TrackedService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = TrackedFuture;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let phase = if req.body().is_end_stream() {
            Phase::Handling
        } else {
            Phase::Body
        };
        self.activity.enter(phase, Instant::now());
        let activity = self.activity.clone();
        let req = req.map(|inner| RequestBody {
            inner,
            activity: activity.clone(),
        });
        // `Router` is always ready (its `poll_ready` returns `Ready` at once), as
        // `axum::serve` relies on too.
        let inner = tower_service::Service::call(&mut self.router.clone(), req);
        TrackedFuture { inner, activity }
    }
}

pin_project_lite::pin_project! {
    /// The router's future, whose response body reports the end of the request.
    pub(crate) struct TrackedFuture {
        #[pin]
        inner: axum::routing::future::RouteFuture<Infallible>,
        activity: Arc<Activity>,
    }
}

impl Future for TrackedFuture {
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        this.inner.poll(cx).map(|result| {
            result.map(|resp| {
                resp.map(|inner| ResponseBody {
                    inner,
                    activity: this.activity.clone(),
                })
            })
        })
    }
}

/// The request body: its end (or its drop, by a handler that did not read it) ends
/// [`Phase::Body`].
pub(crate) struct RequestBody {
    inner: Incoming,
    activity: Arc<Activity>,
}

impl HttpBody for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None | Some(Err(_))) => this.activity.body_read(),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.activity.body_read(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        self.activity.body_read();
    }
}

/// The response body: hyper drops it once written, and the connection is idle from then.
pub(crate) struct ResponseBody {
    inner: Body,
    activity: Arc<Activity>,
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        self.activity.enter(Phase::Idle, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Deadlines = Deadlines {
        header: Duration::from_secs(10),
        body: Duration::from_secs(30),
        idle: Duration::from_secs(75),
    };

    #[test]
    fn each_phase_runs_out_after_its_own_deadline() {
        let t0 = Instant::now();
        let a = Activity::new(t0);
        assert_eq!(a.check(t0, &D), Check::Until(t0 + D.header));
        assert_eq!(a.check(t0 + D.header, &D), Check::Expired(Phase::Headers));
        let t1 = t0 + Duration::from_secs(3);
        a.enter(Phase::Body, t1);
        // Not yet out: look again within the shortest deadline, or at the phase's own.
        assert_eq!(a.check(t0 + D.header, &D), Check::Until(t0 + D.header * 2));
        assert_eq!(
            a.check(t1 + D.body - Duration::from_secs(1), &D),
            Check::Until(t1 + D.body)
        );
        assert_eq!(a.check(t1 + D.body, &D), Check::Expired(Phase::Body));
        let t2 = t1 + Duration::from_secs(5);
        a.enter(Phase::Idle, t2);
        assert_eq!(a.check(t2 + D.header, &D), Check::Until(t2 + D.header * 2));
        assert_eq!(a.check(t2 + D.idle, &D), Check::Expired(Phase::Idle));
    }

    #[test]
    fn a_shorter_phase_entered_between_looks_is_not_missed() {
        let d = Deadlines {
            header: Duration::from_secs(5),
            body: Duration::from_secs(1),
            idle: Duration::from_secs(60),
        };
        let t0 = Instant::now();
        let a = Activity::new(t0);
        let Check::Until(next) = a.check(t0, &d) else {
            panic!("not expired")
        };
        // The head arrives just after that look; its body deadline is 1 s later.
        a.enter(Phase::Body, t0 + Duration::from_millis(10));
        assert!(next <= t0 + Duration::from_millis(1010), "{:?}", next - t0);
    }

    #[test]
    fn handling_has_no_deadline_but_is_looked_at_again_within_the_shortest() {
        let t0 = Instant::now();
        let a = Activity::new(t0);
        a.enter(Phase::Handling, t0);
        let late = t0 + Duration::from_secs(3600);
        assert_eq!(a.check(late, &D), Check::Until(late + D.header));
    }

    #[test]
    fn only_an_idle_connection_starts_a_head_on_a_byte_and_only_a_body_ends_on_its_end() {
        let t0 = Instant::now();
        let a = Activity::new(t0);
        a.enter(Phase::Handling, t0);
        a.byte_read();
        assert_eq!(a.phase(), Phase::Handling);
        a.enter(Phase::Idle, t0);
        a.byte_read();
        assert_eq!(a.phase(), Phase::Headers);
        // A request body dropped after its response must not take an idle connection
        // out of the idle deadline.
        a.enter(Phase::Idle, t0);
        a.body_read();
        assert_eq!(a.phase(), Phase::Idle);
        a.enter(Phase::Body, t0);
        a.body_read();
        assert_eq!(a.phase(), Phase::Handling);
    }
}
