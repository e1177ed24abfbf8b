//! What both SQL backends share: paging, unique-key conflicts, JSON columns.

use sqlx::{Database, QueryBuilder};

use super::{Order, Page, Result, StoreError};

/// Appends ` AND key >|< cursor ORDER BY key ASC|DESC LIMIT n` for `page`. Rows come back
/// in query order; [`finish_page`] puts a backwards page back into the requested order.
pub(super) fn push_page<'a, DB: Database>(q: &mut QueryBuilder<'a, DB>, key: &str, page: &Page)
where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let ascending_scan = (page.order == Order::Ascending) != page.backwards;
    if let Some(cursor) = &page.cursor {
        q.push(format_args!(
            " AND {key} {} ",
            if ascending_scan { ">" } else { "<" }
        ));
        q.push_bind(cursor.clone());
    }
    q.push(format_args!(
        " ORDER BY {key} {} LIMIT ",
        if ascending_scan { "ASC" } else { "DESC" }
    ));
    q.push_bind(i64::try_from(page.limit).unwrap_or(i64::MAX));
}

pub(super) fn finish_page<T>(page: &Page, mut rows: Vec<T>) -> Vec<T> {
    if page.backwards {
        rows.reverse();
    }
    rows
}

/// Unique-constraint violations become `Conflict`; the rest stay database errors.
pub(super) fn conflict(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(what.to_owned())
        }
        _ => e.into(),
    }
}

pub(super) fn json_text<T: serde::Serialize>(v: &T) -> String {
    // Serializing maps, vectors and values of strings cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn from_json_opt<T: serde::de::DeserializeOwned>(
    text: Option<String>,
) -> Result<Option<T>> {
    text.map(|t| from_json(&t)).transpose()
}

/// The value sealed on a store's first start and opened on every later one, so a wrong
/// `HOOKLINE_ENCRYPTION_KEY` (or a swapped key file) fails at start, not on some later
/// request that needs a secret.
pub(super) const KEY_CANARY: &[u8] = b"hookline encryption key check";

/// Checks a sealed canary read back from the store against `cipher`.
pub(super) fn check_canary(cipher: &crate::crypto::Cipher, sealed: &[u8]) -> anyhow::Result<()> {
    let opened = cipher.open("meta/key_check", sealed).ok();
    if opened.as_deref() != Some(KEY_CANARY) {
        anyhow::bail!(
            "the encryption key does not match this database: set HOOKLINE_ENCRYPTION_KEY (or restore encryption.key) to the key it was created with"
        );
    }
    Ok(())
}
