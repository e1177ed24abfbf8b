//! The loopback receiver deliveries go to: it counts them, and records each one's
//! send-to-receipt time when its payload carries `sentAt`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::measure::micros;

/// What the receiver saw: a count, and each message's send-to-receipt time (µs) when its
/// payload carries `sentAt`.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) count: AtomicU64,
    pub(crate) latencies: std::sync::Mutex<Vec<u64>>,
}

/// A receiver that counts what it gets.
pub(crate) async fn receiver(seen: Arc<Seen>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                seen.count.fetch_add(1, Ordering::Relaxed);
                // Only the latency phase's payloads carry `sentAt`: parse only those.
                if body.windows(9).any(|w| w == b"\"sentAt\":")
                    && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
                    && let Some(sent) = v.get("sentAt").and_then(serde_json::Value::as_u64)
                {
                    let mut l = seen
                        .latencies
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    l.push(micros().saturating_sub(sent));
                }
                axum::http::StatusCode::NO_CONTENT
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

/// Waits until `seen` has counted `n` (at most `limit`); returns the time since `from`.
pub(crate) async fn wait_for(seen: &Seen, n: u64, from: Instant, limit: Duration) -> f64 {
    while seen.count.load(Ordering::Relaxed) < n && from.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    from.elapsed().as_secs_f64()
}

/// `loadtest receive`: only the receiver, for `bench/acceptance.sh --deliver` (the server
/// and wrk in processes of their own). Prints its URL, then every 100 ms the count so far.
pub(crate) async fn receive_only() {
    let seen = Arc::new(Seen::default());
    println!("{}", receiver(seen.clone()).await);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        println!("{}", seen.count.load(Ordering::Relaxed));
    }
}
