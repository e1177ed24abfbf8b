//! The inbound pages in a real browser (as `browser.rs`, whose WebDriver client it uses):
//! open a source, read a rejected request's diagnosis in words, replay an accepted event
//! and see it reach a loopback receiver. Saves `docs/screenshots/inbound*.png`.
//!
//! Skipped, loudly, when Chromium is not installed, unless `HOOKLINE_REQUIRE_BROWSER` is set.

use serde_json::json;

use crate::common::ADMIN_TOKEN;
use crate::dashboard_inbound::three_requests;
use crate::gateway::gateway_app;
use crate::receiver::Receiver;
use crate::webdriver::{Browser, installed};

#[tokio::test]
async fn an_operator_reads_a_rejection_and_replays_an_event_in_chromium() {
    let Some((chromium, driver)) = installed() else {
        assert!(
            std::env::var_os("HOOKLINE_REQUIRE_BROWSER").is_none(),
            "HOOKLINE_REQUIRE_BROWSER is set but chromium or chromedriver is missing"
        );
        eprintln!(
            "\n*** SKIPPED the inbound browser test: install `chromium chromium-driver` to run it ***\n"
        );
        return;
    };
    let app = gateway_app().await;
    let rx = Receiver::start(&[]).await;
    let (src, [rejected, _, accepted]) = three_requests(&app, &rx).await;
    rx.wait_for(1).await;
    let src_id = src["id"].as_str().expect("id").to_owned();
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");

    let b = Browser::start(&chromium, &driver).await;
    let base = app.base.clone();
    b.goto(&format!("{base}/sign-in")).await;
    b.type_into("#token", ADMIN_TOKEN).await;
    b.click("form[action='/sign-in'] button").await;
    b.wait_for_text("Overview", false).await;

    // From the navigation to the source, its settings and its log.
    b.click("nav a[href='/sources']").await;
    b.wait_for_text("Inbound sources", false).await;
    b.wait_for_text("1 rejected", false).await;
    b.click(&format!("td a[href='/source/{src_id}']")).await;
    b.wait_for_text("De-duplication window", false).await;
    assert_eq!(
        b.run(
            "return document.querySelectorAll('a[href*=\"/request/req_\"]').length;",
            false
        )
        .await,
        json!(3)
    );
    // Times: UTC on hover, whatever the viewer's zone shows.
    assert_eq!(
        b.run(
            "const t = document.querySelector('td time'); return t.title.endsWith('Z') && t.title === t.getAttribute('datetime');",
            false
        )
        .await,
        json!(true)
    );
    // Tall enough for the log under the settings.
    b.window_size(1280, 1150).await;
    b.screenshot(&shots.join("inbound.png")).await;
    b.window_size(1280, 900).await;

    // Only the rejections, then the rejected one: its diagnosis in words, its body as text.
    b.click("#f-status option[value='rejected']").await;
    b.click("form.inline button").await;
    // The unfiltered log shows the rejection's reason too: wait for the filtered page.
    b.wait_for_url("status=rejected").await;
    b.wait_for_text("no signature matched", false).await;
    b.click(&format!("a[href$='/request/{rejected}']")).await;
    b.wait_for_text("Why the signature did not verify", false)
        .await;
    assert!(
        b.text("#diagnosis")
            .await
            .contains("The body was re-serialized: verify the raw bytes."),
        "{}",
        b.text("#diagnosis").await
    );
    assert!(
        b.text("pre[aria-label='Request body']")
            .await
            .contains("<script>alert(1)</script>")
    );
    assert!(b.find("form[action$='/replay']").await.is_none());
    b.screenshot(&shots.join("inbound-request.png")).await;

    // Replay the accepted one (after the confirmation): it arrives again.
    b.goto(&format!("{base}/source/{src_id}/request/{accepted}"))
        .await;
    b.wait_for_text("Replay", false).await;
    b.click("form[action$='/replay'] button").await;
    b.accept_dialog().await;
    b.wait_for_text("Deliveries", false).await;
    assert!(b.url().await.contains("/msg/msg_"), "{}", b.url().await);
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].body, got[0].body, "the same event again");

    b.quit().await;
    app.stop().await;
}
