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
    announced_circuits_read_back_and_disabling_says_why,
    sessions_end_at_expiry_sign_out_or_with_their_application,
    portal_codes_work_once_and_not_late,
    activity_counts_by_bucket_and_lists_endpoints_not_delivering,
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
    sources_keep_their_keys_sealed_and_their_uid_unique,
    requests_list_newest_first_and_rejections_are_bounded,
    a_forwarded_message_keeps_its_content_type_and_headers,
    a_binary_forwarded_body_comes_back_byte_for_byte,
    a_received_event_commits_with_its_record_and_repeats_do_not,
    request_counts_cover_the_period_up_to_the_cap,
    closed_minutes_are_counted_once_and_the_open_one_live,
    attempts_of_an_application_are_its_own_newest_first,
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

mod activity;
mod idempotency;
mod messages;
mod queue;
mod records;
mod sessions;
mod shared;
mod sources;

use sessions::{
    activity_counts_by_bucket_and_lists_endpoints_not_delivering,
    portal_codes_work_once_and_not_late, sessions_end_at_expiry_sign_out_or_with_their_application,
};

use activity::{
    attempts_of_an_application_are_its_own_newest_first,
    closed_minutes_are_counted_once_and_the_open_one_live,
};
use idempotency::{idempotency_keys_are_bound_to_their_request, idempotency_keys_claim_once};
use messages::{
    a_message_and_its_deliveries_commit_together,
    concurrent_messages_isolate_a_conflict_to_its_own, matching_endpoints_follow_their_filters,
};
use records::{
    endpoint_secrets_and_headers_are_encrypted_at_rest, ids_sort_byte_by_byte_whatever_the_locale,
    pages_forward_and_back_in_both_orders, uids_are_unique_and_addressable,
};
use sources::{
    a_binary_forwarded_body_comes_back_byte_for_byte,
    a_forwarded_message_keeps_its_content_type_and_headers,
    a_received_event_commits_with_its_record_and_repeats_do_not,
    request_counts_cover_the_period_up_to_the_cap,
    requests_list_newest_first_and_rejections_are_bounded,
    sources_keep_their_keys_sealed_and_their_uid_unique,
};

use queue::{
    a_worker_whose_lease_ran_out_cannot_move_the_delivery_on,
    announced_circuits_read_back_and_disabling_says_why,
    attempts_at_once_track_one_run_of_failures,
    claims_since_skip_older_work_and_refills_read_one_endpoint,
    claims_take_at_most_the_cap_per_endpoint_and_skip_busy_ones, queue,
};
