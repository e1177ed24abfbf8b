//! The store's behaviour, the same on both backends: each test runs on SQLite, and on
//! PostgreSQL when `HOOKLINE_TEST_POSTGRES` names a server (`.ci/run` sets it), in a database
//! of its own.

use std::sync::Arc;

use serde_json::Map;

use super::postgres::{PgOptions, PgStore};
use super::sqlite::SqliteStore;
use crate::crypto::Cipher;
use crate::store::*;

/// A store under test, and where its bytes can be read raw.
struct TestStore {
    s: Arc<dyn Store>,
    raw: Raw,
}

enum Raw {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

fn cipher() -> Arc<Cipher> {
    Arc::new(Cipher::new(&[1; 32]).expect("key"))
}

async fn sqlite() -> TestStore {
    let dir = std::env::temp_dir().join(format!("hookline-store-{}", crate::ids::new_id("t")));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("db.sqlite");
    let s = SqliteStore::open(&path, cipher()).await.expect("open");
    TestStore {
        s: Arc::new(s),
        raw: Raw::Sqlite(path),
    }
}

/// A fresh database on the server of `HOOKLINE_TEST_POSTGRES`, named after this process so
/// that the test suite's sweep (and `.ci/run`) drop it once the process is gone.
async fn postgres_url() -> Option<String> {
    use sqlx::Connection as _;
    let server = std::env::var("HOOKLINE_TEST_POSTGRES").ok()?;
    let server = server.trim_end_matches('/');
    let name = format!(
        "hookline_t_{}_{}",
        std::process::id(),
        crate::ids::new_id("s").to_ascii_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("HOOKLINE_TEST_POSTGRES answers");
    // A locale whose order is not byte order (`a` < `B`), where the server has ICU: the
    // schema must not depend on the database's locale.
    let icu = format!(
        "CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
    );
    if sqlx::raw_sql(&icu).execute(&mut conn).await.is_err() {
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create database");
    }
    Some(format!("{server}/{name}"))
}

async fn postgres() -> Option<TestStore> {
    let url = postgres_url().await?;
    let options = PgOptions {
        url: url.clone(),
        max_connections: 8,
        connect_timeout: std::time::Duration::from_secs(10),
        node_id: None,
    };
    let s = PgStore::open(&options, cipher()).await.expect("open");
    Some(TestStore {
        s: Arc::new(s),
        raw: Raw::Postgres(url),
    })
}

impl TestStore {
    /// Everything stored, as bytes: the SQLite file and its WAL, or a `pg_dump`.
    async fn raw_bytes(&self) -> Vec<u8> {
        match &self.raw {
            Raw::Sqlite(path) => {
                self.s.close().await;
                let mut bytes = std::fs::read(path).expect("db file");
                bytes.extend(std::fs::read(path.with_extension("sqlite-wal")).unwrap_or_default());
                bytes
            }
            Raw::Postgres(url) => {
                let out = std::process::Command::new("pg_dump")
                    .args(["--data-only", url])
                    .output()
                    .expect("pg_dump");
                assert!(out.status.success());
                out.stdout
            }
        }
    }
}

/// Runs each test body on both backends (PostgreSQL only when configured).
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::sqlite().await).await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test]
            async fn $name() {
                if let Some(t) = super::postgres().await {
                    super::$name(t).await;
                }
            })*
        }
    };
}

on_both!(
    pages_forward_and_back_in_both_orders,
    uids_are_unique_and_addressable,
    ids_sort_byte_by_byte_whatever_the_locale,
    endpoint_secrets_and_headers_are_encrypted_at_rest,
    a_message_and_its_deliveries_commit_together,
    idempotency_keys_claim_once,
    idempotency_keys_are_bound_to_their_request,
    concurrent_messages_isolate_a_conflict_to_its_own,
    matching_endpoints_follow_their_filters,
    claims_take_at_most_the_cap_per_endpoint_and_skip_busy_ones,
    attempts_at_once_track_one_run_of_failures,
    a_worker_whose_lease_ran_out_cannot_move_the_delivery_on,
    claims_since_skip_older_work_and_refills_read_one_endpoint,
);

fn app(id: &str, uid: Option<&str>) -> Application {
    Application {
        id: id.into(),
        uid: uid.map(Into::into),
        name: id.into(),
        metadata: Map::new(),
        throttle_rate: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn endpoint(id: &str, app_id: &str) -> Endpoint {
    Endpoint {
        id: id.into(),
        app_id: app_id.into(),
        uid: None,
        url: "https://example.com/hook".into(),
        description: String::new(),
        disabled: false,
        event_types: None,
        channels: None,
        metadata: Map::new(),
        throttle_rate: None,
        headers: [(
            "Authorization".to_owned(),
            "Bearer very-secret-header".to_owned(),
        )]
        .into(),
        secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0".into(),
        previous_secrets: vec![],
        signature_scheme: "svix".into(),
        tolerance_hint: None,
        timeout_secs: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn page(limit: usize, cursor: Option<&str>, backwards: bool, order: Order) -> Page {
    Page {
        limit,
        cursor: cursor.map(Into::into),
        backwards,
        order,
    }
}

async fn pages_forward_and_back_in_both_orders(t: TestStore) {
    let s = t.s.clone();
    for i in 0..5 {
        s.create_app(&app(&format!("app_{i}"), None))
            .await
            .expect("create");
    }
    let ids = |v: Vec<Application>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s
            .list_apps(&page(2, None, false, Order::Ascending))
            .await
            .expect("list")),
        ["app_0", "app_1"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_1"), false, Order::Ascending))
            .await
            .expect("list")),
        ["app_2", "app_3"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_2"), true, Order::Ascending))
            .await
            .expect("list")),
        ["app_0", "app_1"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, None, false, Order::Descending))
            .await
            .expect("list")),
        ["app_4", "app_3"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_3"), false, Order::Descending))
            .await
            .expect("list")),
        ["app_2", "app_1"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_2"), true, Order::Descending))
            .await
            .expect("list")),
        ["app_4", "app_3"]
    );
}

async fn ids_sort_byte_by_byte_whatever_the_locale(t: TestStore) {
    let s = t.s.clone();
    // Ids sort by creation time only in byte order ("B" < "a"); so do cursors.
    for id in ["app_a", "app_B", "app_1"] {
        s.create_app(&app(id, None)).await.expect("create");
    }
    let ids: Vec<String> = s
        .list_apps(&page(10, None, false, Order::Ascending))
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["app_1", "app_B", "app_a"]);
    let after: Vec<String> = s
        .list_apps(&page(10, Some("app_B"), false, Order::Ascending))
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(after, ["app_a"]);
}

async fn uids_are_unique_and_addressable(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", Some("acme")))
        .await
        .expect("create");
    assert!(matches!(
        s.create_app(&app("app_b", Some("acme"))).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.app("acme").await.expect("get").map(|a| a.id).as_deref(),
        Some("app_a")
    );
    assert!(s.app("nope").await.expect("get").is_none());
}

async fn endpoint_secrets_and_headers_are_encrypted_at_rest(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("endpoint");
    let back = s
        .endpoint("app_a", "ep_1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(back, endpoint("ep_1", "app_a"));
    let bytes = t.raw_bytes().await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.len() > 100, "read what was stored");
    assert!(
        !text.contains("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"),
        "secret in the clear"
    );
    assert!(!text.contains("very-secret-header"), "header in the clear");
}

async fn a_message_and_its_deliveries_commit_together(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    let msg = Message {
        id: "msg_1".into(),
        app_id: "app_a".into(),
        event_id: Some("evt-1".into()),
        event_type: "user.signup".into(),
        channels: Some(vec!["ch".into()]),
        payload: Some("{}".into()),
        payload_expires_at: 99,
        created_at: 5,
    };
    s.create_message(&msg, &Targets::Only(vec!["ep_1".into()]), 5)
        .await
        .expect("create");
    assert_eq!(
        s.deliveries_of_message("msg_1")
            .await
            .expect("deliveries")
            .len(),
        1
    );
    // The same eventId conflicts, and the failed transaction leaves nothing behind.
    let dup = Message {
        id: "msg_2".into(),
        ..msg.clone()
    };
    assert!(matches!(
        s.create_message(&dup, &Targets::Only(vec!["ep_1".into()]), 6)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        s.deliveries_of_message("msg_2")
            .await
            .expect("deliveries")
            .is_empty()
    );
    // An endpoint deleted since it was chosen is skipped: the message still commits.
    let orphan = Message {
        id: "msg_3".into(),
        event_id: None,
        ..msg.clone()
    };
    s.create_message(
        &orphan,
        &Targets::Only(vec!["ep_missing".into(), "ep_1".into()]),
        6,
    )
    .await
    .expect("create");
    assert_eq!(
        s.deliveries_of_message("msg_3")
            .await
            .expect("deliveries")
            .len(),
        1
    );
    assert_eq!(
        s.message("app_a", "evt-1")
            .await
            .expect("get")
            .map(|m| m.id)
            .as_deref(),
        Some("msg_1")
    );
    let f = MessageFilter {
        channel: Some("ch".into()),
        ..Default::default()
    };
    assert_eq!(
        s.list_messages("app_a", &page(10, None, false, Order::Descending), &f)
            .await
            .expect("list")
            .len(),
        2
    );
    // Retention: past `payload_expires_at` (99) payloads go; the messages stay.
    assert_eq!(s.expire_payloads(98).await.expect("expire"), 0);
    assert_eq!(s.expire_payloads(100).await.expect("expire"), 2);
    let kept = s
        .message("app_a", "msg_1")
        .await
        .expect("get")
        .expect("message stays");
    assert_eq!(kept.payload, None);
    let f = MessageFilter {
        channel: Some("other".into()),
        ..Default::default()
    };
    assert!(
        s.list_messages("app_a", &page(10, None, false, Order::Descending), &f)
            .await
            .expect("list")
            .is_empty()
    );
}

async fn idempotency_keys_claim_once(t: TestStore) {
    let s = t.s.clone();
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 1).await.expect("claim"),
        None
    );
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 2).await.expect("claim"),
        Some(Idempotent::InProgress)
    );
    s.finish_idempotency_key("k", 201, b"{}")
        .await
        .expect("finish");
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 3).await.expect("claim"),
        Some(Idempotent::Done {
            status: 201,
            body: b"{}".to_vec()
        })
    );
    assert_eq!(s.purge_idempotency_keys(2).await.expect("purge"), 1);
    assert_eq!(
        s.claim_idempotency_key("k", "fp", 4).await.expect("claim"),
        None
    );
}

async fn idempotency_keys_are_bound_to_their_request(t: TestStore) {
    let s = t.s.clone();
    assert_eq!(
        s.claim_idempotency_key("k", "a", 0).await.expect("claim"),
        None
    );
    // Running or done, another request is told so, not given the first one's state.
    assert_eq!(
        s.claim_idempotency_key("k", "b", 1).await.expect("claim"),
        Some(Idempotent::OtherRequest)
    );
    // A stale claim is taken over by its own request only.
    let later = 10 * 60 * 1000;
    assert_eq!(
        s.claim_idempotency_key("k", "b", later)
            .await
            .expect("claim"),
        Some(Idempotent::OtherRequest)
    );
    assert_eq!(
        s.claim_idempotency_key("k", "a", later)
            .await
            .expect("claim"),
        None
    );
    s.finish_idempotency_key("k", 202, b"{}")
        .await
        .expect("finish");
    assert_eq!(
        s.claim_idempotency_key("k", "b", later + 1)
            .await
            .expect("claim"),
        Some(Idempotent::OtherRequest)
    );
    // Released (a refusal is not kept): free for any request.
    assert_eq!(
        s.claim_idempotency_key("j", "a", 0).await.expect("claim"),
        None
    );
    s.release_idempotency_key("j").await.expect("release");
    assert_eq!(
        s.claim_idempotency_key("j", "b", 1).await.expect("claim"),
        None
    );
}

async fn concurrent_messages_isolate_a_conflict_to_its_own(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.spawn(async move {
            let msg = Message {
                id: format!("msg_{i:02}"),
                app_id: "app_a".into(),
                // Two of them share an eventId: exactly one may win.
                event_id: Some(if i < 2 {
                    "dup".into()
                } else {
                    format!("evt-{i}")
                }),
                event_type: "t".into(),
                channels: None,
                payload: Some("{}".into()),
                payload_expires_at: i64::MAX,
                created_at: 1,
            };
            s.create_message(&msg, &Targets::Only(vec![]), 1).await
        });
    }
    let mut ok = 0;
    let mut conflicts = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(_) => ok += 1,
            Err(StoreError::Conflict(_)) => conflicts += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((ok, conflicts), (39, 1));
    let page = page(100, None, false, Order::Ascending);
    assert_eq!(
        s.list_messages("app_a", &page, &MessageFilter::default())
            .await
            .expect("list")
            .len(),
        39
    );
}

async fn matching_endpoints_follow_their_filters(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_app(&app("app_b", None)).await.expect("app");
    let list = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let eps = [
        ("ep_all", None, None, false),
        ("ep_off", None, None, true),
        ("ep_type", list(&["a.b"]), None, false),
        ("ep_other_type", list(&["x.y"]), None, false),
        ("ep_none", list(&[]), None, false),
        ("ep_chan", None, list(&["c1", "c2"]), false),
        ("ep_other_chan", None, list(&["c9"]), false),
    ];
    for (id, types, channels, disabled) in eps {
        s.create_endpoint(&Endpoint {
            event_types: types,
            channels,
            disabled,
            ..endpoint(id, "app_a")
        })
        .await
        .expect("ep");
    }
    s.create_endpoint(&endpoint("ep_elsewhere", "app_b"))
        .await
        .expect("ep");
    let routed = |id: &str, channels: Option<Vec<String>>| {
        let s = s.clone();
        let msg = Message {
            id: id.into(),
            app_id: "app_a".into(),
            event_id: None,
            event_type: "a.b".into(),
            channels,
            payload: Some("{}".into()),
            payload_expires_at: i64::MAX,
            created_at: 1,
        };
        async move {
            let n = s
                .create_message(&msg, &Targets::Matching, 1)
                .await
                .expect("create");
            let mut to: Vec<String> = s
                .deliveries_of_message(&msg.id)
                .await
                .expect("deliveries")
                .into_iter()
                .map(|d| d.endpoint_id)
                .collect();
            to.sort();
            assert_eq!(n, to.len());
            to
        }
    };
    assert_eq!(routed("msg_1", None).await, ["ep_all", "ep_type"]);
    assert_eq!(
        routed("msg_2", list(&["c2", "c3"])).await,
        ["ep_all", "ep_chan", "ep_type"]
    );
}

mod queue;
mod shared;

use queue::{
    a_worker_whose_lease_ran_out_cannot_move_the_delivery_on,
    attempts_at_once_track_one_run_of_failures,
    claims_since_skip_older_work_and_refills_read_one_endpoint,
    claims_take_at_most_the_cap_per_endpoint_and_skip_busy_ones, queue,
};
