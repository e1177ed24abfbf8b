//! Rows into model values, written once for both backends: their row types differ, their
//! columns do not. Also the sealing of an endpoint's secrets and headers, whose context
//! (`<endpoint id>/<field>`) must match on both.

use super::sql::{Columns, from_json, from_json_opt};
use super::{
    Application, Attempt, Delivery, DeliveryStatus, Endpoint, EventType, Message, ReceivedRequest,
    RequestStatus, Result, Source, StoreError,
};
use crate::crypto::Cipher;

pub(super) fn app_row(r: &impl Columns) -> Result<Application> {
    Ok(Application {
        id: r.text("id"),
        uid: r.opt_text("uid"),
        name: r.text("name"),
        metadata: from_json(&r.text("metadata"))?,
        throttle_rate: r
            .opt_int("throttle_rate")
            .and_then(|n| u16::try_from(n).ok()),
        created_at: r.int("created_at"),
        updated_at: r.int("updated_at"),
    })
}

pub(super) fn event_type_row(r: &impl Columns) -> Result<EventType> {
    Ok(EventType {
        name: r.text("name"),
        description: r.text("description"),
        archived: r.flag("archived"),
        deprecated: r.flag("deprecated"),
        feature_flag: r.opt_text("feature_flag"),
        schemas: from_json_opt(r.opt_text("schemas"))?,
        created_at: r.int("created_at"),
        updated_at: r.int("updated_at"),
    })
}

pub(super) fn message_row(r: &impl Columns) -> Result<Message> {
    Ok(Message {
        id: r.text("id"),
        app_id: r.text("app_id"),
        event_id: r.opt_text("event_id"),
        event_type: r.text("event_type"),
        channels: from_json_opt(r.opt_text("channels"))?,
        payload: r.opt_text("payload"),
        payload_expires_at: r.int("payload_expires_at"),
        created_at: r.int("created_at"),
        forward: from_json_opt(r.opt_text("forward"))?,
    })
}

fn status(n: i64) -> Result<DeliveryStatus> {
    DeliveryStatus::from_i64(n).ok_or_else(|| StoreError::Corrupt(format!("delivery status {n}")))
}

/// A delivery, from a row whose own times are named `d_created_at` and `d_updated_at`
/// (it is often joined with its message).
pub(super) fn delivery_row(r: &impl Columns) -> Result<Delivery> {
    Ok(Delivery {
        msg_id: r.text("msg_id"),
        endpoint_id: r.text("endpoint_id"),
        status: status(r.int("status"))?,
        next_attempt_at: r.opt_int("next_attempt_at"),
        created_at: r.int("d_created_at"),
        updated_at: r.int("d_updated_at"),
    })
}

pub(super) fn attempt_row(r: &impl Columns) -> Result<Attempt> {
    Ok(Attempt {
        id: r.text("id"),
        msg_id: r.text("msg_id"),
        app_id: r.text("app_id"),
        endpoint_id: r.text("endpoint_id"),
        url: r.text("url"),
        status: status(r.int("status"))?,
        response_status_code: r.int("response_status_code"),
        response: r.text("response"),
        response_duration_ms: r.int("response_duration_ms"),
        trigger_type: r.int("trigger_type"),
        failure_reason: r.opt_text("failure_reason"),
        created_at: r.int("created_at"),
        request_headers: r.opt_text("request_headers"),
    })
}

/// Seals one of endpoint `id`'s confidential fields.
pub(super) fn seal(cipher: &Cipher, id: &str, what: &str, plain: &[u8]) -> Vec<u8> {
    cipher.seal(&format!("{id}/{what}"), plain)
}

fn open_text(cipher: &Cipher, id: &str, what: &str, sealed: &[u8]) -> Result<String> {
    let plain = cipher
        .open(&format!("{id}/{what}"), sealed)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    String::from_utf8(plain).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// An endpoint, its secrets and headers opened with `cipher`.
pub(super) fn endpoint_row(r: &impl Columns, cipher: &Cipher) -> Result<Endpoint> {
    let id = r.text("id");
    Ok(Endpoint {
        app_id: r.text("app_id"),
        uid: r.opt_text("uid"),
        url: r.text("url"),
        description: r.text("description"),
        disabled: r.flag("disabled"),
        event_types: from_json_opt(r.opt_text("event_types"))?,
        channels: from_json_opt(r.opt_text("channels"))?,
        metadata: from_json(&r.text("metadata"))?,
        throttle_rate: r
            .opt_int("throttle_rate")
            .and_then(|n| u16::try_from(n).ok()),
        headers: from_json(&open_text(cipher, &id, "headers", &r.blob("headers"))?)?,
        secret: open_text(cipher, &id, "secret", &r.blob("secret"))?,
        previous_secrets: from_json(&open_text(
            cipher,
            &id,
            "previous_secrets",
            &r.blob("previous_secrets"),
        )?)?,
        signature_scheme: r.text("signature_scheme"),
        tolerance_hint: r
            .opt_int("tolerance_hint")
            .and_then(|n| u32::try_from(n).ok()),
        timeout_secs: r
            .opt_int("timeout_secs")
            .and_then(|n| u32::try_from(n).ok()),
        created_at: r.int("created_at"),
        updated_at: r.int("updated_at"),
        id,
    })
}

/// A source, its keys and verify token opened with `cipher`.
pub(super) fn source_row(r: &impl Columns, cipher: &Cipher) -> Result<Source> {
    let id = r.text("id");
    let secrets = open_text(cipher, &id, "secrets", &r.blob("secrets"))?;
    let verify_token = r
        .opt_blob("verify_token")
        .map(|b| open_text(cipher, &id, "verify_token", &b))
        .transpose()?;
    Ok(Source {
        uid: r.opt_text("uid"),
        name: r.text("name"),
        scheme: r.text("scheme"),
        scheme_definition: r.opt_text("scheme_definition"),
        secrets: from_json(&secrets)?,
        handshake: r.opt_text("handshake"),
        verify_token,
        tolerance_secs: r
            .opt_int("tolerance_secs")
            .and_then(|n| u32::try_from(n).ok()),
        dedupe_window_secs: u32::try_from(r.int("dedupe_window_secs")).unwrap_or(u32::MAX),
        app_id: r.text("app_id"),
        created_at: r.int("created_at"),
        updated_at: r.int("updated_at"),
        id,
    })
}

pub(super) fn request_row(r: &impl Columns) -> Result<ReceivedRequest> {
    let status = r.text("status");
    Ok(ReceivedRequest {
        id: r.text("id"),
        source_id: r.text("source_id"),
        received_at: r.int("received_at"),
        status: RequestStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("request status {status}")))?,
        reason: r.opt_text("reason"),
        event_id: r.opt_text("event_id"),
        event_type: r.opt_text("event_type"),
        msg_id: r.opt_text("msg_id"),
        url: r.text("url"),
        headers: from_json(&r.text("headers"))?,
        body: r.opt_blob("body").unwrap_or_default(),
        expires_at: r.int("expires_at"),
    })
}
