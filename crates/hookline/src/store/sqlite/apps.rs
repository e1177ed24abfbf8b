//! Applications and event types.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::{SqliteStore, conflict, finish_page, json_text, push_page};
use crate::store::rows::{app_row, event_type_row};
use crate::store::{AppStore, Application, EventType, Page, Result};

#[async_trait]
impl AppStore for SqliteStore {
    async fn create_app(&self, app: &Application) -> Result<()> {
        sqlx::query("INSERT INTO application (id, uid, name, metadata, throttle_rate, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(&app.id)
            .bind(&app.uid)
            .bind(&app.name)
            .bind(json_text(&app.metadata))
            .bind(app.throttle_rate.map(i64::from))
            .bind(app.created_at)
            .bind(app.updated_at)
            .execute(&self.pool)
            .await
            .map_err(conflict("an application with this uid already exists"))?;
        Ok(())
    }

    async fn app(&self, id_or_uid: &str) -> Result<Option<Application>> {
        let row = sqlx::query(
            "SELECT * FROM application WHERE id = ?1 OR uid = ?1 ORDER BY id = ?1 DESC LIMIT 1",
        )
        .bind(id_or_uid)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(app_row).transpose()
    }

    async fn list_apps(&self, page: &Page) -> Result<Vec<Application>> {
        let mut q = QueryBuilder::new("SELECT * FROM application WHERE 1=1");
        push_page(&mut q, "id", page);
        let rows = q.build().fetch_all(&self.pool).await?;
        Ok(finish_page(
            page,
            rows.iter().map(app_row).collect::<Result<_>>()?,
        ))
    }

    async fn update_app(&self, app: &Application) -> Result<()> {
        sqlx::query("UPDATE application SET uid = ?, name = ?, metadata = ?, throttle_rate = ?, updated_at = ? WHERE id = ?")
            .bind(&app.uid)
            .bind(&app.name)
            .bind(json_text(&app.metadata))
            .bind(app.throttle_rate.map(i64::from))
            .bind(app.updated_at)
            .bind(&app.id)
            .execute(&self.pool)
            .await
            .map_err(conflict("an application with this uid already exists"))?;
        self.changed();
        Ok(())
    }

    async fn delete_app(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM application WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(r.rows_affected() > 0)
    }

    async fn create_event_type(&self, et: &EventType) -> Result<()> {
        sqlx::query("INSERT INTO event_type (name, description, archived, deprecated, feature_flag, schemas, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&et.name)
            .bind(&et.description)
            .bind(et.archived)
            .bind(et.deprecated)
            .bind(&et.feature_flag)
            .bind(et.schemas.as_ref().map(json_text))
            .bind(et.created_at)
            .bind(et.updated_at)
            .execute(&self.pool)
            .await
            .map_err(conflict("an event type with this name already exists"))?;
        Ok(())
    }

    async fn event_type(&self, name: &str) -> Result<Option<EventType>> {
        let row = sqlx::query("SELECT * FROM event_type WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(event_type_row).transpose()
    }

    async fn list_event_types(
        &self,
        page: &Page,
        include_archived: bool,
    ) -> Result<Vec<EventType>> {
        let mut q = QueryBuilder::new("SELECT * FROM event_type WHERE 1=1");
        if !include_archived {
            q.push(" AND archived = 0");
        }
        push_page(&mut q, "name", page);
        let rows = q.build().fetch_all(&self.pool).await?;
        Ok(finish_page(
            page,
            rows.iter().map(event_type_row).collect::<Result<_>>()?,
        ))
    }

    async fn update_event_type(&self, et: &EventType) -> Result<()> {
        sqlx::query("UPDATE event_type SET description = ?, archived = ?, deprecated = ?, feature_flag = ?, schemas = ?, updated_at = ? WHERE name = ?")
            .bind(&et.description)
            .bind(et.archived)
            .bind(et.deprecated)
            .bind(&et.feature_flag)
            .bind(et.schemas.as_ref().map(json_text))
            .bind(et.updated_at)
            .bind(&et.name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_event_type(&self, name: &str) -> Result<bool> {
        // Svix archives rather than deletes, so messages keep a valid type.
        let r = sqlx::query("UPDATE event_type SET archived = 1, updated_at = ? WHERE name = ?")
            .bind(crate::now_millis())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }
}
