//! The dashboard over plain HTTP: headers, sign-in, CSRF, escaping, and the app portal's
//! scope and capabilities (in the pages and in the API). The browser test (`browser.rs`)
//! drives the same pages in Chromium.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::common::{ADMIN_TOKEN, TestApp, spawn_app};

/// A client that keeps cookies by hand and never follows redirects, so each step shows.
pub(crate) struct Visitor {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Visitor {
    pub(crate) fn new(app: &TestApp) -> Visitor {
        Visitor {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: app.base.clone(),
            cookies: Vec::new(),
        }
    }

    fn keep(&mut self, resp: &reqwest::Response) {
        for c in resp.headers().get_all(SET_COOKIE) {
            let c = c.to_str().expect("ascii");
            assert!(
                c.contains("HttpOnly") && c.contains("SameSite=Strict"),
                "{c}"
            );
            let (name, rest) = c.split_once('=').expect("cookie");
            let value = rest.split(';').next().unwrap_or_default();
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("get");
        self.keep(&resp);
        let status = resp.status();
        (status, resp.text().await.expect("text"))
    }

    /// Posts a form; the status and where it redirects to.
    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post");
        self.keep(&resp);
        let status = resp.status();
        let to = resp
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().expect("ascii").to_owned());
        (status, to.unwrap_or(resp.text().await.expect("text")))
    }

    /// The value of the hidden `csrf` field in `html`.
    pub(crate) fn csrf(html: &str) -> String {
        let at = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
        html[at..].split('"').next().expect("value").to_owned()
    }

    pub(crate) async fn sign_in(&mut self, token: &str) -> (StatusCode, String) {
        let (_, page) = self.get("/sign-in").await;
        let csrf = Self::csrf(&page);
        self.post("/sign-in", &[("csrf", &csrf), ("token", token)])
            .await
    }

    /// Opens an app-portal link (as its page's script does: the fragment's code, posted).
    pub(crate) async fn open_portal(&mut self, url: &str) -> (StatusCode, String) {
        let code = url
            .split("#key=")
            .nth(1)
            .expect("a #key= fragment")
            .to_owned();
        let (_, page) = self.get("/app-portal").await;
        let csrf = Self::csrf(&page);
        self.post("/app-portal/session", &[("csrf", &csrf), ("code", &code)])
            .await
    }
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_sign_in_needs_the_token() {
    let app = spawn_app().await;
    let resp = reqwest::get(app.url("/sign-in")).await.expect("get");
    let csp = resp.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let mut v = Visitor::new(&app);
    // Pages need a session.
    let (s, to) = v.post("/sign-out", &[]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/sign-in"));
    // No double-submit token: refused before the token is even looked at.
    let (s, _) = v.post("/sign-in", &[("token", ADMIN_TOKEN)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = v.sign_in("hk_not-the-token-0123456789abcdef").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, to) = v.sign_in(ADMIN_TOKEN).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/"));
    let (s, page) = v.get("/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Overview") && !page.contains(ADMIN_TOKEN));
    // Sign-out ends the session on the server, not only in this browser.
    let session = v.cookie_header();
    let csrf = Visitor::csrf(&page);
    assert_eq!(
        v.post("/sign-out", &[("csrf", &csrf)]).await.0,
        StatusCode::SEE_OTHER
    );
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url("/"))
        .header("cookie", session)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let app = spawn_app().await;
    let app_id = app.create_app("Acme", None).await;
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://example.com/h"}),
        )
        .await;
    let ep_id = ep["id"].as_str().expect("id");
    let mut v = Visitor::new(&app);
    v.sign_in(ADMIN_TOKEN).await;
    let path = format!("/app/{app_id}/endpoint/{ep_id}/disable");
    for form in [vec![], vec![("csrf", "wrong")]] {
        let (s, _) = v.post(&path, &form).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (_, ep) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}"))
        .await;
    assert_eq!(ep["disabled"], false);
    let (_, page) = v.get(&format!("/app/{app_id}/endpoint/{ep_id}")).await;
    let (s, _) = v.post(&path, &[("csrf", &Visitor::csrf(&page))]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, ep) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}"))
        .await;
    assert_eq!(ep["disabled"], true);
    app.stop().await;
}

#[tokio::test]
async fn payloads_are_shown_as_text() {
    let app = spawn_app().await;
    let app_id = app.create_app("<b>Acme</b>", None).await;
    let xss = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let (s, msg) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "x.y", "payload": {"html": xss}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{msg}");
    let mut v = Visitor::new(&app);
    v.sign_in(ADMIN_TOKEN).await;
    let (s, page) = v
        .get(&format!(
            "/app/{app_id}/msg/{}",
            msg["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        !page.contains("<script>alert")
            && !page.contains("<img src=x")
            && !page.contains("<b>Acme")
    );
    app.stop().await;
}

#[tokio::test]
async fn an_app_portal_sees_its_application_only_and_what_its_capabilities_allow() {
    let app = spawn_app().await;
    let mine = app.create_app("Mine", None).await;
    let other = app.create_app("Other", None).await;
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{mine}/endpoint"),
            json!({"url": "https://example.com/h"}),
        )
        .await;
    let ep_id = ep["id"].as_str().expect("id").to_owned();
    let (_, theirs) = app
        .post(
            &format!("/api/v1/app/{other}/endpoint"),
            json!({"url": "https://example.com/o"}),
        )
        .await;
    let (s, access) = app
        .post(
            &format!("/api/v1/auth/app-portal-access/{mine}"),
            json!({"capabilities": ["ViewBase", "ViewEndpointSecret"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{access}");
    let url = access["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/app-portal#key=", app.base)),
        "{url}"
    );
    let mut v = Visitor::new(&app);
    let (s, to) = v.open_portal(url).await;
    assert_eq!(
        (s, to.as_str()),
        (StatusCode::SEE_OTHER, format!("/app/{mine}").as_str())
    );
    let (s, page) = v.get(&format!("/app/{mine}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Mine") && !page.contains("Other"));
    // Another application, its endpoint, the operator's pages: as if they did not exist.
    assert_eq!(
        v.get(&format!("/app/{other}")).await.0,
        StatusCode::NOT_FOUND
    );
    let their_ep = format!(
        "/app/{other}/endpoint/{}",
        theirs["id"].as_str().expect("id")
    );
    assert_eq!(v.get(&their_ep).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        v.get(&format!(
            "/app/{mine}/endpoint/{}",
            theirs["id"].as_str().expect("id")
        ))
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_ne!(v.get("/apps").await.0, StatusCode::OK);
    // The secret may be seen, not rotated; endpoints not changed: refused by the API's
    // handlers, whatever the page shows.
    let (s, page) = v.get(&format!("/app/{mine}/endpoint/{ep_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("Rotate secret") && !page.contains("Save subscription"));
    assert_eq!(
        v.get(&format!("/app/{mine}/endpoint/{ep_id}/secret"))
            .await
            .0,
        StatusCode::OK
    );
    let csrf = Visitor::csrf(&page);
    for action in ["rotate", "disable", "test"] {
        let (s, _) = v
            .post(
                &format!("/app/{mine}/endpoint/{ep_id}/{action}"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{action}");
    }
    // The token issued with the link has the same capabilities in the API itself.
    let token = access["token"].as_str().expect("token");
    let secret_path = format!("/api/v1/app/{mine}/endpoint/{ep_id}/secret");
    let (s, _) = app
        .call_as(token, reqwest::Method::GET, &secret_path, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .call_as(
            token,
            reqwest::Method::POST,
            &format!("{secret_path}/rotate"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{e}"
    );
    assert!(
        e["detail"]
            .as_str()
            .expect("detail")
            .contains("ManageEndpointSecret"),
        "{e}"
    );
    let (s, _) = app
        .call_as(
            token,
            reqwest::Method::PATCH,
            &format!("/api/v1/app/{mine}/endpoint/{ep_id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The link works once.
    let mut again = Visitor::new(&app);
    assert_eq!(again.open_portal(url).await.0, StatusCode::UNAUTHORIZED);
    // Read-only: not even the secret.
    let (_, ro) = app
        .post(
            &format!("/api/v1/auth/app-portal-access/{mine}"),
            json!({"readOnly": true, "capabilities": ["ManageEndpoint"]}),
        )
        .await;
    let (s, _) = app
        .call_as(
            ro["token"].as_str().expect("token"),
            reqwest::Method::DELETE,
            &format!("/api/v1/app/{mine}/endpoint/{ep_id}"),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "readOnly wins over the capabilities asked for"
    );
    let mut r = Visitor::new(&app);
    r.open_portal(ro["url"].as_str().expect("url")).await;
    let (_, page) = r.get(&format!("/app/{mine}/endpoint/{ep_id}")).await;
    let (s, _) = r
        .post(
            &format!("/app/{mine}/endpoint/{ep_id}/disable"),
            &[("csrf", &Visitor::csrf(&page))],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn branding_and_framing_come_from_the_configuration() {
    let mut c = crate::common::config(&crate::common::fresh_dir());
    c.dashboard.brand_name = Some("Acme <Hooks>".into());
    c.dashboard.brand_logo_url = Some("https://cdn.example.com/logo.png".into());
    c.dashboard.brand_accent = Some("#ff6600".into());
    c.dashboard.frame_ancestors = "'self' https://app.example.com".into();
    let app = crate::common::spawn_with(c).await;
    let resp = reqwest::get(app.url("/sign-in")).await.expect("get");
    let csp = resp.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.ends_with("frame-ancestors 'self' https://app.example.com"),
        "{csp}"
    );
    assert!(resp.headers().get("x-frame-options").is_none());
    let page = resp.text().await.expect("text");
    assert!(
        page.contains("Acme &lt;Hooks&gt;")
            && page.contains(r#"src="https://cdn.example.com/logo.png""#)
    );
    assert!(page.contains(r#"href="/assets/brand.css""#));
    let css = reqwest::get(app.url("/assets/brand.css"))
        .await
        .expect("get")
        .text()
        .await
        .expect("css");
    assert_eq!(css.trim(), ":root { --accent: #ff6600; }");
    app.stop().await;
}

#[tokio::test]
async fn a_session_survives_a_restart() {
    let dir = crate::common::fresh_dir();
    let app = crate::common::spawn_with(crate::common::config(&dir)).await;
    let mut v = Visitor::new(&app);
    v.sign_in(ADMIN_TOKEN).await;
    app.stop().await;
    let app = crate::common::spawn_with(crate::common::config(&dir)).await;
    v.base = app.base.clone();
    let (s, page) = v.get("/").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Overview"));
    app.stop().await;
}
