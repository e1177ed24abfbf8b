//! The SQL both engines share: statements and their arguments (`stmt`), running them
//! (`exec`), unique-key conflicts, JSON columns, the encryption-key canary.

pub(crate) mod exec;
pub(crate) mod stmt;

pub(crate) use exec::{Columns, Exec, Migrate};
pub(crate) use stmt::{Stmt, finish_page};

use super::{Result, StoreError};

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
