//! Dashboard sessions and one-time app-portal codes.

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::store::sql::{Columns as _, Stmt, conflict};
use crate::store::{DashboardSession, Millis, PortalGrant, Result, SessionStore};

#[async_trait]
impl<E: Engine> SessionStore for SqlStore<E> {
    async fn create_session(&self, hash: &str, s: &DashboardSession) -> Result<()> {
        Stmt::new(
            "INSERT INTO dashboard_session (hash, id, app_id, caps, csrf, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash)
        .bind(&s.id)
        .bind(&s.app_id)
        .bind(s.caps)
        .bind(&s.csrf)
        .bind(s.expires_at)
        .execute(self.pool())
        .await
        .map_err(conflict("session"))?;
        Ok(())
    }

    async fn session(&self, hash: &str, now: Millis) -> Result<Option<DashboardSession>> {
        let row = Stmt::new(
            "SELECT id, app_id, caps, csrf, expires_at FROM dashboard_session \
             WHERE hash = $1 AND expires_at > $2",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| DashboardSession {
            id: r.text("id"),
            app_id: r.opt_text("app_id"),
            caps: r.int("caps"),
            csrf: r.text("csrf"),
            expires_at: r.int("expires_at"),
        }))
    }

    async fn delete_session(&self, hash: &str) -> Result<()> {
        Stmt::new("DELETE FROM dashboard_session WHERE hash = $1")
            .bind(hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn create_portal_code(&self, hash: &str, g: &PortalGrant) -> Result<()> {
        Stmt::new(
            "INSERT INTO portal_code (hash, app_id, caps, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(&g.app_id)
        .bind(g.caps)
        .bind(g.expires_at)
        .execute(self.pool())
        .await
        .map_err(conflict("portal code"))?;
        Ok(())
    }

    async fn take_portal_code(&self, hash: &str, now: Millis) -> Result<Option<PortalGrant>> {
        // One statement deletes and returns: of two requests with the same code, one
        // gets the row and the other nothing, on both engines.
        let row =
            Stmt::new("DELETE FROM portal_code WHERE hash = $1 RETURNING app_id, caps, expires_at")
                .bind(hash)
                .fetch_optional(self.pool())
                .await?;
        Ok(row
            .map(|r| PortalGrant {
                app_id: r.text("app_id"),
                caps: r.int("caps"),
                expires_at: r.int("expires_at"),
            })
            .filter(|g| g.expires_at > now))
    }

    async fn purge_sessions(&self, now: Millis) -> Result<u64> {
        let sessions = Stmt::new("DELETE FROM dashboard_session WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        let codes = Stmt::new("DELETE FROM portal_code WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(sessions + codes)
    }
}
