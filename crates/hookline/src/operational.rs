//! Operational webhooks: Hookline tells the operator about endpoints and failing deliveries
//! (`endpoint.created`, `.updated`, `.deleted`, `.disabled`, `message.attempt.failing`,
//! `.exhausted`, `.recovered`, with Svix's bodies).
//!
//! They are ordinary messages of a reserved application (uid `hookline-operational`) with one
//! endpoint (uid `operational`) set from the configuration, so they are stored durably,
//! signed (Svix headers) and retried like any other delivery. Events about that application
//! itself are not emitted, so nothing loops.

use std::sync::Arc;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::config::Config;
use crate::ids::new_id;
use crate::store::{Application, Endpoint, Message, Store, Targets};

pub const APP_UID: &str = "hookline-operational";
const ENDPOINT_UID: &str = "operational";

/// Emits operational events; does nothing when none are configured.
#[derive(Clone, Default)]
pub struct Operational {
    target: Option<Target>,
}

#[derive(Clone)]
struct Target {
    store: Arc<dyn Store>,
    app_id: String,
    endpoint_id: String,
    wake: Arc<crate::engine::wake::Wake>,
}

impl Operational {
    /// Creates or updates the reserved application and endpoint from the configuration.
    pub async fn setup(
        config: &Config,
        store: Arc<dyn Store>,
        wake: Arc<crate::engine::wake::Wake>,
    ) -> anyhow::Result<Self> {
        let Some(url) = config.operational_webhook_url.clone() else {
            return Ok(Operational::default());
        };
        // Judged at start by the parser deliveries use, so a typo fails here, not later.
        crate::engine::target::DeliveryUrl::parse(&url)
            .map_err(|why| anyhow::anyhow!("operational_webhook_url: {why}"))?;
        let secret = config
            .operational_webhook_secret
            .expose()
            .context("HOOKLINE_OPERATIONAL_WEBHOOK_SECRET: required with operational_webhook_url (whsec_ + base64)")?
            .to_owned();
        let svix = hookline_sig::presets::by_name("svix").context("svix preset")?;
        svix.signer(&[&secret])
            .map_err(|e| anyhow::anyhow!("HOOKLINE_OPERATIONAL_WEBHOOK_SECRET: {e}"))?;
        let now = crate::now_millis();
        let app = match store.app(APP_UID).await? {
            Some(a) => a,
            None => {
                let a = Application {
                    id: new_id("app"),
                    uid: Some(APP_UID.into()),
                    name: "Hookline operational webhooks".into(),
                    metadata: serde_json::Map::new(),
                    throttle_rate: None,
                    created_at: now,
                    updated_at: now,
                };
                store.create_app(&a).await?;
                a
            }
        };
        let endpoint_id = match store.endpoint(&app.id, ENDPOINT_UID).await? {
            Some(mut ep) => {
                if ep.url != url || ep.secret != secret || ep.disabled {
                    ep.url = url;
                    ep.disabled = false;
                    ep.updated_at = now;
                    store.update_endpoint(&ep).await?;
                    ep.secret = secret;
                    store.update_endpoint_secrets(&ep).await?;
                }
                ep.id
            }
            None => {
                let ep = Endpoint {
                    id: new_id("ep"),
                    app_id: app.id.clone(),
                    uid: Some(ENDPOINT_UID.into()),
                    url,
                    description: "Operational webhooks (from the configuration)".into(),
                    disabled: false,
                    event_types: None,
                    channels: None,
                    metadata: serde_json::Map::new(),
                    throttle_rate: None,
                    headers: Default::default(),
                    secret,
                    previous_secrets: Vec::new(),
                    signature_scheme: "svix".into(),
                    tolerance_hint: None,
                    timeout_secs: None,
                    created_at: now,
                    updated_at: now,
                };
                store.create_endpoint(&ep).await?;
                ep.id
            }
        };
        Ok(Operational {
            target: Some(Target {
                store,
                app_id: app.id,
                endpoint_id,
                wake,
            }),
        })
    }

    /// Whether `app_id` is the reserved application (whose own events are not emitted).
    pub fn is_own(&self, app_id: &str) -> bool {
        self.target.as_ref().is_some_and(|t| t.app_id == app_id)
    }

    /// Emits `{type, data}`. A failure is logged, never passed on: the operation that
    /// caused the event has happened either way.
    pub async fn emit(&self, event_type: &str, data: Value) {
        let Some(t) = &self.target else { return };
        let now = crate::now_millis();
        let msg = Message {
            id: new_id("msg"),
            app_id: t.app_id.clone(),
            event_id: None,
            event_type: event_type.to_owned(),
            channels: None,
            payload: Some(json!({ "type": event_type, "data": data }).to_string()),
            payload_expires_at: now + 90 * 24 * 3_600_000,
            created_at: now,
            forward: None,
        };
        match t
            .store
            .create_message(&msg, &Targets::Only(vec![t.endpoint_id.clone()]), now)
            .await
        {
            Ok(_) => t.wake.anything(),
            Err(e) => tracing::error!(error = %e, event_type, "emitting an operational webhook"),
        }
    }

    /// `endpoint.created`, `.updated`, `.deleted`.
    pub async fn endpoint_event(&self, event_type: &str, app: &Application, ep: &Endpoint) {
        if self.is_own(&app.id) {
            return;
        }
        self.emit(
            event_type,
            json!({"appId": app.id, "appUid": app.uid, "endpointId": ep.id, "endpointUid": ep.uid}),
        )
        .await;
    }
}
