//! How the client commands print: a table or a `field: value` list for people, the API's JSON
//! as is with `--json` for scripts. Pagination flags live here too, since every list has them.

use std::io::{IsTerminal as _, Write as _};

use clap::Args;
use serde_json::Value;

use super::remote::{Client, page_parts, with_query};

/// `--json`.
#[derive(Clone, Copy, Debug, Args)]
pub(crate) struct Format {
    /// Print the API's JSON as it came, for scripts.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// `--limit`, `--iterator`, `--all`.
#[derive(Clone, Debug, Args)]
pub(crate) struct Paging {
    /// Items per page (the server's default when absent).
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Start from this cursor (printed under a page that is not the last).
    #[arg(long, value_name = "CURSOR", conflicts_with = "all")]
    iterator: Option<String>,
    /// Follow the cursor to the end and print every item.
    #[arg(long)]
    all: bool,
}

/// One column: its heading and the JSON field it shows.
pub(crate) type Column = (&'static str, &'static str);

/// Lists `path` as `paging` says, printing a table of `columns` (or the JSON).
pub(crate) async fn list(
    client: &Client,
    path: &str,
    mut query: Vec<(String, String)>,
    paging: &Paging,
    format: Format,
    columns: &[Column],
) -> anyhow::Result<()> {
    if let Some(l) = paging.limit {
        query.push(("limit".into(), l.to_string()));
    }
    if paging.all {
        let tty = std::io::stderr().is_terminal();
        let items = client
            .list_all(path, &query, |n| {
                if tty {
                    eprint!("\rfetched {n}…");
                }
            })
            .await?;
        if tty {
            eprint!("\r\x1b[K");
        }
        if format.json {
            let all = serde_json::json!({
                "data": items, "iterator": null, "prevIterator": null, "done": true
            });
            json(&all)?;
        } else {
            table(&items, columns)?;
        }
        return Ok(());
    }
    if let Some(it) = &paging.iterator {
        query.push(("iterator".into(), it.clone()));
    }
    let page = client.get(&with_query(path, &query)).await?;
    if format.json {
        return json(&page);
    }
    let (items, next) = page_parts(&page);
    table(&items, columns)?;
    if let Some(next) = next {
        eprintln!("more: --iterator {next} (or --all)");
    }
    Ok(())
}

/// Prints one object: its JSON, or `field: value` lines.
pub(crate) fn one(v: &Value, format: Format) -> anyhow::Result<()> {
    if format.json {
        return json(v);
    }
    match v.as_object() {
        Some(map) => {
            let width = map.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in map {
                say!("{k:width$}  {}", cell(v, usize::MAX));
            }
        }
        None => say!("{}", cell(v, usize::MAX)),
    }
    Ok(())
}

/// Pretty JSON on stdout.
pub(crate) fn json(v: &Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// A table with a heading line; cells longer than 48 characters are cut with `…`.
pub(crate) fn table(items: &[Value], columns: &[Column]) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|it| columns.iter().map(|(_, f)| cell(&it[*f], 48)).collect())
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|(h, _)| h.len()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:w$}  "));
            }
        }
        s
    };
    say!(
        "{}",
        line(columns.iter().map(|(h, _)| (*h).to_owned()).collect())
    );
    for row in rows {
        say!("{}", line(row));
    }
    if items.is_empty() {
        say!("(none)");
    }
    Ok(())
}

/// A value as a person reads it: strings bare, null as `-`, lists comma-joined.
fn cell(v: &Value, max: usize) -> String {
    let s = match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Runs `f` on a runtime of its own: the client commands are short and do their I/O there.
pub(crate) fn block_on<T>(f: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

/// `Ok(())` for a delete's empty answer, printed as a line for people.
pub(crate) fn done(what: &str, format: Format) -> anyhow::Result<()> {
    if !format.json {
        say!("{what}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_well() {
        assert_eq!(cell(&Value::Null, 10), "-");
        assert_eq!(cell(&serde_json::json!(["a", "b"]), 10), "a,b");
        assert_eq!(cell(&serde_json::json!({"k": 1}), 10), r#"{"k":1}"#);
        assert_eq!(cell(&serde_json::json!("abcdefghijk"), 5), "abcd…");
    }
}
