//! Verification speed: hookline-sig next to the raw HMAC-SHA256 of the same bytes (the
//! physical limit) and next to the `svix` and `standardwebhooks` crates, in one run.
//!
//! Run: `cargo bench -p hookline-sig --bench verify`. Results go in BENCHMARKS.md.

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hookline_sig::{Message, Request, UnixTime, presets};
use http::{HeaderMap, HeaderName, HeaderValue};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn header_map(headers: &[(String, String)]) -> HeaderMap {
    headers
        .iter()
        .map(|(k, v)| {
            let name =
                HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).expect("header name");
            (name, HeaderValue::from_str(v).expect("header value"))
        })
        .collect()
}

fn verify(c: &mut Criterion) {
    // The peers read the clock themselves, so sign with the real time.
    let now = UnixTime::from(SystemTime::now());
    for size in [1024usize, 64 * 1024] {
        let body: Vec<u8> = (0..size)
            .map(|i| b"{\"abcdefghijklmnopqrstuvwxyz\":0123456789}"[i % 40])
            .collect();
        let mut group = c.benchmark_group(format!("verify/{}KiB", size / 1024));
        group.throughput(Throughput::Bytes(size as u64));

        // The physical limit: one HMAC-SHA256 over the body, key already set up.
        let key_bytes = hookline_sig::KeyFormat {
            encoding: hookline_sig::KeyEncoding::Base64,
            prefix: Some("whsec_".into()),
        }
        .decode(SECRET)
        .expect("key");
        let raw_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key_bytes);
        group.bench_function("raw-hmac-sha256", |b| {
            b.iter(|| ring::hmac::sign(&raw_key, black_box(&body)))
        });

        for name in ["standard", "stripe", "github"] {
            let scheme = presets::by_name(name).expect("preset");
            let msg = Message {
                id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
                timestamp: now,
                body: &body,
                url: None,
            };
            let pairs = scheme.sign(&[SECRET], &msg).expect("signs");
            let headers = header_map(&pairs);
            let verifier = scheme.verifier(&[SECRET]).expect("verifier");
            assert!(verifier.verify(&Request::new(&headers, &body), now).is_ok());
            group.bench_function(BenchmarkId::new("hookline-sig", name), |b| {
                b.iter(|| {
                    verifier.verify(&Request::new(black_box(&headers), black_box(&body)), now)
                })
            });
            // The same with headers in a plain slice: what the header map's lookups cost.
            group.bench_function(BenchmarkId::new("hookline-sig-slice", name), |b| {
                b.iter(|| verifier.verify(&Request::new(black_box(&pairs), black_box(&body)), now))
            });
        }

        // The peers verify Standard Webhooks / Svix headers.
        let scheme = presets::by_name("svix").expect("preset");
        let msg = Message {
            id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
            timestamp: now,
            body: &body,
            url: None,
        };
        let svix_headers = header_map(&scheme.sign(&[SECRET], &msg).expect("signs"));
        let svix = svix::webhooks::Webhook::new(SECRET).expect("svix");
        assert!(svix.verify(&body, &svix_headers).is_ok());
        group.bench_function("svix-crate/standard", |b| {
            b.iter(|| svix.verify(black_box(&body), black_box(&svix_headers)))
        });

        let std_headers = header_map(
            &presets::by_name("standard")
                .expect("preset")
                .sign(&[SECRET], &msg)
                .expect("signs"),
        );
        let sw = standardwebhooks::Webhook::new(SECRET).expect("standardwebhooks");
        assert!(sw.verify(&body, &std_headers).is_ok());
        group.bench_function("standardwebhooks-crate/standard", |b| {
            b.iter(|| sw.verify(black_box(&body), black_box(&std_headers)))
        });
        group.finish();
    }
}

criterion_group!(benches, verify);
criterion_main!(benches);
