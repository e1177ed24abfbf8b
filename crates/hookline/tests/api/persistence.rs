use reqwest::StatusCode;
use serde_json::json;

use crate::common::{config, fresh_dir, spawn_with};

#[tokio::test]
async fn everything_survives_a_restart() {
    let dir = fresh_dir();
    let app = spawn_with(config(&dir)).await;
    let app_id = app.create_app("durable", Some("durable")).await;
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://example.com/h", "headers": {"Authorization": "Bearer x"}}),
        )
        .await;
    let ep_id = ep["id"].as_str().expect("id").to_owned();
    let secret = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret"))
        .await
        .1["key"]
        .clone();
    let (s, msg) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "t", "payload": {"keep": "me"}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.stop().await;

    let app = spawn_with(config(&dir)).await;
    let (s, a) = app.get("/api/v1/app/durable").await;
    assert_eq!(
        (s, a["id"].as_str()),
        (StatusCode::OK, Some(app_id.as_str()))
    );
    assert_eq!(
        app.get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret"))
            .await
            .1["key"],
        secret,
        "the sealed secret opens again"
    );
    assert_eq!(
        app.get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}/headers"))
            .await
            .1["sensitive"],
        json!(["Authorization"])
    );
    let (_, m) = app
        .get(&format!(
            "/api/v1/app/{app_id}/msg/{}",
            msg["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(m["payload"], json!({"keep": "me"}));
    let (_, d) = app
        .get(&format!(
            "/api/v1/app/{app_id}/msg/{}/endpoint",
            msg["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(
        d["data"][0]["statusText"], "pending",
        "the delivery committed with the message"
    );
    app.stop().await;
}

#[tokio::test]
async fn first_start_creates_an_admin_token_shown_once() {
    let dir = fresh_dir();
    let mut cfg = config(&dir);
    cfg.admin_token = hookline::config::Secret::new(None);
    let first = hookline::server::Application::build(&cfg)
        .await
        .expect("builds");
    let token = first
        .new_admin_token
        .clone()
        .expect("a token on first start");
    assert!(token.starts_with("hk_") && token.len() > 40);
    drop(first);
    let second = hookline::server::Application::build(&cfg)
        .await
        .expect("builds");
    assert!(
        second.new_admin_token.is_none(),
        "not again on the next start"
    );
    drop(second);
    // The token works, and only its hash is on disk.
    let mut app = spawn_with(cfg).await;
    app.token = token.clone();
    let (s, _) = app.get("/api/v1/app").await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
    let bytes = crate::common::stored_bytes(&dir);
    assert!(
        !String::from_utf8_lossy(&bytes).contains(&token[3..]),
        "the token is stored in the clear"
    );
    // The key file is private to its owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("encryption.key"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_wrong_encryption_key_fails_at_start() {
    let dir = fresh_dir();
    let mut cfg = config(&dir);
    cfg.encryption_key = hookline::config::Secret::new(Some("11".repeat(32)));
    spawn_with(cfg.clone()).await.stop().await;
    cfg.encryption_key = hookline::config::Secret::new(Some("22".repeat(32)));
    let err = hookline::server::Application::build(&cfg)
        .await
        .err()
        .expect("refuses to start");
    assert!(
        format!("{err:#}").contains("encryption key does not match"),
        "{err:#}"
    );
    let err = hookline::server::Application::build(&config(&dir))
        .await
        .err()
        .expect("the key file is not the env key either");
    assert!(format!("{err:#}").contains("encryption key"), "{err:#}");
}

#[tokio::test]
async fn setting_the_admin_token_revokes_the_generated_one() {
    let dir = fresh_dir();
    let mut cfg = config(&dir);
    cfg.admin_token = hookline::config::Secret::new(None);
    let first = hookline::server::Application::build(&cfg)
        .await
        .expect("builds");
    let generated = first.new_admin_token.clone().expect("generated");
    drop(first);
    let app = spawn_with(config(&dir)).await;
    let (s, _) = app
        .call_as(&generated, reqwest::Method::GET, "/api/v1/app", None)
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "HOOKLINE_ADMIN_TOKEN replaces the generated token"
    );
    let (s, _) = app.get("/api/v1/app").await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

/// Payloads and token hashes are for the server's user alone: the data directory is 0700
/// and the database files 0600, even when an older version left them open.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_are_closed_to_other_users() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let parent = fresh_dir();
    let dir = parent.join("data");
    let app = spawn_with(config(&dir)).await;
    let app_id = app.create_app("a", None).await;
    assert!(!app_id.is_empty());
    assert_eq!(mode(&dir), 0o700, "the data directory");
    let sqlite = config(&dir).database_url.expose().is_none();
    let files: &[&str] = if sqlite {
        &[
            "hookline.db",
            "hookline.db-wal",
            "hookline.db-shm",
            "encryption.key",
        ]
    } else {
        &["encryption.key"]
    };
    for f in files {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    app.stop().await;
    // Opened up by hand (or by an older version): closed again at the next start.
    let open = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(&dir, open.clone()).expect("chmod");
    // SQLite removes its -wal and -shm files when it closes cleanly: only what is there.
    for f in files.iter().filter(|f| dir.join(f).exists()) {
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }
    let app = spawn_with(config(&dir)).await;
    assert_eq!(mode(&dir), 0o700);
    for f in files
        .iter()
        .filter(|f| !f.ends_with("-shm") && !f.ends_with("-wal"))
    {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f} after a restart");
    }
    app.stop().await;
}
