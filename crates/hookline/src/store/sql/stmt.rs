//! A statement and its arguments, written once for both engines.
//!
//! Both SQLite and PostgreSQL take `$1`-style numbered parameters (SQLite reads `$N` as
//! parameter N; sqlx binds by that number), `TRUE`/`FALSE` and `NOT flag`, so one text serves
//! both. The arguments are held as a small enum so the statement can be built without
//! naming the engine; each engine binds them to its own query type (`sql::exec`).

use std::borrow::Cow;
use std::fmt::Write as _;

use super::Exec;
use crate::store::{Order, Page};

/// A value bound to one parameter: the four column types the schema uses.
#[derive(Clone, Debug)]
pub(crate) enum Arg<'a> {
    Text(Option<Cow<'a, str>>),
    Int(Option<i64>),
    Bool(bool),
    Blob(Option<Cow<'a, [u8]>>),
}

/// SQL text and its arguments, in parameter order.
#[derive(Clone, Debug)]
pub(crate) struct Stmt<'a> {
    pub(super) sql: Cow<'static, str>,
    pub(super) args: Vec<Arg<'a>>,
}

impl<'a> Stmt<'a> {
    /// A statement whose text is fixed and names its parameters `$1`, `$2`, …; the
    /// arguments follow with [`Stmt::bind`], in that order.
    pub(crate) fn new(sql: &'static str) -> Self {
        Stmt {
            sql: Cow::Borrowed(sql),
            args: Vec::new(),
        }
    }

    /// Binds the next parameter.
    pub(crate) fn bind(mut self, arg: impl Into<Arg<'a>>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Runs the statement on `pool`; returns how many rows it changed.
    pub(crate) async fn execute<P: Exec>(self, pool: &P) -> Result<u64, sqlx::Error> {
        pool.execute(self).await
    }

    /// Runs the query on `pool`; its one row, if any.
    pub(crate) async fn fetch_optional<P: Exec>(
        self,
        pool: &P,
    ) -> Result<Option<P::Row>, sqlx::Error> {
        pool.fetch_optional(self).await
    }

    /// Runs the query on `pool`; its rows.
    pub(crate) async fn fetch_all<P: Exec>(self, pool: &P) -> Result<Vec<P::Row>, sqlx::Error> {
        pool.fetch_all(self).await
    }

    /// Runs the query on `pool`; its one row (an error if none).
    pub(crate) async fn fetch_one<P: Exec>(self, pool: &P) -> Result<P::Row, sqlx::Error> {
        pool.fetch_one(self).await
    }

    /// Appends text (for statements built piece by piece, like filtered lists).
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.to_mut().push_str(sql);
        self
    }

    /// Appends the placeholder of a new parameter and binds it.
    pub(crate) fn push_bind(&mut self, arg: impl Into<Arg<'a>>) -> &mut Self {
        self.args.push(arg.into());
        let n = self.args.len();
        // Writing to a String cannot fail.
        let _ = write!(self.sql.to_mut(), "${n}");
        self
    }

    /// Appends `(p1, p2, …)` with one parameter per value (for `IN` lists).
    pub(crate) fn push_list<T: Into<Arg<'a>>>(&mut self, values: impl IntoIterator<Item = T>) {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(v);
        }
        self.push(")");
    }

    /// Appends ` AND key >|< cursor ORDER BY key ASC|DESC LIMIT n` for `page`. Rows come
    /// back in query order; [`finish_page`] puts a backwards page back into the requested
    /// order.
    pub(crate) fn push_page(&mut self, key: &str, page: &'a Page) {
        let ascending_scan = (page.order == Order::Ascending) != page.backwards;
        if let Some(cursor) = &page.cursor {
            self.push(&format!(
                " AND {key} {} ",
                if ascending_scan { ">" } else { "<" }
            ));
            self.push_bind(cursor.as_str());
        }
        self.push(&format!(
            " ORDER BY {key} {} LIMIT ",
            if ascending_scan { "ASC" } else { "DESC" }
        ));
        self.push_bind(i64::try_from(page.limit).unwrap_or(i64::MAX));
    }
}

/// Puts a page read backwards back into the order asked for.
pub(crate) fn finish_page<T>(page: &Page, mut rows: Vec<T>) -> Vec<T> {
    if page.backwards {
        rows.reverse();
    }
    rows
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}
impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Arg::Text(v.as_deref().map(Cow::Borrowed))
    }
}
impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v.map(Cow::Owned))
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v.map(Cow::Borrowed))
    }
}
impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<Vec<u8>> for Arg<'_> {
    fn from(v: Vec<u8>) -> Self {
        Arg::Blob(Some(Cow::Owned(v)))
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Blob(Some(Cow::Borrowed(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(cursor: Option<&str>, backwards: bool) -> Page {
        Page {
            limit: 10,
            cursor: cursor.map(str::to_owned),
            backwards,
            order: Order::Descending,
        }
    }

    #[test]
    fn placeholders_number_on_from_the_fixed_part() {
        let p = page(Some("app_2"), false);
        let mut s = Stmt::new("SELECT * FROM application WHERE name = $1").bind("x");
        s.push(" AND id IN ");
        s.push_list(["a", "b"]);
        s.push_page("id", &p);
        assert_eq!(
            s.sql,
            "SELECT * FROM application WHERE name = $1 AND id IN ($2, $3) AND id < $4 ORDER BY id DESC LIMIT $5"
        );
        assert_eq!(s.args.len(), 5);
    }

    #[test]
    fn a_backwards_page_scans_the_other_way_and_is_turned_back() {
        let p = page(Some("app_2"), true);
        let mut s = Stmt::new("SELECT 1 WHERE 1=1");
        s.push_page("id", &p);
        assert!(
            s.sql.ends_with("AND id > $1 ORDER BY id ASC LIMIT $2"),
            "{}",
            s.sql
        );
        assert_eq!(finish_page(&p, vec![1, 2, 3]), vec![3, 2, 1]);
        assert_eq!(finish_page(&page(None, false), vec![1, 2]), vec![1, 2]);
    }
}
