//! Signing: the headers a sender attaches to a delivery.

use ring::hmac;

use crate::encoding::Encoding;
use crate::error::SignError;
use crate::key::{KeyEncoding, KeyError, Sign, SigningKey};
use crate::outgoing::{self, Event, Outbound};
use crate::request;
use crate::scheme::{Scheme, Source};
use crate::signature;
use crate::template::{self, Part, Values};
use crate::time::UnixTime;

/// What is being sent.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// The message id; the same on every retry, so receivers can de-duplicate.
    pub id: Option<&'a str>,
    /// The send time.
    pub timestamp: UnixTime,
    /// The body, exactly as it will go on the wire.
    pub body: &'a [u8],
    /// The URL it is posted to, for schemes that sign it.
    pub url: Option<&'a str>,
}

/// A scheme with its signing keys parsed.
#[derive(Debug)]
pub struct Signer {
    scheme: Scheme,
    keys: Vec<SigningKey>,
}

impl Signer {
    /// Parses `keys`, newest first: secrets, or private keys for asymmetric schemes. Where the
    /// scheme's header carries several signatures, each key signs (rotation without downtime);
    /// where it carries one, the first key signs.
    pub fn new<S: AsRef<str>>(scheme: &Scheme, keys: &[S]) -> Result<Self, KeyError> {
        if !scheme.can_sign {
            return Err(KeyError::CannotSign(scheme.name.clone()));
        }
        if keys.is_empty() {
            return Err(KeyError::NoKeys);
        }
        let format = if scheme.algorithm.is_symmetric() {
            Some(&scheme.key)
        } else {
            scheme.signing_key.as_ref()
        };
        let format = format.ok_or_else(|| KeyError::CannotSign(scheme.name.clone()))?;
        let keys = keys
            .iter()
            .map(|k| SigningKey::from_bytes(scheme.algorithm, &format.decode(k.as_ref())?))
            .collect::<Result<_, _>>()?;
        Ok(Signer {
            scheme: scheme.clone(),
            keys,
        })
    }

    /// The public keys that verify this signer's signatures, written in the scheme's key
    /// format (`whpk_…` for Standard Webhooks v1a); `None` for HMAC schemes.
    pub fn public_keys(&self) -> Option<Vec<String>> {
        let format = &self.scheme.key;
        self.keys
            .iter()
            .map(|k| {
                let bytes = k.public_key_bytes()?;
                let text = match format.encoding {
                    KeyEncoding::Hex => hex::encode(bytes),
                    _ => Encoding::Base64.encode(&bytes),
                };
                Some(format!(
                    "{}{text}",
                    format.prefix.as_deref().unwrap_or_default()
                ))
            })
            .collect()
    }

    /// The headers to send, in the order: id, timestamp, signature.
    pub fn sign(&self, msg: &Message<'_>) -> Result<Vec<(String, String)>, SignError> {
        let s = &self.scheme;
        let sig_header = s
            .signature
            .source
            .header()
            .ok_or_else(|| SignError::CannotSign(s.name.clone()))?;
        let ts_text = s.timestamp.as_ref().map(|t| t.format.format(msg.timestamp));
        if s.template.uses(&Part::Id) && msg.id.is_none() {
            return Err(SignError::MissingId(s.name.clone()));
        }
        let mut values = Values {
            id: msg.id.unwrap_or_default(),
            timestamp: ts_text.as_deref().unwrap_or_default(),
            body: msg.body,
            ..Values::default()
        };
        let digest_in_url = |url: &str| {
            s.url
                .body_hash_param
                .as_ref()
                .is_some_and(|p| request::query_param(url, p).is_some())
        };
        if s.template.uses(&Part::Url) {
            values.url = msg
                .url
                .ok_or_else(|| SignError::MissingUrl(s.name.clone()))?;
        }
        let form = if s.template.uses(&Part::Form) && !digest_in_url(values.url) {
            template::sorted_form(msg.body)
        } else {
            Vec::new()
        };
        values.form = &form;

        let count = if signature::carries_several(&s.signature.format) {
            self.keys.len()
        } else {
            1
        };
        let signatures: Vec<String> = self.keys[..count]
            .iter()
            .map(|k| s.encoding.encode(&self.sign_one(k, &values)))
            .collect();

        let mut headers = Vec::with_capacity(3);
        let mut params = Vec::new();
        for (source, value) in [
            (s.id.as_ref(), msg.id),
            (s.timestamp.as_ref().map(|t| &t.source), ts_text.as_deref()),
        ] {
            match (source, value) {
                (Some(Source::Header(name)), Some(v)) => {
                    headers.push((name.to_string(), v.to_owned()))
                }
                (Some(Source::SignatureParam(key)), Some(v)) => params.push((key.as_str(), v)),
                _ => {}
            }
        }
        headers.push((
            sig_header.to_owned(),
            signature::write(&s.signature.format, &signatures, &params),
        ));
        Ok(headers)
    }

    /// Dresses `ev` the way the scheme's provider sends it (its envelope, ids and extra
    /// headers: see [`outgoing`](crate::outgoing)), then signs that body at `sent`, the
    /// attempt's time. For a scheme without an envelope the payload is sent as it is, with
    /// no copy: [`Outbound::body`] is `None`.
    pub fn sign_event(
        &self,
        ev: &Event<'_>,
        sent: UnixTime,
        url: Option<&str>,
    ) -> Result<Outbound, SignError> {
        let s = &self.scheme;
        let out = &s.outgoing;
        if out.is_empty() {
            let mut headers = self.sign(&Message {
                id: Some(ev.msg_id),
                timestamp: sent,
                body: ev.payload,
                url,
            })?;
            self.push_event_header(ev.event_type, &mut headers)?;
            return Ok(Outbound {
                body: None,
                headers,
            });
        }
        if out.has_body() && serde_json::from_slice::<serde::de::IgnoredAny>(ev.payload).is_err() {
            return Err(SignError::PayloadNotJson(s.name.clone()));
        }
        let values = out
            .values(ev, sent)
            .ok_or_else(|| SignError::MissingDeliveryKey(s.name.clone()))?;
        let id = out.id(&values);
        if let (Some(id), Some(Source::Header(name))) = (&id, &s.id)
            && !outgoing::header_value_ok(id)
        {
            return Err(SignError::BadHeaderValue(name.to_string()));
        }
        let values = values.with_id(id.as_deref().unwrap_or(ev.msg_id));
        let body = out.body(&values);
        let mut headers = self.sign(&Message {
            id: Some(id.as_deref().unwrap_or(ev.msg_id)),
            timestamp: sent,
            body: body.as_deref().unwrap_or(ev.payload),
            url,
        })?;
        self.push_event_header(ev.event_type, &mut headers)?;
        for (name, value) in out.headers(&values) {
            if !outgoing::header_value_ok(&value) {
                return Err(SignError::BadHeaderValue(name.to_owned()));
            }
            headers.push((name.to_owned(), value));
        }
        Ok(Outbound { body, headers })
    }

    /// The event type, in the scheme's event header where it has one.
    fn push_event_header(
        &self,
        event_type: &str,
        headers: &mut Vec<(String, String)>,
    ) -> Result<(), SignError> {
        if let Some(Source::Header(name)) = &self.scheme.event_type {
            if !outgoing::header_value_ok(event_type) {
                return Err(SignError::BadHeaderValue(name.to_string()));
            }
            headers.push((name.to_string(), event_type.to_owned()));
        }
        Ok(())
    }

    fn sign_one(&self, key: &SigningKey, values: &Values<'_>) -> Vec<u8> {
        match &key.0 {
            Sign::Hmac(k) => {
                let mut ctx = hmac::Context::with_key(k);
                self.scheme.template.feed(values, |b| ctx.update(b));
                ctx.sign().as_ref().to_vec()
            }
            _ => key.sign(&self.scheme.template.render(values)),
        }
    }
}

impl Scheme {
    /// Parses `keys` for signing. Shorthand for [`Signer::new`].
    pub fn signer<S: AsRef<str>>(&self, keys: &[S]) -> Result<Signer, KeyError> {
        Signer::new(self, keys)
    }

    /// Signs one message. For many messages, keep a [`Signer`] instead.
    pub fn sign<S: AsRef<str>>(
        &self,
        keys: &[S],
        msg: &Message<'_>,
    ) -> Result<Vec<(String, String)>, crate::Error> {
        Ok(self.signer(keys)?.sign(msg)?)
    }
}
