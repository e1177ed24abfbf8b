//! The store methods the gateway needs. Implemented once for both databases in the store
//! (see `store/shared`); declared here so the gateway reads as one piece.

use async_trait::async_trait;

use super::model::{Forward, Received, ReceivedRequest, RequestFilter, Source};
use crate::store::{Message, Millis, Page, Result, StoreError};

// TEMPORARY until the shared store lands: every method fails, so the gateway compiles.
fn pending() -> StoreError {
    StoreError::Corrupt("the gateway's store is not implemented yet".into())
}

impl<T: crate::store::Store + ?Sized> SourceStore for T {}

/// Sources, their received requests, and the event ids seen.
#[async_trait]
#[allow(unused_variables)] // TEMPORARY: the default bodies
pub trait SourceStore: Send + Sync + 'static {
    /// `Conflict` when the uid is taken.
    async fn create_source(&self, source: &Source) -> Result<()> {
        Err(pending())
    }
    /// By id or uid.
    async fn source(&self, id_or_uid: &str) -> Result<Option<Source>> {
        Err(pending())
    }
    async fn list_sources(&self, page: &Page) -> Result<Vec<Source>> {
        Err(pending())
    }
    /// Writes every field but the id and creation time, secrets included.
    async fn update_source(&self, source: &Source) -> Result<()> {
        Err(pending())
    }
    /// Deletes the source and its requests (not its application or messages).
    async fn delete_source(&self, id: &str) -> Result<bool> {
        Err(pending())
    }

    /// An authentic request, in one transaction (one group commit): when `event_id` has
    /// not been seen for the source within its window, claims it until `dedupe_until`,
    /// writes `msg` (with `forward`) and its deliveries to the matching endpoints, and the
    /// request as accepted; otherwise writes the request as a duplicate of the first
    /// message. Returns when it is committed.
    async fn receive_event(
        &self,
        request: &ReceivedRequest,
        msg: &Message,
        forward: &Forward,
        dedupe_until: Millis,
    ) -> Result<Received> {
        Err(pending())
    }
    /// A rejected request: kept until its `expires_at`, and at most `keep` per source (the
    /// oldest dropped first).
    async fn record_rejection(&self, request: &ReceivedRequest, keep: usize) -> Result<()> {
        Err(pending())
    }
    /// Newest first by default.
    async fn list_requests(
        &self,
        source_id: &str,
        page: &Page,
        filter: &RequestFilter,
    ) -> Result<Vec<ReceivedRequest>> {
        Err(pending())
    }
    async fn request(&self, source_id: &str, id: &str) -> Result<Option<ReceivedRequest>> {
        Err(pending())
    }
    /// The forward data of a forwarded message (`None` for a message sent via the API).
    async fn forward_of(&self, msg_id: &str) -> Result<Option<Forward>> {
        Err(pending())
    }
    /// Writes a replay of an accepted request: a new message (no event id) with `forward`,
    /// queued for the matching endpoints.
    async fn replay_message(&self, msg: &Message, forward: &Forward) -> Result<usize> {
        Err(pending())
    }
    /// Drops rejected requests and event ids past their time.
    async fn purge_received(&self, now: Millis) -> Result<u64> {
        Err(pending())
    }
}
