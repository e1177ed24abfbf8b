//! Running a [`Stmt`] on either engine's pool, and reading its rows by column name.

use async_trait::async_trait;
use sqlx::Row as _;

use super::stmt::{Arg, Stmt};

/// Reading a column by name, for both engines' rows. The schema is the store's own, so a
/// column of the wrong type is a bug in a migration, not outside input.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> String;
    fn opt_text(&self, column: &str) -> Option<String>;
    fn int(&self, column: &str) -> i64;
    fn opt_int(&self, column: &str) -> Option<i64>;
    fn flag(&self, column: &str) -> bool;
    fn blob(&self, column: &str) -> Vec<u8>;
    fn opt_blob(&self, column: &str) -> Option<Vec<u8>>;
}

/// What the shared statements need of a pool: run one and say how many rows it changed,
/// or read its rows.
#[async_trait]
pub(crate) trait Exec: Send + Sync + 'static {
    type Row: Columns + Send + Sync;
    async fn execute(&self, s: Stmt<'_>) -> Result<u64, sqlx::Error>;
    async fn fetch_optional(&self, s: Stmt<'_>) -> Result<Option<Self::Row>, sqlx::Error>;
    async fn fetch_all(&self, s: Stmt<'_>) -> Result<Vec<Self::Row>, sqlx::Error>;
    async fn fetch_one(&self, s: Stmt<'_>) -> Result<Self::Row, sqlx::Error>;
}

/// Applying the compiled-in migrations on one connection. (A native `async fn`: called on
/// the concrete connection types only, and `async_trait`'s boxing defeats sqlx's
/// higher-ranked `Executor` bounds on `&mut Connection`.)
pub(crate) trait Migrate {
    /// Applies those of `migrations` (version, SQL) not applied yet, in order, each in its
    /// own transaction with its row in `schema_migration`.
    async fn apply(&mut self, migrations: &[(i64, &'static str)]) -> anyhow::Result<()>;
}

/// The same few lines for each engine's concrete types: sqlx's traits for "any database"
/// need a dozen bounds at every generic use, where two small impls need none.
macro_rules! exec_for {
    ($pool:ty, $db:ty, $row:ty, $conn:ty) => {
        impl Migrate for $conn {
            async fn apply(&mut self, migrations: &[(i64, &'static str)]) -> anyhow::Result<()> {
                use sqlx::Connection as _;
                sqlx::query("CREATE TABLE IF NOT EXISTS schema_migration (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                    .execute(&mut *self)
                    .await?;
                for &(version, sql) in migrations {
                    let mut tx = self.begin().await?;
                    let done = sqlx::query("SELECT version FROM schema_migration WHERE version = $1")
                        .bind(version)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if done.is_some() {
                        continue;
                    }
                    sqlx::raw_sql(sql).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO schema_migration (version, applied_at) VALUES ($1, $2)")
                        .bind(version)
                        .bind(crate::now_millis())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    tracing::info!(version, "applied migration");
                }
                Ok(())
            }
        }

        impl Columns for $row {
            fn text(&self, column: &str) -> String {
                self.get(column)
            }
            fn opt_text(&self, column: &str) -> Option<String> {
                self.get(column)
            }
            fn int(&self, column: &str) -> i64 {
                self.get(column)
            }
            fn opt_int(&self, column: &str) -> Option<i64> {
                self.get(column)
            }
            fn flag(&self, column: &str) -> bool {
                self.get(column)
            }
            fn blob(&self, column: &str) -> Vec<u8> {
                self.get(column)
            }
            fn opt_blob(&self, column: &str) -> Option<Vec<u8>> {
                self.get(column)
            }
        }

        #[async_trait]
        impl Exec for $pool {
            type Row = $row;
            async fn execute(&self, s: Stmt<'_>) -> Result<u64, sqlx::Error> {
                Ok(bind::<$db>(&s).execute(self).await?.rows_affected())
            }
            async fn fetch_optional(&self, s: Stmt<'_>) -> Result<Option<$row>, sqlx::Error> {
                bind::<$db>(&s).fetch_optional(self).await
            }
            async fn fetch_all(&self, s: Stmt<'_>) -> Result<Vec<$row>, sqlx::Error> {
                bind::<$db>(&s).fetch_all(self).await
            }
            async fn fetch_one(&self, s: Stmt<'_>) -> Result<$row, sqlx::Error> {
                bind::<$db>(&s).fetch_one(self).await
            }
        }
    };
}

exec_for!(
    sqlx::SqlitePool,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteRow,
    sqlx::SqliteConnection
);
exec_for!(
    sqlx::PgPool,
    sqlx::Postgres,
    sqlx::postgres::PgRow,
    sqlx::PgConnection
);

/// `s` as an sqlx query of engine `DB`, its arguments bound in order.
fn bind<'q, DB: sqlx::Database>(
    s: &'q Stmt<'_>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q [u8]>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut q = sqlx::query::<DB>(&s.sql);
    for arg in &s.args {
        q = match arg {
            Arg::Text(v) => q.bind(v.as_deref()),
            Arg::Int(v) => q.bind(*v),
            Arg::Bool(v) => q.bind(*v),
            Arg::Blob(v) => q.bind(v.as_deref()),
        };
    }
    q
}
