//! What the gateway keeps: sources and the requests they received (what a forwarded
//! message carries is `store::Forward`). Plain data, as `store::model` is: validation happens
//! at the API edge, sealing inside the store.

use crate::store::{Message, Millis};

/// A source: one provider's webhooks, received at `/in/{uid or id}` and forwarded as
/// messages of `app_id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub id: String,
    pub uid: Option<String>,
    pub name: String,
    /// A `hookline-sig` preset, or `custom` (then `scheme_definition` holds it).
    pub scheme: String,
    /// The custom scheme, as its JSON `SchemeDef` text.
    pub scheme_definition: Option<String>,
    /// The keys that verify, newest first (stored sealed). A key rotated out keeps
    /// verifying until its `expires_at`.
    pub secrets: Vec<SourceSecret>,
    /// The provider handshake answered at the door, if any (`slack`, `zoom`, `meta`,
    /// `twitter`, `graph`).
    pub handshake: Option<String>,
    /// Meta's `hub.verify_token` (stored sealed).
    pub verify_token: Option<String>,
    /// Overrides the scheme's replay window (seconds either way).
    pub tolerance_secs: Option<u32>,
    pub dedupe_window_secs: u32,
    pub app_id: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One key of a source.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSecret {
    pub key: String,
    /// `None` for a current key; the end of the grace period for one rotated out.
    pub expires_at: Option<Millis>,
}

impl Source {
    /// The keys that verify at `now`, newest first.
    pub fn active_keys(&self, now: Millis) -> Vec<&str> {
        self.secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|t| t > now))
            .map(|s| s.key.as_str())
            .collect()
    }
}

/// What was decided about a received request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    Accepted,
    Duplicate,
    Rejected,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Accepted => "accepted",
            RequestStatus::Duplicate => "duplicate",
            RequestStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "accepted" => RequestStatus::Accepted,
            "duplicate" => RequestStatus::Duplicate,
            "rejected" => RequestStatus::Rejected,
            _ => return None,
        })
    }
}

/// A request received at `/in/{source}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedRequest {
    pub id: String,
    pub source_id: String,
    pub received_at: Millis,
    pub status: RequestStatus,
    /// Why it was rejected (the short reason answered to the sender).
    pub reason: Option<String>,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    /// The message it became (for a duplicate: the first one's).
    pub msg_id: Option<String>,
    /// The URL it was posted to, as the sender saw it (for schemes that sign the URL).
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When it is dropped: soon for a rejection, with its message's payload otherwise.
    pub expires_at: Millis,
}

pub use crate::store::Forward;

/// What committing a received event decided (see `QueueStore::receive_event`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// `Accepted` or `Duplicate`.
    pub status: RequestStatus,
    /// The message the event became; for a duplicate, the first one's.
    pub msg_id: String,
    /// Deliveries queued (none for a duplicate).
    pub queued: usize,
}

/// Whether an event whose first message was written at `first_at` is a repeat at `now`:
/// inside the source's de-duplication window. Outside it, the event is new again (a
/// provider reusing ids years apart, or the window shortened since).
pub fn is_repeat(first_at: Millis, window_ms: Millis, now: Millis) -> bool {
    first_at.saturating_add(window_ms) > now
}

/// The first message of an event id in an application, as `(id, created_at)`: read when a
/// received event's id is taken, for [`taken`]. Parameters `$1` app id, `$2` event id.
pub const FIRST_OF_EVENT: &str =
    "SELECT id, created_at FROM message WHERE app_id = $1 AND event_id = $2";

/// What a received event whose id is taken becomes.
pub enum Taken {
    /// A repeat of the message named, inside the window: recorded, not forwarded again.
    Duplicate(String),
    /// A new event, written as this message (the received one without its event id): the
    /// first is outside the window, or gone meanwhile.
    New(Message),
}

/// Decides [`Taken`] for `msg` from the first message with its id ([`FIRST_OF_EVENT`]'s
/// row, `None` if gone).
pub fn taken(
    msg: &Message,
    first: Option<(String, Millis)>,
    window_ms: Millis,
    now: Millis,
) -> Taken {
    match first {
        Some((id, at)) if is_repeat(at, window_ms, now) => Taken::Duplicate(id),
        _ => Taken::New(Message {
            event_id: None,
            ..msg.clone()
        }),
    }
}

/// The statement that records a received request, the same text for every engine and
/// for the group commit's own connection: parameters `$1..$12` in the order of
/// [`ReceivedRequest`]'s fields (`headers` as JSON text, `body` as a blob or NULL).
pub const INSERT_REQUEST: &str = "INSERT INTO source_request (id, source_id, received_at, status, reason, event_id, event_type, \
     msg_id, url, headers, body, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";

/// Filters for request lists.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    pub before: Option<Millis>,
    pub after: Option<Millis>,
}

/// How a source's recent requests were decided (see `SourceStore::count_requests`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub accepted: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// The cap was reached: there were more requests in the period than were counted.
    pub capped: bool,
}
