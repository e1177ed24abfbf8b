//! The event id and event type of a received request.

use ring::digest;

use crate::request::{self, BodyJson, Request};
use crate::scheme::{Scheme, Source};
use crate::signature::{self, Parsed};

/// The longest event id kept as sent; a longer one is replaced by its hash, so a sender
/// cannot make the de-duplication index hold arbitrarily long keys.
pub const MAX_EVENT_ID_LEN: usize = 256;

/// A received event's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventMeta {
    /// The key to de-duplicate on: the provider's event id where the scheme declares one and
    /// the request carries it, else a hash (see [`IdOrigin`]).
    pub id: String,
    /// Where `id` came from.
    pub origin: IdOrigin,
    /// The event type, where the scheme names one and the request carries it.
    pub event_type: Option<String>,
}

/// Where an [`EventMeta::id`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdOrigin {
    /// The provider's own id, as sent.
    Declared,
    /// `sig_` and the SHA-256 of the signature header's value (the body's, for a signature
    /// in the body), hex, 32 digits. A provider's retry that re-signs at a new time has a new
    /// signature, so only byte-identical repeats are caught this way.
    SignatureHash,
    /// `idh_` and the SHA-256 of a declared id longer than [`MAX_EVENT_ID_LEN`].
    LongIdHash,
}

/// Reads the event id and type of `req` by the scheme's [`receive_id`] and
/// [`receive_event_type`]. Call it on a verified request only: before verification these
/// values are whatever the sender chose. A body that is not JSON, or a field of another type
/// than string or number, reads as absent.
///
/// [`receive_id`]: Scheme::receive_id
/// [`receive_event_type`]: Scheme::receive_event_type
pub fn event_meta(scheme: &Scheme, req: &Request<'_>) -> EventMeta {
    let sig = &scheme.signature;
    let sig_value = sig.source.header().and_then(|h| req.headers.get(h));
    let parsed = sig_value.map_or_else(Parsed::default, |v| signature::parse(&sig.format, v));
    let mut json = BodyJson::new(req.body);
    let mut read = |source: Option<&Source>| {
        source
            .and_then(|s| request::read_optional(s, req, &mut json, &parsed))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let declared = read(scheme.receive_id());
    let event_type = read(scheme.receive_event_type());
    let (id, origin) = match declared {
        Some(id) if id.len() <= MAX_EVENT_ID_LEN && !id.chars().any(char::is_control) => {
            (id, IdOrigin::Declared)
        }
        Some(id) => (hashed("idh_", id.as_bytes()), IdOrigin::LongIdHash),
        None => {
            let basis = sig_value.map_or(req.body, str::as_bytes);
            (hashed("sig_", basis), IdOrigin::SignatureHash)
        }
    };
    EventMeta {
        id,
        origin,
        event_type: event_type.filter(|t| t.len() <= MAX_EVENT_ID_LEN),
    }
}

fn hashed(prefix: &str, bytes: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, bytes);
    format!("{prefix}{}", hex::encode(&d.as_ref()[..16]))
}
