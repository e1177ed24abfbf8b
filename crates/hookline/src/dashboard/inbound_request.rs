//! One received request: what came (URL, headers, body), what was decided and why, a
//! rejection's `hookline-sig` diagnosis in words, and Replay, each through the API's handler.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{Markup, html};

use super::Dash;
use super::auth::{Submitted, Viewer};
use super::inbound::{app_link, app_name, decision, portal_refused};
use super::view::{PageError, PageResult, confirm_form, page, pretty, see_other, time_text};
use crate::api::source as src_api;
use crate::api::source_request as req_api;
use crate::api::source_types::FindingOut;

/// A finding's kind (`hookline_sig::FindingKind`, as the API names it) as a headline a
/// person can act on; the finding's own message and fix follow it.
fn headline(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "BodyReserialized" => "The body was re-serialized: verify the raw bytes.",
        "BodyCharset" => {
            "The body was re-encoded in another character set: verify the bytes as received."
        }
        "BodyAltered" => "The body was changed on the way (wrapped, or its line endings changed).",
        "SecretWhitespace" => "The secret was pasted with whitespace or a newline: trim it.",
        "SecretEncoding" => {
            "The secret's encoding is mixed up (the whsec_ prefix, base64 decoded or not)."
        }
        "SecretLooksLikeApiKey" => {
            "The secret looks like an API key, not a webhook signing secret."
        }
        "SignaturePrefix" => "The signature's prefix is missing, doubled or wrong.",
        "SignatureEncoding" => "The signature is encoded the other way (hex for base64, or twice).",
        "SignatureSpacing" => "The signature header has stray spaces.",
        "Algorithm" => "The signature was made with another hash than the scheme's.",
        "SignedContent" => "The signed content is put together differently than the scheme says.",
        "TimestampSkew" => {
            "The timestamp is outside the allowed window: a clock is off, or this is a replay."
        }
        "TimestampUnit" => {
            "The timestamp is in the wrong unit (milliseconds for seconds, or the reverse)."
        }
        "OtherScheme" => {
            "The request is signed as another provider signs: check the source's scheme."
        }
        "UrlChanged" => "The URL was changed on the way: the sender signed another one.",
        "KnownBadFixture" => "This is a provider's published example, known not to verify.",
        "Malformed" => "A part of the request the scheme needs is missing or unreadable.",
        "WrongKeyOrBody" => "No correction explains it: the key is wrong, or the body was changed.",
        "Caution" => "It verifies, but the scheme deserves care.",
        _ => return None,
    })
}

fn findings(list: &[FindingOut]) -> Markup {
    html! {
        @if list.is_empty() {
            p.muted { "The diagnosis found nothing beyond the reason above." }
        }
        ol.findings {
            @for f in list {
                li {
                    @if let Some(h) = headline(&f.kind) { p.finding { strong { (h) } } }
                    p { (f.message) }
                    p { span.muted { "Fix: " } (f.fix) }
                }
            }
        }
    }
}

/// `GET /source/{src}/request/{req}`.
pub(super) async fn request(
    State(dash): State<Dash>,
    viewer: Viewer,
    Path((src_id, req_id)): Path<(String, String)>,
) -> PageResult {
    if let Some(e) = portal_refused(&viewer) {
        return Err(e);
    }
    let api = || State(dash.api.clone());
    let Json(s) = src_api::get_source(api(), viewer.auth.clone(), Path(src_id)).await?;
    let Json(r) =
        req_api::get_request(api(), viewer.auth.clone(), Path((s.id.clone(), req_id))).await?;
    let app = app_name(&dash, &viewer, &s.app_id).await?;
    let sum = &r.summary;
    let replayable = sum.status != "rejected" && sum.message_id.is_some();
    let body = html! {
        p { a href={ "/source/" (s.id) } { "← " (s.name) } }
        h1 { "Request " code { (sum.id) } }
        section { dl.facts {
            dt { "Received" } dd { (time_text(&sum.received_at)) }
            dt { "Decision" } dd { (decision(&sum.status)) }
            @if let Some(why) = &sum.reason { dt { "Reason" } dd.error { (why) } }
            dt { "Event type" } dd { @match &sum.event_type { Some(t) => { code { (t) } }, None => { span.muted { "none" } } } }
            dt { "Event id" } dd { @match &sum.event_id { Some(e) => { code { (e) } }, None => { span.muted { "none" } } } }
            dt { "Message" } dd {
                @match &sum.message_id {
                    Some(m) => {
                        a href={ "/app/" (s.app_id) "/msg/" (m) } { code { (m) } }
                        @if sum.status == "duplicate" { " " span.hint { "(the message this event first became; the repeat was not forwarded again)" } }
                    }
                    None => { span.muted { "none: a rejected request is never forwarded" } }
                }
            }
            dt { "Application" } dd { (app_link(&s.app_id, app.as_deref())) }
            dt { "URL" } dd { code { (r.url) } }
        } }
        @if let Some(d) = &r.diagnosis {
            h2 { "Why the signature did not verify" }
            section #diagnosis {
                p.hint { "Verification re-run on corrected versions of this request, with the keys the source has now; a correction that verifies shows what changed." }
                (findings(d))
            }
        }
        @if replayable {
            section {
                h2 { "Replay" }
                p.hint { "Forwards the event again, as a new message of the application (same body and provider headers, no event id): its endpoints receive it now." }
                (confirm_form(&viewer, &format!("/source/{}/request/{}/replay", s.id, sum.id), "Replay", "Forward this event to the application's endpoints again, as a new message?"))
            }
        }
        h2 { "Headers" }
        pre aria-label="Request headers" { @for (k, v) in &r.headers { (k) ": " (v) "\n" } }
        p.hint { "As received; credentials (Authorization, Cookie) are shown as [redacted]." }
        h2 { "Body" }
        @match &r.body {
            Some(b) => {
                pre aria-label="Request body" { (b) }
                @let p = pretty(b);
                @if p != *b { details { summary { "Pretty-printed" } pre aria-label="Request body, pretty-printed" { (p) } } }
            }
            None => { p.muted { "The body is no longer kept (past its retention, or expunged)." } }
        }
    };
    Ok(page(&dash, Some(&viewer), "Request", body))
}

/// `POST /source/{src}/request/{req}/replay`, then the new message's page.
pub(super) async fn replay(
    State(dash): State<Dash>,
    Path((src_id, req_id)): Path<(String, String)>,
    form: Submitted,
) -> PageResult {
    if let Some(e) = portal_refused(&form.viewer) {
        return Err(e);
    }
    let api = || State(dash.api.clone());
    let auth = || form.viewer.auth.clone();
    let Json(s) = src_api::get_source(api(), auth(), Path(src_id)).await?;
    let (status, Json(out)) =
        req_api::replay_request(api(), auth(), Path((s.id.clone(), req_id))).await?;
    match out.message_ids.first() {
        Some(m) if status == StatusCode::ACCEPTED => {
            Ok(see_other(&format!("/app/{}/msg/{m}", s.app_id)))
        }
        _ => Err(PageError::new(status, "the replay was not accepted")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_finding_kind_has_a_headline() {
        use hookline_sig::diagnose::FindingKind as K;
        for k in [
            K::BodyReserialized,
            K::BodyCharset,
            K::BodyAltered,
            K::SecretWhitespace,
            K::SecretEncoding,
            K::SecretLooksLikeApiKey,
            K::SignaturePrefix,
            K::SignatureEncoding,
            K::SignatureSpacing,
            K::Algorithm,
            K::SignedContent,
            K::TimestampSkew,
            K::TimestampUnit,
            K::OtherScheme,
            K::UrlChanged,
            K::KnownBadFixture,
            K::Malformed,
            K::WrongKeyOrBody,
            K::Caution,
        ] {
            // The API names a kind by its Debug form (`api::source_request`).
            assert!(super::headline(&format!("{k:?}")).is_some(), "{k:?}");
        }
        assert_eq!(super::headline("Unknown"), None);
    }
}
