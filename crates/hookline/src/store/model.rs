//! What the store keeps. Plain data: validation happens at the API edge, encryption inside
//! the store implementation.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// An application: the tenant a developer sends webhooks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    pub id: String,
    pub uid: Option<String>,
    pub name: String,
    pub metadata: Map<String, Value>,
    pub throttle_rate: Option<u16>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An event type, global to the server.
#[derive(Clone, Debug, PartialEq)]
pub struct EventType {
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub deprecated: bool,
    pub feature_flag: Option<String>,
    pub schemas: Option<Value>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A secret that still signs for a while after a rotation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PreviousSecret {
    pub key: String,
    pub expires_at: Millis,
}

/// An endpoint: where an application's messages are delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub app_id: String,
    pub uid: Option<String>,
    pub url: String,
    pub description: String,
    pub disabled: bool,
    pub event_types: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    pub metadata: Map<String, Value>,
    pub throttle_rate: Option<u16>,
    /// Custom headers sent with each delivery (stored encrypted: they often carry credentials).
    pub headers: BTreeMap<String, String>,
    /// The current signing secret (stored encrypted).
    pub secret: String,
    /// Secrets rotated out that still sign until they expire (stored encrypted).
    pub previous_secrets: Vec<PreviousSecret>,
    /// Hookline extension: the `hookline-sig` preset deliveries are signed with.
    pub signature_scheme: String,
    /// Hookline extension: the replay window (seconds) receivers are told to use.
    pub tolerance_hint: Option<u32>,
    /// Hookline extension: this endpoint's total timeout for one attempt (seconds).
    pub timeout_secs: Option<u32>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Which endpoints a new message is queued for.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Every endpoint of the message's application that is enabled, whose event type
    /// filter (if any) names the message's type, and whose channel filter (if any) shares
    /// a channel with it. Decided inside the transaction that writes the message, so an
    /// endpoint created or changed a moment before is seen exactly as committed.
    Matching,
    /// Exactly these endpoints (resend to one endpoint, send-example, operational events);
    /// one deleted meanwhile is skipped.
    Only(Vec<String>),
}

/// A message accepted for delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: String,
    pub app_id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    pub channels: Option<Vec<String>>,
    /// The payload as JSON text, exactly as it will be sent; `None` once expunged or expired.
    pub payload: Option<String>,
    pub payload_expires_at: Millis,
    pub created_at: Millis,
    /// For a message the inbound gateway received: its content type and the provider's
    /// headers, delivered as they came (the payload is then the provider's body, byte for
    /// byte, and is sent as it is whatever the endpoint's scheme). `None` for a message
    /// sent through the API.
    pub forward: Option<Forward>,
}

/// See [`Message::forward`].
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forward {
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// The payload holds the provider's body in base64 (standard alphabet, padded): the
    /// body was not text a payload column can hold on both engines (not UTF-8, or with a
    /// NUL, which PostgreSQL's `text` refuses). Absent, and false, for a text body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base64: bool,
}

impl Forward {
    /// The payload text that stores `body`, and whether it is base64 (see [`Forward::base64`]).
    pub fn encode(body: &[u8]) -> (String, bool) {
        match std::str::from_utf8(body) {
            Ok(text) if !text.contains('\0') => (text.to_owned(), false),
            _ => {
                use base64::Engine as _;
                (base64::engine::general_purpose::STANDARD.encode(body), true)
            }
        }
    }
}

impl Message {
    /// Whether the payload is a received body that is not text, kept in base64
    /// ([`Forward::base64`]).
    pub fn is_binary(&self) -> bool {
        self.forward.as_ref().is_some_and(|f| f.base64)
    }

    /// The bytes a delivery sends: the payload, decoded when the gateway stored a binary
    /// body in base64. `Ok(None)` once the payload is expunged or expired; `Err` for a
    /// base64 payload that does not decode (never written so by Hookline).
    pub fn body(&self) -> Result<Option<Vec<u8>>, String> {
        let Some(payload) = &self.payload else {
            return Ok(None);
        };
        if self.is_binary() {
            use base64::Engine as _;
            return base64::engine::general_purpose::STANDARD
                .decode(payload)
                .map(Some)
                .map_err(|e| format!("the stored body is not valid base64: {e}"));
        }
        Ok(Some(payload.as_bytes().to_vec()))
    }
}

/// Where a message stands for one endpoint. The numbers are Svix's `MessageStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Success = 0,
    Pending = 1,
    Fail = 2,
    Sending = 3,
}

impl DeliveryStatus {
    pub fn from_i64(n: i64) -> Option<Self> {
        Some(match n {
            0 => DeliveryStatus::Success,
            1 => DeliveryStatus::Pending,
            2 => DeliveryStatus::Fail,
            3 => DeliveryStatus::Sending,
            _ => return None,
        })
    }
}

/// One message's delivery to one endpoint: the unit of work of the delivery engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub msg_id: String,
    pub endpoint_id: String,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One HTTP attempt to deliver a message (written by the delivery engine).
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub id: String,
    pub msg_id: String,
    /// The message's application, kept on the attempt so that the application-wide log is
    /// an index range (`attempt_app`).
    pub app_id: String,
    pub endpoint_id: String,
    pub url: String,
    pub status: DeliveryStatus,
    pub response_status_code: i64,
    pub response: String,
    pub response_duration_ms: i64,
    /// 0 scheduled, 1 manual (Svix's `MessageAttemptTriggerType`).
    pub trigger_type: i64,
    /// Why it failed, in words (timeout, connection refused, refused by the SSRF guard, ...).
    pub failure_reason: Option<String>,
    pub created_at: Millis,
    /// The request's headers as Hookline sent them, as stored: [`SentHeaders`] in JSON
    /// (written once by the engine, read only by the dashboard). `None` for attempts made
    /// before Hookline kept them and for those of `hookline listen`.
    pub request_headers: Option<String>,
}

/// An attempt's request headers in the order sent: `(name, value)`, the value `None` for a
/// header taken from the endpoint's own headers. Those may carry credentials (they are
/// sealed on the endpoint), so an attempt keeps only their names. Signature headers are
/// kept: a signature is a MAC of this one request, not a secret.
pub type SentHeaders = Vec<(String, Option<String>)>;

/// A delivery the engine has claimed (leased) to attempt now.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    pub msg_id: String,
    pub endpoint_id: String,
    /// Attempts made before this one.
    pub attempt_count: u32,
    /// Scheduled by a person (resend, recover) rather than by the retry schedule.
    pub manual: bool,
    /// The message, read in the claim's transaction; `None` if it was deleted.
    pub message: Option<Message>,
    /// The lease this claim holds the delivery under, until then. It also tells this claim
    /// from a later one of the same delivery by another worker (after this lease ran out).
    pub lease_until: Millis,
}

/// Where a delivery goes after an attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeliveryUpdate {
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Millis>,
    /// The claim's lease (`Claim::lease_until`): the delivery moves on only if it is still
    /// held under it, so a worker whose lease ran out cannot overwrite the worker that took
    /// the delivery over. (Its attempt is recorded all the same: it happened.)
    pub lease_until: Millis,
}

/// An API token, by the hash of its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub id: String,
    /// `None` for an admin token; an application id for an app-portal token.
    pub app_id: Option<String>,
    pub expires_at: Option<Millis>,
    /// An admin token's name (`POST /api/v1/token`); `None` for the first-start token,
    /// `HOOKLINE_ADMIN_TOKEN`'s, and app-portal tokens.
    pub name: Option<String>,
    /// An app-portal token's capabilities (`api::caps::Caps` bits); `None`: every one.
    pub caps: Option<i64>,
}

/// An admin token as listed: never its text or its hash.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenInfo {
    pub id: String,
    pub name: Option<String>,
    pub expires_at: Option<Millis>,
    pub created_at: Millis,
}

/// A signed-in dashboard browser (see `dashboard::session`).
#[derive(Clone, Debug, PartialEq)]
pub struct DashboardSession {
    pub id: String,
    /// `None`: the admin dashboard; else the one application an app portal sees.
    pub app_id: Option<String>,
    /// `api::caps::Caps` bits.
    pub caps: i64,
    /// The token its forms must echo (not a credential on its own: useless without the
    /// cookie, which a cross-site page can neither read nor send).
    pub csrf: String,
    pub expires_at: Millis,
}

/// What a one-time app-portal code grants.
#[derive(Clone, Debug, PartialEq)]
pub struct PortalGrant {
    pub app_id: String,
    /// `api::caps::Caps` bits.
    pub caps: i64,
    /// The code is refused after this, and the session it opens ends by then.
    pub expires_at: Millis,
}

/// Counts of an endpoint's deliveries by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    pub success: i64,
    pub pending: i64,
    pub fail: i64,
    pub sending: i64,
}

/// An endpoint's health as the dashboard shows it, in reads bounded whatever its history:
/// the outcome of its last attempts, and its queue counted up to a cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    /// Of the last attempts read (see `EndpointStore::endpoint_health`).
    pub delivered: i64,
    pub failed: i64,
    /// Deliveries waiting for their first or next attempt, at most the cap asked for.
    pub pending: i64,
    /// Deliveries being attempted now, at most the cap.
    pub sending: i64,
}

/// A stored response for an idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub enum Idempotent {
    /// A request with this key is still running.
    InProgress,
    /// The first response, to replay.
    Done { status: u16, body: Vec<u8> },
    /// The key was claimed by a different request (another fingerprint).
    OtherRequest,
}

/// One bucket of `ActivityStore::activity`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActivityBucket {
    /// Its index from the start (0 is the oldest).
    pub index: i64,
    pub messages: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// An endpoint that is not delivering.
#[derive(Clone, Debug, PartialEq)]
pub struct FailingEndpoint {
    pub id: String,
    pub app_id: String,
    pub url: String,
    pub disabled: bool,
    /// Why the delivery engine disabled it, in words; `None` when a person did (or it is
    /// enabled).
    pub disabled_reason: Option<String>,
    /// When its current run of failures began, if one is going on.
    pub failing_since: Option<Millis>,
}

/// An endpoint's circuit breaker as every node sees it, from what the engine announced
/// through [`QueueStore::open_circuit`](crate::store::QueueStore::open_circuit) and
/// [`close_circuit`](crate::store::QueueStore::close_circuit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Circuit {
    /// Deliveries go out as usual.
    Closed,
    /// Nothing is sent until then (milliseconds since the epoch).
    OpenUntil(Millis),
    /// The open period is over and the endpoint has not succeeded since: the next attempt
    /// is the probe that closes or reopens it.
    HalfOpen,
}

impl Circuit {
    /// The state from the announced reopen time (if the circuit was announced open and
    /// not closed since) and the endpoint's run of failures, at `now`. The run matters
    /// because a circuit is announced closed only by the node whose breaker opened: when
    /// another node's delivery succeeds first (or that node restarted), the announcement
    /// stays behind while the endpoint's run of failures, which any success ends, is over.
    pub fn of(open_until: Option<Millis>, failing_since: Option<Millis>, now: Millis) -> Circuit {
        match open_until {
            Some(t) if t > now => Circuit::OpenUntil(t),
            Some(_) if failing_since.is_some() => Circuit::HalfOpen,
            _ => Circuit::Closed,
        }
    }
}
