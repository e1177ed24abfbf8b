//! The import itself: event types first (endpoints filter on them), then each application
//! and its endpoints. Reads both spellings Svix has used (`filterTypes`/`eventTypes`,
//! `rateLimit`/`throttleRate`).

use anyhow::Context as _;
use serde_json::{Map, Value, json};

use super::diff::{changes, header_changes};
use super::{Outcome, Report};
use crate::cli::remote::{Client, seg};

/// The kinds, in the order they are imported and reported.
pub(crate) const KINDS: [&str; 3] = ["event types", "apps", "endpoints"];

pub(crate) async fn import(from: &Client, to: &Client) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let query = vec![
        ("include_archived".to_owned(), "true".to_owned()),
        ("with_content".to_owned(), "true".to_owned()),
    ];
    let event_types = from
        .list_all("/event-type", &query, |_| ())
        .await
        .context("listing the source's event types")?;
    for et in &event_types {
        let name = et["name"].as_str().unwrap_or_default();
        let r = event_type(to, et).await;
        report.count(KINDS[0], r, name);
    }
    let apps = from
        .list_all("/app", &[], |_| ())
        .await
        .context("listing the source's applications")?;
    let mut dest_apps = to
        .list_all("/app", &[], |_| ())
        .await
        .context("listing the destination's applications")?;
    for src in &apps {
        let what = src["uid"]
            .as_str()
            .or(src["id"].as_str())
            .unwrap_or_default();
        match app(to, src, &mut dest_apps).await {
            Ok((outcome, dest_id)) => {
                report.count(KINDS[1], Ok(outcome), what);
                endpoints(from, to, src, &dest_id, &mut report).await;
            }
            Err(e) => report.count(KINDS[1], Err(e), what),
        }
    }
    Ok(report)
}

/// Creates the event type, or patches what differs.
async fn event_type(to: &Client, src: &Value) -> anyhow::Result<Outcome> {
    let name = src["name"]
        .as_str()
        .context("an event type without a name")?;
    let wanted = pick(
        src,
        &[
            "description",
            "archived",
            "deprecated",
            "featureFlag",
            "schemas",
        ],
    );
    let path = format!("/event-type/{}", seg(name));
    match to.find(&path).await? {
        None => {
            let mut body = wanted;
            body.insert("name".into(), name.into());
            body.entry("description").or_insert_with(|| "".into());
            to.post("/event-type", &Value::Object(body)).await?;
            Ok(Outcome::Created)
        }
        Some(have) => patch(to, &path, &wanted, &have).await,
    }
}

/// Creates the application, or patches what differs; returns the destination's id.
async fn app(
    to: &Client,
    src: &Value,
    dest_apps: &mut Vec<Value>,
) -> anyhow::Result<(Outcome, String)> {
    let mut wanted = pick(src, &["name", "uid", "metadata"]);
    if let Some(rate) = first(src, &["throttleRate", "rateLimit"]) {
        wanted.insert("throttleRate".into(), rate);
    }
    let uid = src["uid"].as_str();
    let found = dest_apps
        .iter()
        .find(|d| match uid {
            Some(u) => d["uid"].as_str() == Some(u),
            None => d["uid"].is_null() && d["name"] == src["name"],
        })
        .cloned();
    match found {
        None => {
            let created = to.post("/app", &Value::Object(wanted)).await?;
            let id = created["id"].as_str().unwrap_or_default().to_owned();
            dest_apps.push(created);
            Ok((Outcome::Created, id))
        }
        Some(have) => {
            let id = have["id"].as_str().unwrap_or_default().to_owned();
            let outcome = patch(to, &format!("/app/{}", seg(&id)), &wanted, &have).await?;
            Ok((outcome, id))
        }
    }
}

/// Every endpoint of the source application `src`, into the destination's `dest_app`.
async fn endpoints(from: &Client, to: &Client, src: &Value, dest_app: &str, report: &mut Report) {
    let src_app = src["id"].as_str().unwrap_or_default();
    let listed = async {
        let src_eps = from
            .list_all(&format!("/app/{}/endpoint", seg(src_app)), &[], |_| ())
            .await?;
        let dest_eps = to
            .list_all(&format!("/app/{}/endpoint", seg(dest_app)), &[], |_| ())
            .await?;
        anyhow::Ok((src_eps, dest_eps))
    };
    let (src_eps, dest_eps) = match listed.await {
        Ok(l) => l,
        Err(e) => {
            report.count(KINDS[2], Err(e), &format!("of application {src_app}"));
            return;
        }
    };
    for ep in &src_eps {
        let what = ep["uid"]
            .as_str()
            .or(ep["url"].as_str())
            .unwrap_or_default();
        let r = endpoint(
            from,
            to,
            src_app,
            dest_app,
            ep,
            &dest_eps,
            &mut report.notes,
        )
        .await;
        report.count(KINDS[2], r, what);
    }
}

/// One endpoint: created with its secret and headers, or brought in line (fields patched,
/// headers patched, the secret rotated to the source's when it differs).
async fn endpoint(
    from: &Client,
    to: &Client,
    src_app: &str,
    dest_app: &str,
    ep: &Value,
    dest_eps: &[Value],
    notes: &mut Vec<String>,
) -> anyhow::Result<Outcome> {
    let src_id = ep["id"].as_str().context("an endpoint without an id")?;
    let src_path = format!("/app/{}/endpoint/{}", seg(src_app), seg(src_id));
    let secret = from.get(&format!("{src_path}/secret")).await?["key"].clone();
    let headers = from.get(&format!("{src_path}/headers")).await?;
    let wanted_headers = headers["headers"].as_object().cloned().unwrap_or_default();
    if let Some(hidden) = headers["sensitive"].as_array().filter(|s| !s.is_empty()) {
        let names: Vec<&str> = hidden.iter().filter_map(Value::as_str).collect();
        notes.push(format!(
            "note: endpoint {src_id}: header(s) {} not copied: the API does not show their \
             values (set them with `hookline endpoint headers --set`)",
            names.join(", ")
        ));
    }
    let mut wanted = pick(
        ep,
        &[
            "url",
            "uid",
            "description",
            "disabled",
            "channels",
            "metadata",
            // Hookline's own fields, when the source is a Hookline.
            "signatureScheme",
            "toleranceHint",
            "timeoutSeconds",
        ],
    );
    if let Some(types) = first(ep, &["filterTypes", "eventTypes"]) {
        wanted.insert("filterTypes".into(), types);
    }
    if let Some(rate) = first(ep, &["throttleRate", "rateLimit"]) {
        wanted.insert("throttleRate".into(), rate);
    }
    // "None" on the source clears these on the destination when updating.
    for k in ["filterTypes", "channels", "throttleRate"] {
        wanted.entry(k).or_insert(Value::Null);
    }
    let found = dest_eps.iter().find(|d| match ep["uid"].as_str() {
        Some(u) => d["uid"].as_str() == Some(u),
        None => d["url"] == ep["url"],
    });
    let Some(have) = found else {
        let mut body = wanted;
        body.insert("secret".into(), secret);
        if !wanted_headers.is_empty() {
            body.insert("headers".into(), Value::Object(wanted_headers));
        }
        to.post(
            &format!("/app/{}/endpoint", seg(dest_app)),
            &Value::Object(body),
        )
        .await?;
        return Ok(Outcome::Created);
    };
    let dest_id = have["id"]
        .as_str()
        .context("a destination endpoint without an id")?;
    let dest_path = format!("/app/{}/endpoint/{}", seg(dest_app), seg(dest_id));
    let mut outcome = patch(to, &dest_path, &wanted, have).await?;
    let have_headers = to.get(&format!("{dest_path}/headers")).await?;
    let have_headers = have_headers["headers"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let header_patch = header_changes(&wanted_headers, &have_headers);
    if !header_patch.is_empty() {
        to.patch(
            &format!("{dest_path}/headers"),
            &json!({ "headers": header_patch }),
        )
        .await?;
        outcome = Outcome::Updated;
    }
    let have_secret = to.get(&format!("{dest_path}/secret")).await?["key"].clone();
    if have_secret != secret {
        to.post(
            &format!("{dest_path}/secret/rotate"),
            &json!({ "key": secret }),
        )
        .await?;
        outcome = Outcome::Updated;
    }
    Ok(outcome)
}

/// PATCHes the fields of `wanted` that differ in `have`.
async fn patch(
    to: &Client,
    path: &str,
    wanted: &Map<String, Value>,
    have: &Value,
) -> anyhow::Result<Outcome> {
    let diff = changes(wanted, have);
    if diff.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    to.patch(path, &Value::Object(diff)).await?;
    Ok(Outcome::Updated)
}

/// The fields of `v` named in `keys` that are present and not null.
fn pick(v: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| match v.get(*k) {
            None | Some(Value::Null) => None,
            Some(x) => Some(((*k).to_owned(), x.clone())),
        })
        .collect()
}

/// The first of `keys` that `v` has, not null.
fn first(v: &Value, keys: &[&str]) -> Option<Value> {
    keys.iter()
        .find_map(|k| v.get(*k).filter(|x| !x.is_null()).cloned())
}
