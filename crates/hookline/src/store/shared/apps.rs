//! Applications and event types.

use async_trait::async_trait;

use super::{Engine, SqlStore};
use crate::store::rows::{app_row, event_type_row};
use crate::store::sql::{Exec as _, Stmt, conflict, finish_page, json_text};
use crate::store::{AppStore, Application, EventType, Page, Result};

#[async_trait]
impl<E: Engine> AppStore for SqlStore<E> {
    async fn create_app(&self, app: &Application) -> Result<()> {
        let s = Stmt::new("INSERT INTO application (id, uid, name, metadata, throttle_rate, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&app.id)
            .bind(&app.uid)
            .bind(&app.name)
            .bind(json_text(&app.metadata))
            .bind(app.throttle_rate.map(i64::from))
            .bind(app.created_at)
            .bind(app.updated_at);
        self.pool()
            .execute(s)
            .await
            .map_err(conflict("an application with this uid already exists"))?;
        Ok(())
    }

    async fn app(&self, id_or_uid: &str) -> Result<Option<Application>> {
        let s = Stmt::new(
            "SELECT * FROM application WHERE id = $1 OR uid = $1 ORDER BY id = $1 DESC LIMIT 1",
        )
        .bind(id_or_uid);
        let row = self.pool().fetch_optional(s).await?;
        row.as_ref().map(app_row).transpose()
    }

    async fn list_apps(&self, page: &Page) -> Result<Vec<Application>> {
        let mut s = Stmt::new("SELECT * FROM application WHERE 1=1");
        s.push_page("id", page);
        let rows = self.pool().fetch_all(s).await?;
        Ok(finish_page(
            page,
            rows.iter().map(app_row).collect::<Result<_>>()?,
        ))
    }

    async fn update_app(&self, app: &Application) -> Result<()> {
        let s = Stmt::new("UPDATE application SET uid = $1, name = $2, metadata = $3, throttle_rate = $4, updated_at = $5 WHERE id = $6")
            .bind(&app.uid)
            .bind(&app.name)
            .bind(json_text(&app.metadata))
            .bind(app.throttle_rate.map(i64::from))
            .bind(app.updated_at)
            .bind(&app.id);
        self.pool()
            .execute(s)
            .await
            .map_err(conflict("an application with this uid already exists"))?;
        self.changed();
        Ok(())
    }

    async fn delete_app(&self, id: &str) -> Result<bool> {
        let n = self
            .pool()
            .execute(Stmt::new("DELETE FROM application WHERE id = $1").bind(id))
            .await?;
        self.changed();
        Ok(n > 0)
    }

    async fn create_event_type(&self, et: &EventType) -> Result<()> {
        let s = Stmt::new("INSERT INTO event_type (name, description, archived, deprecated, feature_flag, schemas, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&et.name)
            .bind(&et.description)
            .bind(et.archived)
            .bind(et.deprecated)
            .bind(&et.feature_flag)
            .bind(et.schemas.as_ref().map(json_text))
            .bind(et.created_at)
            .bind(et.updated_at);
        self.pool()
            .execute(s)
            .await
            .map_err(conflict("an event type with this name already exists"))?;
        Ok(())
    }

    async fn event_type(&self, name: &str) -> Result<Option<EventType>> {
        let s = Stmt::new("SELECT * FROM event_type WHERE name = $1").bind(name);
        let row = self.pool().fetch_optional(s).await?;
        row.as_ref().map(event_type_row).transpose()
    }

    async fn list_event_types(
        &self,
        page: &Page,
        include_archived: bool,
    ) -> Result<Vec<EventType>> {
        let mut s = Stmt::new("SELECT * FROM event_type WHERE 1=1");
        if !include_archived {
            s.push(" AND NOT archived");
        }
        s.push_page("name", page);
        let rows = self.pool().fetch_all(s).await?;
        Ok(finish_page(
            page,
            rows.iter().map(event_type_row).collect::<Result<_>>()?,
        ))
    }

    async fn update_event_type(&self, et: &EventType) -> Result<()> {
        let s = Stmt::new("UPDATE event_type SET description = $1, archived = $2, deprecated = $3, feature_flag = $4, schemas = $5, updated_at = $6 WHERE name = $7")
            .bind(&et.description)
            .bind(et.archived)
            .bind(et.deprecated)
            .bind(&et.feature_flag)
            .bind(et.schemas.as_ref().map(json_text))
            .bind(et.updated_at)
            .bind(&et.name);
        self.pool().execute(s).await?;
        Ok(())
    }

    async fn delete_event_type(&self, name: &str) -> Result<bool> {
        // Svix archives rather than deletes, so messages keep a valid type.
        let s = Stmt::new("UPDATE event_type SET archived = TRUE, updated_at = $1 WHERE name = $2")
            .bind(crate::now_millis())
            .bind(name);
        Ok(self.pool().execute(s).await? > 0)
    }
}
