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
    concurrent_messages_isolate_a_conflict_to_its_own,
    matching_endpoints_follow_their_filters,
    claims_take_at_most_the_cap_per_endpoint_and_skip_busy_ones,
    attempts_at_once_track_one_run_of_failures,
    a_worker_whose_lease_ran_out_cannot_move_the_delivery_on,
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
    assert_eq!(s.claim_idempotency_key("k", 1).await.expect("claim"), None);
    assert_eq!(
        s.claim_idempotency_key("k", 2).await.expect("claim"),
        Some(Idempotent::InProgress)
    );
    s.finish_idempotency_key("k", 201, b"{}")
        .await
        .expect("finish");
    assert_eq!(
        s.claim_idempotency_key("k", 3).await.expect("claim"),
        Some(Idempotent::Done {
            status: 201,
            body: b"{}".to_vec()
        })
    );
    assert_eq!(s.purge_idempotency_keys(2).await.expect("purge"), 1);
    assert_eq!(s.claim_idempotency_key("k", 4).await.expect("claim"), None);
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

async fn claims_take_at_most_the_cap_per_endpoint_and_skip_busy_ones(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    for id in ["ep_1", "ep_2", "ep_3"] {
        s.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
    }
    for i in 0..10 {
        let msg = Message {
            id: format!("msg_{i:02}"),
            app_id: "app_a".into(),
            event_id: None,
            event_type: "t".into(),
            channels: None,
            payload: Some(format!("{{\"n\":{i}}}")),
            payload_expires_at: i64::MAX,
            created_at: i,
        };
        s.create_message(&msg, &Targets::Matching, i)
            .await
            .expect("create");
    }
    let claims = s
        .claim_due(100, 1_000, 100, 3, &["ep_3".into()])
        .await
        .expect("claim");
    let count = |ep: &str| claims.iter().filter(|c| c.endpoint_id == ep).count();
    assert_eq!((count("ep_1"), count("ep_2"), count("ep_3")), (3, 3, 0));
    // The earliest of each endpoint, each with its message.
    let first = claims
        .iter()
        .find(|c| c.endpoint_id == "ep_1")
        .expect("claim");
    assert_eq!(first.msg_id, "msg_00");
    assert_eq!(
        first.message.as_ref().and_then(|m| m.payload.as_deref()),
        Some("{\"n\":0}")
    );
    // Claimed rows are leased: a second claim before the lease ends gets the next ones.
    let again = s.claim_due(100, 1_000, 100, 3, &[]).await.expect("claim");
    assert_eq!(again.len(), 9);
    assert!(again.iter().all(|c| {
        !claims
            .iter()
            .any(|d| d.msg_id == c.msg_id && d.endpoint_id == c.endpoint_id)
    }));
    // After the lease, unfinished claims come back.
    let later = s
        .claim_due(2_000, 3_000, 100, 100, &[])
        .await
        .expect("claim");
    assert_eq!(later.len(), 30);
}

/// A message to every endpoint of `app_a`, created at `at`.
async fn queue(s: &dyn Store, id: &str, at: Millis) {
    let msg = Message {
        id: id.into(),
        app_id: "app_a".into(),
        event_id: None,
        event_type: "t".into(),
        channels: None,
        payload: Some("{}".into()),
        payload_expires_at: i64::MAX,
        created_at: at,
    };
    s.create_message(&msg, &Targets::Matching, at)
        .await
        .expect("create");
}

async fn attempts_at_once_track_one_run_of_failures(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    for i in 0..40 {
        queue(s.as_ref(), &format!("msg_{i:02}"), i).await;
    }
    let attempt = |i: i64, status: DeliveryStatus| Attempt {
        id: format!("atmpt_{i:03}"),
        msg_id: format!("msg_{i:02}"),
        endpoint_id: "ep_1".into(),
        url: "https://example.com/hook".into(),
        status,
        response_status_code: if status == DeliveryStatus::Success {
            200
        } else {
            500
        },
        response: String::new(),
        response_duration_ms: 1,
        trigger_type: 0,
        failure_reason: None,
        created_at: 100 + i,
    };
    let update = DeliveryUpdate {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(10_000),
        lease_until: 0,
    };
    // Twenty failures recorded at once (group-committed together where the store does):
    // one run of failures, begun by one of them, the same answer for all.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let s = s.clone();
        let a = attempt(i, DeliveryStatus::Fail);
        tasks.spawn(async move { s.finish_attempt(&a, update).await });
    }
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let since = r
            .expect("task")
            .expect("recorded")
            .expect("a run is going on");
        assert!((100..120).contains(&since), "{since}");
        seen.insert(since);
    }
    assert_eq!(seen.len(), 1, "one run: {seen:?}");
    // A success ends it; the next failure starts a new one.
    let ok = attempt(20, DeliveryStatus::Success);
    assert_eq!(s.finish_attempt(&ok, update).await.expect("ok"), None);
    let again = attempt(21, DeliveryStatus::Fail);
    assert_eq!(
        s.finish_attempt(&again, update).await.expect("fail"),
        Some(121)
    );
    let listed = s
        .list_attempts(
            AttemptScope::Endpoint("ep_1"),
            &page(100, None, false, Order::Ascending),
            &AttemptFilter::default(),
        )
        .await
        .expect("list");
    assert_eq!(listed.len(), 22, "every attempt recorded");
}

async fn a_worker_whose_lease_ran_out_cannot_move_the_delivery_on(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    queue(s.as_ref(), "msg_1", 1).await;
    // Worker A claims until 100; its lease runs out; worker B takes the delivery over.
    let a = s.claim_due(10, 100, 10, 10, &[]).await.expect("claim");
    let b = s.claim_due(200, 1_000, 10, 10, &[]).await.expect("claim");
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!((a[0].lease_until, b[0].lease_until), (100, 1_000));
    let attempt = |id: &str, at: Millis| Attempt {
        id: id.into(),
        msg_id: "msg_1".into(),
        endpoint_id: "ep_1".into(),
        url: "https://example.com/hook".into(),
        status: DeliveryStatus::Fail,
        response_status_code: 500,
        response: String::new(),
        response_duration_ms: 1,
        trigger_type: 0,
        failure_reason: None,
        created_at: at,
    };
    // A's late attempt is recorded (it happened) but leaves B's claim alone; so does A's
    // give-back at shutdown.
    let late = DeliveryUpdate {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(5_000),
        lease_until: a[0].lease_until,
    };
    s.finish_attempt(&attempt("atmpt_a", 300), late)
        .await
        .expect("recorded");
    s.release_claims(&[("msg_1".into(), "ep_1".into(), a[0].lease_until)], 310)
        .await
        .expect("release");
    let d = &s.deliveries_of_message("msg_1").await.expect("d")[0];
    assert_eq!(d.status, DeliveryStatus::Sending, "still B's");
    // B's attempt moves it on.
    let done = DeliveryUpdate {
        status: DeliveryStatus::Success,
        next_attempt_at: None,
        lease_until: b[0].lease_until,
    };
    s.finish_attempt(&attempt("atmpt_b", 400), done)
        .await
        .expect("recorded");
    let d = &s.deliveries_of_message("msg_1").await.expect("d")[0];
    assert_eq!(d.status, DeliveryStatus::Success);
    let listed = s
        .list_attempts(
            AttemptScope::Message("msg_1"),
            &page(10, None, false, Order::Ascending),
            &AttemptFilter::default(),
        )
        .await
        .expect("list");
    assert_eq!(listed.len(), 2, "both attempts are in the log");
}

/// What only a shared store does: several nodes' claims never meet, and the breakers and
/// throttles of one node are seen by the others.
mod shared {
    use super::*;

    #[tokio::test]
    async fn concurrent_claims_from_several_nodes_never_overlap() {
        let Some(t) = postgres().await else { return };
        let s = t.s.clone();
        s.create_app(&app("app_a", None)).await.expect("app");
        for i in 0..8 {
            s.create_endpoint(&endpoint(&format!("ep_{i}"), "app_a"))
                .await
                .expect("ep");
        }
        for i in 0..250 {
            queue(s.as_ref(), &format!("msg_{i:03}"), i).await;
        }
        // Eight claimers at once, as eight nodes would, until the queue is empty.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let s = s.clone();
            tasks.spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let c = s
                        .claim_due(1_000, 100_000, 37, 16, &[])
                        .await
                        .expect("claim");
                    if c.is_empty() {
                        return mine;
                    }
                    assert!(c.iter().all(|c| c.message.is_some()));
                    mine.extend(c.into_iter().map(|c| (c.msg_id, c.endpoint_id)));
                }
            });
        }
        let mut all = Vec::new();
        while let Some(r) = tasks.join_next().await {
            all.extend(r.expect("task"));
        }
        let distinct: std::collections::HashSet<_> = all.iter().cloned().collect();
        assert_eq!(all.len(), 2_000, "every delivery claimed");
        assert_eq!(distinct.len(), all.len(), "none claimed twice");
    }

    #[tokio::test]
    async fn an_open_circuit_keeps_every_node_away_until_it_ends() {
        let Some(t) = postgres().await else { return };
        let s = t.s.clone();
        s.create_app(&app("app_a", None)).await.expect("app");
        for id in ["ep_1", "ep_2"] {
            s.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
        }
        queue(s.as_ref(), "msg_1", 1).await;
        s.open_circuit("ep_1", 500).await.expect("open");
        s.open_circuit("ep_gone", 500)
            .await
            .expect("a deleted endpoint is no error");
        let c = s.claim_due(100, 100_000, 10, 10, &[]).await.expect("claim");
        assert_eq!(
            c.iter().map(|c| c.endpoint_id.as_str()).collect::<Vec<_>>(),
            ["ep_2"]
        );
        // Past the open period, the endpoint is claimed again; closing clears it at once.
        let c = s.claim_due(600, 100_000, 10, 10, &[]).await.expect("claim");
        assert_eq!(c.len(), 1);
        s.open_circuit("ep_2", 10_000).await.expect("open");
        s.close_circuit("ep_2").await.expect("close");
        queue(s.as_ref(), "msg_2", 800).await;
        let c = s.claim_due(900, 100_000, 10, 10, &[]).await.expect("claim");
        assert_eq!(c.len(), 2);
    }

    #[tokio::test]
    async fn a_restarted_node_takes_back_its_own_claims_and_no_others() {
        let Some(url) = postgres_url().await else {
            return;
        };
        let open = |node: &str| {
            let options = PgOptions {
                url: url.clone(),
                max_connections: 4,
                connect_timeout: std::time::Duration::from_secs(10),
                node_id: Some(node.to_owned()),
            };
            async move { PgStore::open(&options, cipher()).await.expect("open") }
        };
        let a = open("node-a").await;
        let b = open("node-b").await;
        a.create_app(&app("app_a", None)).await.expect("app");
        for id in ["ep_1", "ep_2"] {
            a.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
        }
        for i in 0..5 {
            queue(&a, &format!("msg_{i}"), i).await;
        }
        let by_a = a.claim_due(10, 100_000, 100, 1, &[]).await.expect("claim");
        let by_b = b.claim_due(10, 100_000, 100, 1, &[]).await.expect("claim");
        assert_eq!((by_a.len(), by_b.len()), (2, 2));
        // Node A dies and starts again under its name: its two claims come back at once,
        // node B's stay B's.
        drop(a);
        let a = open("node-a").await;
        assert_eq!(a.reclaim_after_restart(20).await.expect("reclaim"), 2);
        let again = a.claim_due(30, 100_000, 100, 5, &[]).await.expect("claim");
        let mut got: Vec<_> = again.iter().map(|c| c.msg_id.clone()).collect();
        got.sort();
        // A's two back, and the six never claimed (ten deliveries, four claimed).
        assert_eq!(again.len(), 8);
        assert!(by_a.iter().all(|c| got.contains(&c.msg_id)));
        assert!(by_b.iter().all(|c| {
            !again
                .iter()
                .any(|d| d.msg_id == c.msg_id && d.endpoint_id == c.endpoint_id)
        }));
    }

    #[tokio::test]
    async fn throttle_slots_are_shared_and_spaced() {
        let Some(t) = postgres().await else { return };
        let s = t.s.clone();
        s.create_app(&app("app_a", None)).await.expect("app");
        s.create_endpoint(&endpoint("ep_1", "app_a"))
            .await
            .expect("ep");
        // Twenty slots taken at once, as from several nodes: all distinct, 100 ms apart.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let s = s.clone();
            tasks.spawn(async move { s.throttle_slot("ep_1", 100, 1_000).await });
        }
        let mut slots = Vec::new();
        while let Some(r) = tasks.join_next().await {
            slots.push(r.expect("task").expect("slot").expect("shared"));
        }
        slots.sort_unstable();
        assert_eq!(slots, (0..20).map(|i| 1_000 + 100 * i).collect::<Vec<_>>());
        // No credit builds up while idle.
        assert_eq!(
            s.throttle_slot("ep_1", 100, 50_000).await.expect("slot"),
            Some(50_000)
        );
    }
}
