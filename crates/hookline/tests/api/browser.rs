//! The dashboard in a real browser: Debian's headless Chromium driven over WebDriver
//! against the real server (delivery engine on) and a loopback receiver. Saves screenshots
//! of the main pages into `docs/screenshots/` (the README shows them).
//!
//! Skipped, loudly, when Chromium is not installed, unless `HOOKLINE_REQUIRE_BROWSER` is
//! set (CI sets it, and installs `chromium` and `chromium-driver`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{ADMIN_TOKEN, config, fresh_dir, spawn_with};
use crate::receiver::Receiver;
use crate::webdriver::{Browser, installed};

async fn secret(app: &crate::common::TestApp, path: &str) -> String {
    app.get(path).await.1["key"]
        .as_str()
        .expect("key")
        .to_owned()
}

#[tokio::test]
async fn an_operator_and_a_customer_use_the_dashboard_in_chromium() {
    let Some((chromium, driver)) = installed() else {
        assert!(
            std::env::var_os("HOOKLINE_REQUIRE_BROWSER").is_none(),
            "HOOKLINE_REQUIRE_BROWSER is set but chromium or chromedriver is missing"
        );
        eprintln!(
            "\n*** SKIPPED the browser test: install `chromium chromium-driver` to run it ***\n"
        );
        return;
    };
    let mut c = config(&fresh_dir());
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.role = hookline::config::Role::All;
    c.delivery_timeout = Duration::from_secs(5);
    let app = spawn_with(c).await;
    let rx = Receiver::start(&[]).await;
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");

    // An application with an endpoint subscribed to invoice.paid, and a delivered message
    // whose payload tries to run a script.
    for (name, example) in [
        ("invoice.paid", json!({"invoiceId": "in_example"})),
        ("user.created", json!({"userId": "u_1"})),
    ] {
        let (s, v) = app
            .post(
                "/api/v1/event-type",
                json!({"name": name, "description": format!("{name} happened"),
                "schemas": {"1": {"type": "object", "examples": [example]}}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let app_id = app.create_app("Acme", Some("acme")).await;
    let other = app.create_app("Globex", None).await;
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": rx.url, "eventTypes": ["invoice.paid"], "description": "billing"}),
        )
        .await;
    let ep_id = ep["id"].as_str().expect("id").to_owned();
    let xss = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
    let (_, msg) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "invoice.paid", "payload": {"note": xss}}),
        )
        .await;
    let msg_id = msg["id"].as_str().expect("id").to_owned();
    rx.wait_for(1).await;

    let b = Browser::start(&chromium, &driver).await;
    let base = app.base.clone();

    // Sign in.
    b.goto(&format!("{base}/")).await;
    assert!(b.url().await.ends_with("/sign-in"));
    b.type_into("#token", ADMIN_TOKEN).await;
    b.click("form[action='/sign-in'] button").await;
    b.wait_for_text("Overview", false).await;
    // The chart counts the message and its delivered attempt.
    b.wait_for_text("messages 1", false).await;
    b.wait_for_text("delivered 1", false).await;
    b.screenshot(&shots.join("overview.png")).await;
    assert!(!b.url().await.contains(ADMIN_TOKEN));

    // The delivered message's attempt, with its status; its payload as text, not run.
    b.goto(&format!("{base}/app/{app_id}/log")).await;
    b.wait_for_text("success", true).await;
    b.screenshot(&shots.join("delivery-log.png")).await;
    b.goto(&format!("{base}/app/{app_id}/msg/{msg_id}")).await;
    assert!(
        b.text("pre[aria-label='Payload, pretty-printed']")
            .await
            .contains("<script>window.pwned=1</script>")
    );
    assert_eq!(
        b.run("return window.pwned === undefined;", false).await,
        json!(true)
    );
    b.screenshot(&shots.join("message.png")).await;

    // Reveal the secret; rotate it; the page shows the new one.
    let secret_path = format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret");
    let before = secret(&app, &secret_path).await;
    b.goto(&format!("{base}/app/{app_id}/endpoint/{ep_id}"))
        .await;
    assert_eq!(b.text("#secret").await, "", "hidden until revealed");
    b.click("button[data-reveal]").await;
    b.wait_for_text(&before, false).await;
    b.screenshot(&shots.join("endpoint.png")).await;
    b.click("form[action$='/rotate'] button").await;
    b.accept_dialog().await;
    b.wait_for_text("Secret rotated", false).await;
    let after = secret(&app, &secret_path).await;
    assert_ne!(before, after);
    b.click("button[data-reveal]").await;
    b.wait_for_text(&after, false).await;

    // Send a test event: it arrives at the receiver, and its attempt shows.
    b.click("form[action$='/test'] button").await;
    b.wait_for_text("Test event sent", false).await;
    let got = rx.wait_for(2).await;
    assert!(String::from_utf8_lossy(&got[1].body).contains("in_example"));
    // The page's script brings the new attempt in without a reload: two rows.
    for _ in 0..50 {
        if b.run(
            "return document.querySelectorAll('#attempts tbody tr').length;",
            false,
        )
        .await
            == json!(2)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        b.run(
            "return document.querySelectorAll('#attempts tbody tr').length;",
            false
        )
        .await,
        json!(2)
    );
    // Readable at a phone's width.
    b.window_size(390, 844).await;
    b.screenshot(&shots.join("endpoint-phone.png")).await;
    b.window_size(1280, 900).await;

    // Resend from the attempt's page.
    b.goto(&format!("{base}/app/{app_id}/msg/{msg_id}")).await;
    b.click("ol a").await;
    b.wait_for_text("Request", false).await;
    b.screenshot(&shots.join("attempt.png")).await;
    b.click("form[action*='/resend/'] button").await;
    b.accept_dialog().await;
    rx.wait_for(3).await;

    // Change the subscription: invoice.paid off, user.created on; filtering follows.
    b.goto(&format!("{base}/app/{app_id}/endpoint/{ep_id}"))
        .await;
    b.click("input[value='invoice.paid']").await;
    b.click("input[value='user.created']").await;
    b.click("form[action$='/events'] button").await;
    b.wait_for_text("Subscription saved", false).await;
    for t in ["invoice.paid", "user.created"] {
        app.post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": t, "payload": {"t": t}}),
        )
        .await;
    }
    let got = rx.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_now = rx.received();
    assert_eq!(got_now.len(), 4, "only the subscribed type is delivered");
    assert!(String::from_utf8_lossy(&got[3].body).contains("user.created"));

    // A form posted without the CSRF token is refused.
    let status = b
        .run("const done = arguments[arguments.length - 1]; \
              fetch(location.pathname + '/disable', {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'x=1'}) \
              .then(r => done(r.status));", true)
        .await;
    assert_eq!(status, json!(403));
    let (_, ep_now) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}"))
        .await;
    assert_eq!(ep_now["disabled"], false);

    // The app portal link: its application, and 404 for another's.
    b.goto(&format!("{base}/event-types")).await;
    b.screenshot(&shots.join("event-types.png")).await;
    let (_, access) = app
        .post(
            &format!("/api/v1/auth/app-portal-access/{app_id}"),
            json!({}),
        )
        .await;
    b.goto(access["url"].as_str().expect("url")).await;
    b.wait_for_text("Endpoints", false).await;
    assert!(
        b.url().await.ends_with(&format!("/app/{app_id}")),
        "{}",
        b.url().await
    );
    assert!(!b.url().await.contains("key="));
    b.screenshot(&shots.join("app-portal.png")).await;
    b.goto(&format!("{base}/app/{other}")).await;
    b.wait_for_text("application not found", false).await;

    b.quit().await;
    app.stop().await;
}
