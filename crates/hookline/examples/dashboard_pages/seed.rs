//! Bulk rows for the dashboard benchmark: messages, their deliveries and one attempt each,
//! written straight into the database in large transactions (a million in seconds, where
//! delivering them would take many minutes), with ids of their own time as the server makes
//! them (`hookline::ids`: 48 bits of milliseconds, then 80 of anything, in base62).

use std::path::Path;

/// One message, its delivery and its attempt.
pub(crate) struct Row {
    pub(crate) msg_id: String,
    pub(crate) att_id: String,
    pub(crate) app_id: String,
    pub(crate) ep_id: String,
    pub(crate) at: i64,
    pub(crate) ok: bool,
}

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An id of `prefix` made at `millis`, `seq` in place of the random part.
fn id_at(prefix: &str, millis: i64, seq: u64) -> String {
    let mut n = (u128::try_from(millis).unwrap_or(0) << 80) | u128::from(seq);
    let mut digits = [b'0'; 22];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    format!("{prefix}_{}", String::from_utf8_lossy(&digits))
}

/// `n` rows evenly over `[from, to)`: every thousandth to the second application (`eps[1]`),
/// the rest to the first; one attempt in `fail_every` failed; each attempt 50 ms after its
/// message.
pub(crate) fn plan(
    eps: &[(String, String)],
    n: u64,
    from: i64,
    to: i64,
    fail_every: u64,
) -> Vec<Row> {
    let span = i128::from(to - from - 50);
    (0..n)
        .map(|i| {
            let at = from + i64::try_from(span * i128::from(i) / i128::from(n.max(1))).unwrap_or(0);
            let (app_id, ep_id) = &eps[usize::from(i % 1000 == 999)];
            Row {
                msg_id: id_at("msg", at, i),
                att_id: id_at("atmpt", at + 50, i),
                app_id: app_id.clone(),
                ep_id: ep_id.clone(),
                at,
                ok: i % fail_every != fail_every - 1,
            }
        })
        .collect()
}

const PAYLOAD: &str = r#"{"n":1,"note":"<b>x</b>"}"#;

/// Into the embedded database the server has open (it is idle meanwhile), in one transaction.
pub(crate) fn sqlite(path: &Path, rows: &[Row], url: &str) {
    let mut conn = rusqlite::Connection::open(path).expect("open the database");
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .expect("busy timeout");
    let tx = conn.transaction().expect("begin");
    {
        let mut m = tx
            .prepare("INSERT INTO message (id, app_id, event_type, payload, payload_expires_at, created_at) VALUES (?1, ?2, 'invoice.paid', ?3, ?4, ?5)")
            .expect("prepare");
        let mut d = tx
            .prepare("INSERT INTO delivery (msg_id, endpoint_id, status, created_at, updated_at, attempt_count) VALUES (?1, ?2, ?3, ?4, ?5, 1)")
            .expect("prepare");
        let mut a = tx
            .prepare("INSERT INTO attempt (id, msg_id, app_id, endpoint_id, url, status, response_status_code, response, response_duration_ms, trigger_type, failure_reason, created_at) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 12, 0, ?9, ?10)")
            .expect("prepare");
        for r in rows {
            let (status, code) = if r.ok { (0, 200) } else { (2, 500) };
            m.execute(rusqlite::params![
                r.msg_id,
                r.app_id,
                PAYLOAD,
                i64::MAX,
                r.at
            ])
            .expect("message");
            d.execute(rusqlite::params![
                r.msg_id,
                r.ep_id,
                status,
                r.at,
                r.at + 50
            ])
            .expect("delivery");
            a.execute(rusqlite::params![
                r.att_id,
                r.msg_id,
                r.app_id,
                r.ep_id,
                url,
                status,
                code,
                if r.ok { "ok" } else { "boom" },
                (!r.ok).then_some("the endpoint answered 500"),
                r.at + 50
            ])
            .expect("attempt");
        }
    }
    // No ANALYZE: the server never runs one, so its planner works without statistics.
    tx.commit().expect("commit");
}

/// Into the PostgreSQL database the server uses, in transactions of 20,000 rows.
pub(crate) async fn postgres(url: &str, rows: &[Row], hook: &str) {
    let pool = sqlx::PgPool::connect(url).await.expect("connect");
    for chunk in rows.chunks(20_000) {
        let col = |f: fn(&Row) -> String| chunk.iter().map(f).collect::<Vec<_>>();
        let at: Vec<i64> = chunk.iter().map(|r| r.at).collect();
        let status: Vec<i64> = chunk.iter().map(|r| if r.ok { 0 } else { 2 }).collect();
        let mut tx = pool.begin().await.expect("begin");
        sqlx::query(
            "INSERT INTO message (id, app_id, event_type, payload, payload_expires_at, created_at) \
             SELECT id, app_id, 'invoice.paid', $3, 9223372036854775807, at FROM unnest($1::text[], $2::text[], $4::int8[]) AS t(id, app_id, at)",
        )
        .bind(col(|r| r.msg_id.clone()))
        .bind(col(|r| r.app_id.clone()))
        .bind(PAYLOAD)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .expect("messages");
        sqlx::query(
            "INSERT INTO delivery (msg_id, endpoint_id, status, created_at, updated_at, attempt_count) \
             SELECT id, ep, st, at, at + 50, 1 FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[]) AS t(id, ep, st, at)",
        )
        .bind(col(|r| r.msg_id.clone()))
        .bind(col(|r| r.ep_id.clone()))
        .bind(&status)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .expect("deliveries");
        sqlx::query(
            "INSERT INTO attempt (id, msg_id, app_id, endpoint_id, url, status, response_status_code, response, response_duration_ms, trigger_type, failure_reason, created_at) \
             SELECT id, msg, app, ep, $5, st, CASE WHEN st = 0 THEN 200 ELSE 500 END, CASE WHEN st = 0 THEN 'ok' ELSE 'boom' END, 12, 0, \
                    CASE WHEN st = 0 THEN NULL ELSE 'the endpoint answered 500' END, at + 50 \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::int8[], $7::int8[]) AS t(id, msg, app, ep, st, at)",
        )
        .bind(col(|r| r.att_id.clone()))
        .bind(col(|r| r.msg_id.clone()))
        .bind(col(|r| r.app_id.clone()))
        .bind(col(|r| r.ep_id.clone()))
        .bind(hook)
        .bind(&status)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .expect("attempts");
        tx.commit().await.expect("commit");
    }
    // What autovacuum would do soon after such a load.
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .expect("analyze");
    pool.close().await;
}
