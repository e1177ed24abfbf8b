//! Tokens and idempotency keys.

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::store::sql::{Columns as _, Stmt, conflict, finish_page};
use crate::store::{AuthStore, Idempotent, Millis, Page, Result, StoreError, Token, TokenInfo};

/// How long an unfinished idempotent request holds its key.
const STALE_CLAIM_MS: Millis = 60_000;

#[async_trait]
impl<E: Engine> AuthStore for SqlStore<E> {
    async fn create_token(&self, token: &Token, hash: &str, now: Millis) -> Result<()> {
        Stmt::new(
            "INSERT INTO token (id, hash, app_id, expires_at, created_at, name, caps) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&token.id)
        .bind(hash)
        .bind(&token.app_id)
        .bind(token.expires_at)
        .bind(now)
        .bind(&token.name)
        .bind(token.caps)
        .execute(self.pool())
        .await
        .map_err(conflict("token"))?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        let row = Stmt::new("SELECT id, app_id, expires_at, name, caps FROM token WHERE hash = $1")
            .bind(hash)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| Token {
            id: r.text("id"),
            app_id: r.opt_text("app_id"),
            expires_at: r.opt_int("expires_at"),
            name: r.opt_text("name"),
            caps: r.opt_int("caps"),
        }))
    }

    async fn has_admin_token(&self) -> Result<bool> {
        let row = Stmt::new("SELECT 1 FROM token WHERE app_id IS NULL LIMIT 1")
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    async fn replace_token(&self, token: &Token, hash: &str, now: Millis) -> Result<()> {
        Stmt::new(
            "INSERT INTO token (id, hash, app_id, expires_at, created_at, caps) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET hash = $2, app_id = $3, expires_at = $4, caps = $6",
        )
        .bind(&token.id)
        .bind(hash)
        .bind(&token.app_id)
        .bind(token.expires_at)
        .bind(now)
        .bind(token.caps)
        .execute(self.pool())
        .await
        .map_err(conflict("token"))?;
        Ok(())
    }

    async fn revoke_admin_tokens_except(&self, keep: &str) -> Result<u64> {
        Ok(
            Stmt::new("DELETE FROM token WHERE app_id IS NULL AND name IS NULL AND id != $1")
                .bind(keep)
                .execute(self.pool())
                .await?,
        )
    }

    async fn list_admin_tokens(&self, page: &Page) -> Result<Vec<TokenInfo>> {
        let mut s =
            Stmt::new("SELECT id, name, expires_at, created_at FROM token WHERE app_id IS NULL");
        s.push_page("id", page);
        let rows = s.fetch_all(self.pool()).await?;
        let tokens = rows
            .iter()
            .map(|r| TokenInfo {
                id: r.text("id"),
                name: r.opt_text("name"),
                expires_at: r.opt_int("expires_at"),
                created_at: r.int("created_at"),
            })
            .collect();
        Ok(finish_page(page, tokens))
    }

    async fn revoke_admin_token(&self, id: &str) -> Result<bool> {
        let n = Stmt::new("DELETE FROM token WHERE id = $1 AND app_id IS NULL")
            .bind(id)
            .execute(self.pool())
            .await?;
        self.changed();
        Ok(n > 0)
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
        let claimed = Stmt::new(
            "INSERT INTO idempotency (key, fingerprint, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET created_at = $3, fingerprint = $2 \
             WHERE idempotency.status IS NULL AND idempotency.created_at < $4 \
             AND (idempotency.fingerprint IS NULL OR idempotency.fingerprint = $2)",
        )
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .bind(now - STALE_CLAIM_MS)
        .execute(self.pool())
        .await?;
        if claimed == 1 {
            return Ok(None);
        }
        let row = Stmt::new("SELECT status, body, fingerprint FROM idempotency WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        Ok(Some(match row {
            // Bound to another request. No fingerprint: claimed before fingerprints were
            // stored, replayed as then.
            Some(r) if r.opt_text("fingerprint").is_some_and(|f| f != fingerprint) => {
                Idempotent::OtherRequest
            }
            Some(r) => match r.opt_int("status") {
                Some(status) => {
                    let sealed = r.opt_blob("body").unwrap_or_default();
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
        Stmt::new("UPDATE idempotency SET status = $1, body = $2 WHERE key = $3")
            .bind(i64::from(status))
            .bind(self.cipher.seal(&format!("idempotency/{key}"), body))
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn release_idempotency_key(&self, key: &str) -> Result<()> {
        Stmt::new("DELETE FROM idempotency WHERE key = $1 AND status IS NULL")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, before: Millis) -> Result<u64> {
        Ok(Stmt::new("DELETE FROM idempotency WHERE created_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?)
    }
}
