//! Tokens and idempotency keys.

use async_trait::async_trait;
use sqlx::Row as _;

use super::{SqliteStore, conflict};
use crate::store::{AuthStore, Idempotent, Millis, Result, StoreError, Token};

/// How long an unfinished idempotent request holds its key.
const STALE_CLAIM_MS: Millis = 60_000;

#[async_trait]
impl AuthStore for SqliteStore {
    async fn create_token(&self, token: &Token, hash: &str, now: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO token (id, hash, app_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&token.id)
        .bind(hash)
        .bind(&token.app_id)
        .bind(token.expires_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(conflict("token"))?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        let row = sqlx::query("SELECT id, app_id, expires_at FROM token WHERE hash = ?")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| Token {
            id: r.get("id"),
            app_id: r.get("app_id"),
            expires_at: r.get("expires_at"),
        }))
    }

    async fn has_admin_token(&self) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM token WHERE app_id IS NULL LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn replace_token(&self, token: &Token, hash: &str, now: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO token (id, hash, app_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET hash = ?2, app_id = ?3, expires_at = ?4",
        )
        .bind(&token.id)
        .bind(hash)
        .bind(&token.app_id)
        .bind(token.expires_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(conflict("token"))?;
        Ok(())
    }

    async fn revoke_admin_tokens_except(&self, keep: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM token WHERE app_id IS NULL AND id != ?")
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    async fn claim_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        now: Millis,
    ) -> Result<Option<Idempotent>> {
        // A claim whose request never finished (the process died, or the handler was
        // dropped) is taken over after a minute instead of answering 409 for a day, by the
        // same request only: the key stays bound to the request that claimed it.
        let claimed = sqlx::query(
            "INSERT INTO idempotency (key, fingerprint, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key) DO UPDATE SET created_at = ?3, fingerprint = ?2 \
             WHERE idempotency.status IS NULL AND idempotency.created_at < ?4 \
             AND (idempotency.fingerprint IS NULL OR idempotency.fingerprint = ?2)",
        )
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .bind(now - STALE_CLAIM_MS)
        .execute(&self.pool)
        .await?;
        if claimed.rows_affected() == 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT status, body, fingerprint FROM idempotency WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Some(match row {
            // Bound to another request. No fingerprint: claimed before fingerprints were
            // stored, replayed as then.
            Some(r)
                if r.get::<Option<String>, _>("fingerprint")
                    .is_some_and(|f| f != fingerprint) =>
            {
                Idempotent::OtherRequest
            }
            Some(r) => match r.get::<Option<i64>, _>("status") {
                Some(status) => {
                    let sealed = r.get::<Option<Vec<u8>>, _>("body").unwrap_or_default();
                    // Stored responses can hold secrets (a rotated key, a portal token): sealed.
                    let body = self
                        .cipher
                        .open(&format!("idempotency/{key}"), &sealed)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    Idempotent::Done {
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                    }
                }
                None => Idempotent::InProgress,
            },
            // Purged between the two statements: treat as running, the client retries.
            None => Idempotent::InProgress,
        }))
    }

    async fn finish_idempotency_key(&self, key: &str, status: u16, body: &[u8]) -> Result<()> {
        sqlx::query("UPDATE idempotency SET status = ?, body = ? WHERE key = ?")
            .bind(i64::from(status))
            .bind(self.cipher.seal(&format!("idempotency/{key}"), body))
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release_idempotency_key(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency WHERE key = ? AND status IS NULL")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, before: Millis) -> Result<u64> {
        let r = sqlx::query("DELETE FROM idempotency WHERE created_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
