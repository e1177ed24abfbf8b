//! The dashboard's inbound pages over HTTP: sources, a source's request log and its
//! cursors, a request with its diagnosis in words, Replay behind CSRF, bodies escaped, and
//! nothing of it for an app-portal session. `browser_inbound.rs` drives them in Chromium.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{ADMIN_TOKEN, TestApp};
use crate::dashboard::Visitor;
use crate::gateway::{destination, gateway_app, now, post_in, signed, source};
use crate::receiver::Receiver;

const SECRET: &str = "whsec_dashboard_inbound_0123456789";

/// The source's logged requests once there are `n` (rejections are written in the
/// background), newest first.
async fn logged(app: &TestApp, src: &str, n: usize) -> Vec<Value> {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app
            .get(&format!("/api/v1/source/{src}/request?limit=250"))
            .await
            .1;
        if last["data"].as_array().is_some_and(|d| d.len() >= n) {
            return last["data"].as_array().expect("data").clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {n} logged requests: {last}");
}

/// How many request links a page has.
fn request_links(page: &str) -> usize {
    page.matches("/request/req_").count()
}

/// The Stripe source `st`, an endpoint of its application at `rx`, and three requests: an
/// accepted event, its repeat, and a rejection (the body re-serialized after signing, with
/// a script in it). Their ids, newest first: rejected, duplicate, accepted.
pub(crate) async fn three_requests(app: &TestApp, rx: &Receiver) -> (Value, [String; 3]) {
    let src = source(
        app,
        json!({"name": "Stripe <live>", "uid": "st", "scheme": "stripe", "secrets": [SECRET]}),
    )
    .await;
    destination(app, &src, rx).await;
    let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
    let headers = signed("stripe", SECRET, None, body, now());
    for want in ["accepted", "duplicate"] {
        let (s, v) = post_in(app, "st", "application/json", &headers, body).await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some(want)),
            "{v}"
        );
    }
    let signed_body = br#"{"id":"evt_2","note":"<script>alert(1)</script>","type":"invoice.paid"}"#;
    let sent = b"{\n  \"id\": \"evt_2\",\n  \"note\": \"<script>alert(1)</script>\",\n  \"type\": \"invoice.paid\"\n}";
    let headers = signed("stripe", SECRET, None, signed_body, now());
    let (s, v) = post_in(app, "st", "application/json", &headers, sent).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let rows = logged(app, "st", 3).await;
    let id = |i: usize| rows[i]["id"].as_str().expect("id").to_owned();
    assert_eq!(rows[0]["status"], "rejected");
    (src, [id(0), id(1), id(2)])
}

#[tokio::test]
async fn inbound_pages_show_sources_requests_and_diagnoses() {
    let app = gateway_app().await;
    let rx = Receiver::start(&[]).await;
    let mut v = Visitor::new(&app);
    v.sign_in(ADMIN_TOKEN).await;
    let (s, page) = v.get("/sources").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"href="/sources""#), "in the navigation");
    assert!(
        page.contains("No sources yet") && page.contains("/api/v1/source -H"),
        "the empty state gives the curl: {page}"
    );

    let (src, [rejected, duplicate, accepted]) = three_requests(&app, &rx).await;
    rx.wait_for(1).await;
    let src_id = src["id"].as_str().expect("id");
    let app_id = src["appId"].as_str().expect("appId");
    let (_, page) = v.get("/sources").await;
    for want in [
        "Stripe &lt;live&gt;",
        &format!("{}/in/st", app.base),
        &format!(r#"href="/app/{app_id}""#),
        "1 accepted",
        "1 duplicate",
        "1 rejected",
    ] {
        assert!(page.contains(want), "{want} in {page}");
    }
    assert!(!page.contains("<live>"));

    // The source: its settings, never its keys, and its log newest first.
    let (s, page) = v.get("/source/st").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("7 days") && page.contains("<code>stripe</code>"));
    assert!(!page.contains(SECRET), "a key on the page");
    assert_eq!(request_links(&page), 3);
    let order: Vec<usize> = [&rejected, &duplicate, &accepted]
        .iter()
        .map(|id| page.find(id.as_str()).expect("listed"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first");
    let (_, page) = v.get("/source/st?status=rejected").await;
    assert_eq!(request_links(&page), 1);
    assert!(page.contains(&rejected) && !page.contains(&accepted));
    let (_, page) = v
        .get("/source/st?after=2000-01-01T00:00&before=2001-01-01T00:00")
        .await;
    assert!(page.contains("No requests match"), "{page}");

    // The rejection: the diagnosis in words, the body as text, no Replay.
    let (s, page) = v.get(&format!("/source/{src_id}/request/{rejected}")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page.contains("The body was re-serialized: verify the raw bytes."),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("/replay"));

    // Replay: refused without the CSRF token, a new message with it; a duplicate replays
    // the event it repeats.
    let (_, page) = v.get(&format!("/source/{src_id}/request/{accepted}")).await;
    assert!(
        page.contains(&format!("/app/{app_id}/msg/msg_")),
        "its message"
    );
    let replay = format!("/source/{src_id}/request/{accepted}/replay");
    assert!(page.contains(&replay) && page.contains("data-confirm="));
    for form in [vec![], vec![("csrf", "wrong")]] {
        assert_eq!(v.post(&replay, &form).await.0, StatusCode::FORBIDDEN);
    }
    let csrf = Visitor::csrf(&page);
    let (s, to) = v.post(&replay, &[("csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    assert!(to.starts_with(&format!("/app/{app_id}/msg/msg_")), "{to}");
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].body, got[0].body, "the same event again");
    let dup = format!("/source/{src_id}/request/{duplicate}/replay");
    assert_eq!(
        v.post(&dup, &[("csrf", &csrf)]).await.0,
        StatusCode::SEE_OTHER
    );
    rx.wait_for(3).await;
    let (s, page) = v
        .post(
            &format!("/source/{src_id}/request/{rejected}/replay"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{page}");
    // The API's own answer, which the page showed.
    let (s, e) = app
        .post(
            &format!("/api/v1/source/st/request/{rejected}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{e}"
    );
    assert!(
        e["detail"].as_str().expect("detail").contains("rejected"),
        "{e}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_request_log_pages_on_the_api_cursors() {
    let app = gateway_app().await;
    source(
        &app,
        json!({"name": "st", "uid": "st", "scheme": "stripe", "secrets": [SECRET]}),
    )
    .await;
    for _ in 0..52 {
        let (s, _) = post_in(&app, "st", "application/json", &[], b"{}").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let rows = logged(&app, "st", 52).await;
    let mut v = Visitor::new(&app);
    v.sign_in(ADMIN_TOKEN).await;
    let (_, page) = v.get("/source/st?status=rejected").await;
    assert_eq!(request_links(&page), 50);
    assert!(page.contains("missing header Stripe-Signature"));
    let next = page
        .split("href=\"")
        .find(|h| h.contains("iterator=") && !h.contains("iterator=-"))
        .and_then(|h| h.split('"').next())
        .expect("a Next link")
        .replace("&amp;", "&");
    assert!(
        next.contains("status=rejected"),
        "filters carry over: {next}"
    );
    let (_, page) = v.get(&next).await;
    assert_eq!(request_links(&page), 2, "{page}");
    let oldest = rows[51]["id"].as_str().expect("id");
    assert!(page.contains(oldest) && page.contains("Previous"));
    app.stop().await;
}

#[tokio::test]
async fn an_app_portal_session_finds_no_inbound_pages() {
    let app = gateway_app().await;
    let rx = Receiver::start(&[]).await;
    let (src, [_, _, accepted]) = three_requests(&app, &rx).await;
    let (src_id, app_id) = (
        src["id"].as_str().expect("id"),
        src["appId"].as_str().expect("appId"),
    );
    let (_, access) = app
        .post(
            &format!("/api/v1/auth/app-portal-access/{app_id}"),
            json!({}),
        )
        .await;
    let mut v = Visitor::new(&app);
    v.open_portal(access["url"].as_str().expect("url")).await;
    let (s, page) = v.get(&format!("/app/{app_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !page.contains(r#"href="/sources""#),
        "not in its navigation"
    );
    for path in [
        "/sources".to_owned(),
        "/source/st".to_owned(),
        format!("/source/{src_id}"),
        format!("/source/{src_id}/request/{accepted}"),
    ] {
        assert_eq!(v.get(&path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let replay = format!("/source/{src_id}/request/{accepted}/replay");
    let (s, _) = v.post(&replay, &[("csrf", &Visitor::csrf(&page))]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    rx.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1, "nothing replayed");
    // The API refuses the portal's token the same way (with 403: it names the rule).
    let (s, _) = app
        .call_as(
            access["token"].as_str().expect("token"),
            reqwest::Method::GET,
            "/api/v1/source",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}
