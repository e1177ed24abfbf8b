//! Storage: one interface, on embedded SQLite (one node, no setup) or PostgreSQL (several
//! nodes on one database), written once for both (`shared`, over `sql`'s statements);
//! each engine's folder holds only what that engine does its own way (`QueueStore`, the hot
//! path). Both pass the same tests.
//!
//! Every method that the API acknowledges commits before it returns. A message and the
//! deliveries it fans out to are written in one transaction.

pub mod model;
pub mod postgres;
mod rows;
mod shared;
mod sql;
pub mod sqlite;
#[cfg(test)]
mod tests;

use async_trait::async_trait;

pub use crate::gateway::model::{
    Received, ReceivedRequest, RequestCounts, RequestFilter, RequestStatus, Source, SourceSecret,
};
pub use model::*;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is taken (`uid`, `eventId`, event type name, idempotency key).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed; logged once at the edge, answered with an opaque 500.
    #[error(transparent)]
    Database(sqlx::Error),
    /// A value the database cannot hold (PostgreSQL's text takes no NUL character).
    #[error("{0}")]
    Unstorable(String),
    /// A group commit failed as a whole (its transaction could not begin or commit).
    #[error("batched write failed: {0}")]
    Batch(String),
    /// Stored data could not be read back (a secret that does not decrypt, bad JSON).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            // character_not_in_repertoire, untranslatable_character: a NUL in a text value.
            sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("22021" | "22P05")) => {
                StoreError::Unstorable(
                    "text fields cannot contain the NUL character (\\u0000)".into(),
                )
            }
            _ => StoreError::Database(e),
        }
    }
}

/// Which way a list runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// A page request: up to `limit` items strictly after `after` (or before, when `backwards`)
/// in `order`, by the list's key (ids sort by creation time).
#[derive(Clone, Debug)]
pub struct Page {
    pub limit: usize,
    pub cursor: Option<String>,
    pub backwards: bool,
    pub order: Order,
}

/// Filters for message lists.
#[derive(Clone, Debug, Default)]
pub struct MessageFilter {
    /// Only messages whose delivery has this status (per-endpoint listings).
    pub delivery_status: Option<DeliveryStatus>,
    pub channel: Option<String>,
    pub event_types: Vec<String>,
    pub before: Option<Millis>,
    pub after: Option<Millis>,
}

/// Filters for attempt lists.
#[derive(Clone, Debug, Default)]
pub struct AttemptFilter {
    /// Only attempts to this endpoint (the per-message listing's `endpoint_id`).
    pub endpoint_id: Option<String>,
    pub status: Option<DeliveryStatus>,
    /// The hundreds digit class: 0 (no response), 100, 200, 300, 400, 500.
    pub status_code_class: Option<i64>,
    pub event_types: Vec<String>,
    pub channel: Option<String>,
    pub before: Option<Millis>,
    pub after: Option<Millis>,
}

/// The storage interface the API and (later) the delivery engine stand on, in parts.
pub trait Store:
    AppStore
    + EndpointStore
    + MessageStore
    + AuthStore
    + DeliveryStore
    + QueueStore
    + SourceStore
    + SessionStore
    + ActivityStore
{
}

impl<T> Store for T where
    T: AppStore
        + EndpointStore
        + MessageStore
        + AuthStore
        + DeliveryStore
        + QueueStore
        + SourceStore
        + SessionStore
        + ActivityStore
{
}

/// The inbound gateway's sources and the requests they received. Accepted events are
/// written with their request's record through [`QueueStore::receive_event`] (the group
/// commit); a message's `event_id` (unique per application) is what de-duplicates them.
#[async_trait]
pub trait SourceStore: Send + Sync + 'static {
    /// `Conflict` when the uid is taken.
    async fn create_source(&self, source: &Source) -> Result<()>;
    /// By id or uid.
    async fn source(&self, id_or_uid: &str) -> Result<Option<Source>>;
    async fn list_sources(&self, page: &Page) -> Result<Vec<Source>>;
    /// Writes every field but the id, application and creation time; keys included.
    async fn update_source(&self, source: &Source) -> Result<()>;
    /// Deletes the source and its requests (not its application or messages).
    async fn delete_source(&self, id: &str) -> Result<bool>;
    /// Records a received request.
    async fn record_request(&self, request: &ReceivedRequest) -> Result<()>;
    /// Records a rejected request and keeps at most `keep` rejections of its source (the
    /// oldest go first).
    async fn record_rejection(&self, request: &ReceivedRequest, keep: usize) -> Result<()>;
    /// By id order (newest first by default).
    async fn list_requests(
        &self,
        source_id: &str,
        page: &Page,
        filter: &RequestFilter,
    ) -> Result<Vec<ReceivedRequest>>;
    async fn request(&self, source_id: &str, id: &str) -> Result<Option<ReceivedRequest>>;
    /// The decisions of the source's requests received since `since`, counted over its
    /// newest `cap` of them at most: an index range of `(source_id, id)` whose cost is
    /// bounded however busy the source is (the dashboard shows these on every page view).
    async fn count_requests(
        &self,
        source_id: &str,
        since: Millis,
        cap: usize,
    ) -> Result<RequestCounts>;
    /// Drops requests past their `expires_at`.
    async fn purge_requests(&self, now: Millis) -> Result<u64>;
}

/// What the dashboard's overview counts.
#[async_trait]
pub trait ActivityStore: Send + Sync + 'static {
    /// Messages accepted and attempts by status since `since`, in buckets of `bucket_ms`
    /// (bucket 0 starts at `since`), as of `now`. When `since` and `bucket_ms` are whole
    /// minutes, the minutes closed before `now` are read from a rollup that each is counted
    /// into once, and only the minutes still open are counted from the rows (on the ids'
    /// time order, an index range); otherwise every row of the window is counted.
    async fn activity(
        &self,
        since: Millis,
        bucket_ms: i64,
        now: Millis,
    ) -> Result<Vec<ActivityBucket>>;
    /// Endpoints disabled or failing without a success since some time, longest first.
    async fn failing_endpoints(&self, limit: usize) -> Result<Vec<FailingEndpoint>>;
    /// One endpoint's health as `failing_endpoints` reports it, whether failing or not.
    async fn failing_endpoint(&self, id: &str) -> Result<Option<FailingEndpoint>>;
}

/// Dashboard sessions and one-time app-portal codes, by the hash of their secret text.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn create_session(&self, hash: &str, session: &DashboardSession) -> Result<()>;
    /// The session, if it exists and has not expired at `now`.
    async fn session(&self, hash: &str, now: Millis) -> Result<Option<DashboardSession>>;
    async fn delete_session(&self, hash: &str) -> Result<()>;
    async fn create_portal_code(&self, hash: &str, grant: &PortalGrant) -> Result<()>;
    /// Takes the code: it works once (two takers at once: one gets it), not after expiry.
    async fn take_portal_code(&self, hash: &str, now: Millis) -> Result<Option<PortalGrant>>;
    /// Forgets the sessions and codes that expired before `now`.
    async fn purge_sessions(&self, now: Millis) -> Result<u64>;
}

/// Applications and event types.
#[async_trait]
pub trait AppStore: Send + Sync + 'static {
    async fn create_app(&self, app: &Application) -> Result<()>;
    /// By id or uid.
    async fn app(&self, id_or_uid: &str) -> Result<Option<Application>>;
    async fn list_apps(&self, page: &Page) -> Result<Vec<Application>>;
    async fn update_app(&self, app: &Application) -> Result<()>;
    /// Deletes the application and everything under it.
    async fn delete_app(&self, id: &str) -> Result<bool>;

    async fn create_event_type(&self, et: &EventType) -> Result<()>;
    async fn event_type(&self, name: &str) -> Result<Option<EventType>>;
    async fn list_event_types(&self, page: &Page, include_archived: bool)
    -> Result<Vec<EventType>>;
    async fn update_event_type(&self, et: &EventType) -> Result<()>;
    async fn delete_event_type(&self, name: &str) -> Result<bool>;
}

/// Endpoints.
#[async_trait]
pub trait EndpointStore: Send + Sync + 'static {
    async fn create_endpoint(&self, ep: &Endpoint) -> Result<()>;
    /// By id or uid, within `app_id`.
    async fn endpoint(&self, app_id: &str, id_or_uid: &str) -> Result<Option<Endpoint>>;
    async fn list_endpoints(&self, app_id: &str, page: &Page) -> Result<Vec<Endpoint>>;
    /// Writes the endpoint's settings: not its secrets or headers, which have their own
    /// writes so that a settings update racing a rotation cannot put an old secret back.
    async fn update_endpoint(&self, ep: &Endpoint) -> Result<()>;
    async fn update_endpoint_secrets(&self, ep: &Endpoint) -> Result<()>;
    async fn update_endpoint_headers(&self, ep: &Endpoint) -> Result<()>;
    async fn delete_endpoint(&self, app_id: &str, id: &str) -> Result<bool>;
    /// A number that moves on whenever an application or endpoint is changed through this
    /// store (settings, secrets, headers, deletion, disabling): caches compare it to know
    /// they are stale.
    fn generation(&self) -> u64;
    async fn endpoint_stats(
        &self,
        endpoint_id: &str,
        since: Option<Millis>,
        until: Option<Millis>,
    ) -> Result<EndpointStats>;
    /// The outcome of the endpoint's last `last` attempts, and its pending and sending
    /// deliveries counted up to `cap` each: index ranges of at most that many rows, where
    /// `endpoint_stats` counts every delivery the endpoint ever had.
    async fn endpoint_health(
        &self,
        endpoint_id: &str,
        last: usize,
        cap: usize,
    ) -> Result<EndpointHealth>;
}

/// Messages, their deliveries, and attempts.
#[async_trait]
pub trait MessageStore: Send + Sync + 'static {
    async fn message(&self, app_id: &str, id_or_event_id: &str) -> Result<Option<Message>>;
    async fn list_messages(
        &self,
        app_id: &str,
        page: &Page,
        filter: &MessageFilter,
    ) -> Result<Vec<Message>>;
    async fn expunge_message_content(&self, app_id: &str, id: &str) -> Result<bool>;
    /// Drops payloads past their retention period (messages and attempts stay).
    async fn expire_payloads(&self, now: Millis) -> Result<u64>;
    async fn deliveries_of_message(&self, msg_id: &str) -> Result<Vec<Delivery>>;
    /// Messages routed to an endpoint, with their delivery to it.
    async fn messages_of_endpoint(
        &self,
        endpoint_id: &str,
        page: &Page,
        filter: &MessageFilter,
    ) -> Result<Vec<(Message, Delivery)>>;
    /// Schedules (again) the delivery of a message to an endpoint, now.
    async fn requeue_delivery(&self, msg_id: &str, endpoint_id: &str, now: Millis) -> Result<()>;
    /// Re-schedules every failed delivery to an endpoint of messages created in [since, until).
    async fn recover_failed(
        &self,
        endpoint_id: &str,
        since: Millis,
        until: Option<Millis>,
        now: Millis,
    ) -> Result<u64>;

    async fn attempt(&self, msg_id: &str, attempt_id: &str) -> Result<Option<Attempt>>;
    async fn list_attempts(
        &self,
        scope: AttemptScope<'_>,
        page: &Page,
        filter: &AttemptFilter,
    ) -> Result<Vec<Attempt>>;
    async fn expunge_attempt_content(&self, msg_id: &str, attempt_id: &str) -> Result<bool>;
}

/// Which attempts to list.
#[derive(Clone, Copy, Debug)]
pub enum AttemptScope<'a> {
    Message(&'a str),
    Endpoint(&'a str),
    /// Every attempt of an application's messages (the dashboard's delivery log).
    App(&'a str),
}

/// The queue's hot path, which each engine writes its own way: SQLite through its
/// single-writer group commit, PostgreSQL in batched one-statement writes with claims that
/// several nodes take at once (`FOR UPDATE SKIP LOCKED`) and gates the nodes share.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Writes the message and one pending delivery per endpoint of `targets`, in one
    /// transaction; returns how many deliveries it queued. `Conflict` when the application
    /// already has the message's `eventId`.
    async fn create_message(&self, msg: &Message, targets: &Targets, now: Millis) -> Result<usize>;
    /// Commits an event received by the inbound gateway, in one transaction: its message
    /// and deliveries (routed as `Targets::Matching`) unless the application already has
    /// a message with the event's id written less than `window_ms` ago (a duplicate: see
    /// `gateway::model::taken`), and `request`'s record with the decision and the
    /// message filled in. An id taken by a message older than the window is a new event,
    /// written without an `eventId`. `Conflict` when the application is gone.
    async fn receive_event(
        &self,
        msg: &Message,
        request: &ReceivedRequest,
        window_ms: Millis,
        now: Millis,
    ) -> Result<Received>;
    /// Leases due deliveries until `lease_until`: pending ones whose time has come, and
    /// ones whose lease expired (their worker died), oldest first, at most `limit` in all and
    /// at most `per_endpoint` for any one endpoint, skipping the endpoints in `busy` (at
    /// their cap, or behind an open circuit), so work for healthy endpoints is never stuck
    /// behind a slow one. Each delivery is attempted by one worker at a time. Each claim
    /// carries its message, read in the same transaction.
    async fn claim_due(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: usize,
        per_endpoint: usize,
        busy: &[String],
    ) -> Result<Vec<Claim>> {
        self.claim_since(now, lease_until, limit, per_endpoint, busy, Millis::MIN)
            .await
    }
    /// `claim_due` over the pending deliveries due from `since` on (expired leases
    /// whatever their time): the engine's answer to "the API just queued work at `since`".
    /// Reading from `since`, not from the oldest due row, a claim does not wade through a
    /// backlog held back behind a busy endpoint to find the new work after it.
    async fn claim_since(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: usize,
        per_endpoint: usize,
        busy: &[String],
        since: Millis,
    ) -> Result<Vec<Claim>>;
    /// Leases the due pending deliveries of the endpoints named, oldest first, at most the
    /// number given with each: how the engine refills an endpoint it is draining, reading
    /// only that endpoint's rows.
    async fn claim_for(
        &self,
        now: Millis,
        lease_until: Millis,
        wanted: &[(String, usize)],
    ) -> Result<Vec<Claim>>;
    /// Records an attempt and moves its delivery on, in one transaction, and tracks the
    /// endpoint's run of failures: a success clears it, a failure starts it if needed.
    /// Returns when the current run of failures began, if one is going on.
    async fn finish_attempt(
        &self,
        attempt: &Attempt,
        update: DeliveryUpdate,
    ) -> Result<Option<Millis>>;
    /// Called once when a worker starts. An embedded single-node store knows that every
    /// claim still held was left by a process that died, and gives them all back now
    /// instead of waiting for their leases; a shared store (several nodes) gives back only
    /// the claims made under this node's own name (`HOOKLINE_NODE_ID`), if it has one, and
    /// leaves the rest to their leases. Returns how many were given back.
    async fn reclaim_after_restart(&self, now: Millis) -> Result<u64>;
    /// Gives claimed deliveries back (graceful shutdown): pending again, due now. Each is
    /// `(msg_id, endpoint_id, lease_until)`; one no longer held under that lease is left alone.
    async fn release_claims(&self, claims: &[(String, String, Millis)], now: Millis) -> Result<()>;
    /// Tells every node that the endpoint's circuit is open until `until`: claims leave it
    /// out meanwhile. A single-node store does nothing (the engine's own breaker is the
    /// whole truth there).
    async fn open_circuit(&self, endpoint_id: &str, until: Millis) -> Result<()>;
    /// The endpoint answered again: its circuit closes for every node.
    async fn close_circuit(&self, endpoint_id: &str) -> Result<()>;
    /// Of the endpoints named, those announced open (by `open_circuit`, not closed since),
    /// each with its reopen time (which may have passed: see [`Circuit::of`]). This is how
    /// the dashboard reads circuits, so it has one path on both engines: the engine tells
    /// the store, the pages ask the store. PostgreSQL reads the gates its nodes share; the
    /// single-node SQLite store keeps the announcements in memory, as the breakers they
    /// come from are (a restart forgets both).
    async fn open_circuits(&self, endpoint_ids: &[String]) -> Result<Vec<(String, Millis)>>;
    /// Takes the endpoint's next throttle slot, shared by every node: the slots are
    /// `interval_us` microseconds apart and the returned one (microseconds since the epoch,
    /// as `now_us`) is when this delivery may start. `None` from a single-node store: the
    /// engine spaces deliveries itself.
    async fn throttle_slot(
        &self,
        endpoint_id: &str,
        interval_us: i64,
        now_us: i64,
    ) -> Result<Option<i64>>;
    /// Closes the store's connections (at shutdown).
    async fn close(&self);
}

/// The rest of the delivery engine's queue.
#[async_trait]
pub trait DeliveryStore: Send + Sync + 'static {
    /// Moves a claimed delivery on without an attempt (its message or endpoint is gone).
    async fn settle_delivery(
        &self,
        msg_id: &str,
        endpoint_id: &str,
        update: DeliveryUpdate,
        now: Millis,
    ) -> Result<()>;
    async fn endpoint_by_id(&self, id: &str) -> Result<Option<Endpoint>>;
    /// Disables the endpoint (the engine's decision), `reason` saying why in words.
    async fn disable_endpoint(&self, id: &str, reason: &str, now: Millis) -> Result<()>;
    /// The ids of the endpoints whose URL starts with `prefix` (listener endpoints).
    async fn listener_endpoints(&self, prefix: &str) -> Result<Vec<String>>;
    /// Gives back every claim held on the endpoint's deliveries, due now: a listener that
    /// connects takes over what a listener before it left unanswered.
    async fn release_endpoint_claims(&self, endpoint_id: &str, now: Millis) -> Result<u64>;
    /// Whether one of the endpoint's deliveries is claimed under a lease that has not run
    /// out at `now`.
    async fn endpoint_has_claims(&self, endpoint_id: &str, now: Millis) -> Result<bool>;
    /// A claimed delivery's attempts so far and the lease it is held under.
    async fn leased_delivery(
        &self,
        msg_id: &str,
        endpoint_id: &str,
    ) -> Result<Option<(u32, Millis)>>;
    /// Fails, without an attempt, the endpoint's pending deliveries of messages created
    /// before `before` (a listener that asked for newer events only); they stay
    /// recoverable. Returns how many.
    async fn skip_pending_before(
        &self,
        endpoint_id: &str,
        before: Millis,
        now: Millis,
    ) -> Result<u64>;
    /// For `/metrics`.
    async fn gauges(&self, now: Millis) -> Result<crate::metrics::Gauges>;
}

/// Tokens and idempotency keys.
#[async_trait]
pub trait AuthStore: Send + Sync + 'static {
    async fn create_token(&self, token: &Token, hash: &str, now: Millis) -> Result<()>;
    async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>>;
    async fn has_admin_token(&self) -> Result<bool>;
    /// Creates or replaces the token with `token.id` (the one `HOOKLINE_ADMIN_TOKEN` sets).
    async fn replace_token(&self, token: &Token, hash: &str, now: Millis) -> Result<()>;
    /// Revokes every unnamed admin token but `keep` (named ones were made on purpose
    /// through the API and stay).
    async fn revoke_admin_tokens_except(&self, keep: &str) -> Result<u64>;
    /// Admin tokens, by id.
    async fn list_admin_tokens(&self, page: &Page) -> Result<Vec<TokenInfo>>;
    /// Revokes the admin token `id`; false when there is none. Takes effect at once: the
    /// token caches are keyed on `EndpointStore::generation`, which this moves on (on every
    /// node).
    async fn revoke_admin_token(&self, id: &str) -> Result<bool>;

    /// Claims `key` for a new request; returns what is stored when it is already taken.
    /// Claims `key` for the request whose fingerprint is `fingerprint`: `None` when it is
    /// now this request's to run, else what the key holds (a kept response, a request still
    /// running, or another request's claim).
    async fn claim_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        now: Millis,
    ) -> Result<Option<Idempotent>>;
    async fn finish_idempotency_key(&self, key: &str, status: u16, body: &[u8]) -> Result<()>;
    async fn release_idempotency_key(&self, key: &str) -> Result<()>;
    /// Drops keys created before `before`.
    async fn purge_idempotency_keys(&self, before: Millis) -> Result<u64>;
}
