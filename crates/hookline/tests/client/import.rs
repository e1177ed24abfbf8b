//! `hookline import svix` between two real servers: one plays Svix (Hookline speaks its API),
//! the other receives. Everything copied, secrets and headers included; a second run changes
//! nothing; a change on the source is carried over as an update.

use serde_json::{Value, json};

use crate::common::{ADMIN_TOKEN, TestApp, spawn_app};
use crate::run::Shell;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn seed(src: &TestApp) {
    let (s, v) = src
        .post(
            "/api/v1/event-type",
            json!({"name": "invoice.paid", "description": "Paid", "schemas": {"1": {"examples": [{"a": 1}]}}}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    src.post(
        "/api/v1/event-type",
        json!({"name": "invoice.voided", "description": "Voided"}),
    )
    .await;
    let (s, v) = src
        .post(
            "/api/v1/app",
            json!({"name": "Billing", "uid": "billing", "throttleRate": 20, "metadata": {"team": "pay"}}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    // An application without a uid: matched by name on re-runs.
    src.create_app("No uid", None).await;
    let (s, v) = src
        .post(
            "/api/v1/app/billing/endpoint",
            json!({
                "url": "https://hooks.example.com/billing", "uid": "main", "description": "Main",
                "filterTypes": ["invoice.paid"], "channels": ["eu"], "rateLimit": 10,
                "metadata": {"k": "v"}, "secret": SECRET,
                "headers": {"X-Team": "billing", "Authorization": "Bearer hidden"}
            }),
        )
        .await;
    assert!(s.is_success(), "{v}");
    // Without a uid: matched by URL.
    let (s, v) = src
        .post(
            "/api/v1/app/billing/endpoint",
            json!({"url": "https://hooks.example.com/other"}),
        )
        .await;
    assert!(s.is_success(), "{v}");
}

fn summary_line<'a>(out: &'a str, kind: &str) -> Vec<&'a str> {
    out.lines()
        .find(|l| l.starts_with(kind))
        .unwrap_or_else(|| panic!("no {kind} line: {out}"))
        .trim_start_matches(kind)
        .split_whitespace()
        .collect()
}

#[tokio::test]
async fn import_copies_everything_and_is_idempotent() {
    let src = spawn_app().await;
    let dst = spawn_app().await;
    seed(&src).await;
    let sh = Shell::for_app(&dst);
    let args = [
        "import",
        "svix",
        "--from",
        &src.base,
        "--from-token",
        ADMIN_TOKEN,
    ];

    let o = sh.run(&args, b"").await;
    assert_eq!(o.code(), 0, "{o}");
    let out = o.stdout();
    assert_eq!(
        summary_line(&out, "event types"),
        ["2", "0", "0", "0"],
        "{out}"
    );
    assert_eq!(summary_line(&out, "apps"), ["2", "0", "0", "0"], "{out}");
    assert_eq!(
        summary_line(&out, "endpoints"),
        ["2", "0", "0", "0"],
        "{out}"
    );
    // The header whose value the API hides is named as not copied.
    assert!(o.stderr().contains("Authorization"), "{o}");

    let (_, app) = dst.get("/api/v1/app/billing").await;
    assert_eq!(
        (app["name"].as_str(), app["throttleRate"].as_u64()),
        (Some("Billing"), Some(20))
    );
    assert_eq!(app["metadata"], json!({"team": "pay"}));
    let (_, et) = dst.get("/api/v1/event-type/invoice.paid").await;
    assert_eq!(et["schemas"], json!({"1": {"examples": [{"a": 1}]}}));
    let (_, ep) = dst.get("/api/v1/app/billing/endpoint/main").await;
    assert_eq!(ep["url"], "https://hooks.example.com/billing");
    assert_eq!(ep["filterTypes"], json!(["invoice.paid"]));
    assert_eq!(ep["channels"], json!(["eu"]));
    assert_eq!(ep["throttleRate"], 10);
    assert_eq!(ep["description"], "Main");
    assert_eq!(ep["metadata"], json!({"k": "v"}));
    let (_, key) = dst.get("/api/v1/app/billing/endpoint/main/secret").await;
    assert_eq!(key["key"], SECRET);
    let (_, headers) = dst.get("/api/v1/app/billing/endpoint/main/headers").await;
    assert_eq!(headers["headers"], json!({"X-Team": "billing"}));
    // The other endpoint's secret: the one the source made, not a new one.
    let (_, list) = src.get("/api/v1/app/billing/endpoint").await;
    let other = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["uid"].is_null())
        .expect("other")
        .clone();
    let (_, src_key) = src
        .get(&format!(
            "/api/v1/app/billing/endpoint/{}/secret",
            other["id"].as_str().expect("id")
        ))
        .await;
    let (_, dlist) = dst.get("/api/v1/app/billing/endpoint").await;
    let dother: &Value = dlist["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["uid"].is_null())
        .expect("other");
    let (_, dst_key) = dst
        .get(&format!(
            "/api/v1/app/billing/endpoint/{}/secret",
            dother["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(src_key["key"], dst_key["key"]);

    // Again: nothing new, nothing changed.
    let o = sh.run(&args, b"").await;
    assert_eq!(o.code(), 0, "{o}");
    let out = o.stdout();
    for kind in ["event types", "apps", "endpoints"] {
        assert_eq!(summary_line(&out, kind)[..2], ["0", "0"], "{kind}: {out}");
        assert_eq!(summary_line(&out, kind)[3], "0", "{kind}: {out}");
    }
    let (_, apps) = dst.get("/api/v1/app").await;
    assert_eq!(
        apps["data"].as_array().map(Vec::len),
        Some(2),
        "no duplicates: {apps}"
    );

    // A change on the source (fields, a header, the secret) is an update, not a duplicate.
    src.call(
        reqwest::Method::PATCH,
        "/api/v1/app/billing/endpoint/main",
        Some(json!({"description": "Changed", "filterTypes": ["invoice.paid", "invoice.voided"]})),
    )
    .await;
    src.call(
        reqwest::Method::PATCH,
        "/api/v1/app/billing/endpoint/main/headers",
        Some(json!({"headers": {"X-Team": "finance"}})),
    )
    .await;
    let new_secret = "whsec_bmV3LXNlY3JldC1mb3ItdGhlLWltcG9ydC10ZXN0";
    src.post(
        "/api/v1/app/billing/endpoint/main/secret/rotate",
        json!({"key": new_secret}),
    )
    .await;
    let o = sh.run(&args, b"").await;
    assert_eq!(o.code(), 0, "{o}");
    assert_eq!(
        summary_line(&o.stdout(), "endpoints"),
        ["0", "1", "1", "0"],
        "{o}"
    );
    let (_, ep) = dst.get("/api/v1/app/billing/endpoint/main").await;
    assert_eq!(ep["description"], "Changed");
    assert_eq!(ep["filterTypes"], json!(["invoice.paid", "invoice.voided"]));
    let (_, headers) = dst.get("/api/v1/app/billing/endpoint/main/headers").await;
    assert_eq!(headers["headers"]["X-Team"], "finance");
    let (_, key) = dst.get("/api/v1/app/billing/endpoint/main/secret").await;
    assert_eq!(key["key"], new_secret);

    // A source that refuses the token: exit 3, the status shown.
    let o = sh
        .run(
            &[
                "import",
                "svix",
                "--from",
                &src.base,
                "--from-token",
                "hk_wrong",
            ],
            b"",
        )
        .await;
    assert_eq!(o.code(), 3, "{o}");
    assert!(o.stderr().contains("401"), "{o}");
    src.stop().await;
    dst.stop().await;
}
