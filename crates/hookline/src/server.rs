//! Building and running the server. `Application::build` opens the store, makes sure an
//! admin token exists and binds the listener (port 0 in tests); `run` serves until the
//! shutdown signal it is given fires, then drains in-flight requests within the grace.
//! Client connections, their deadlines and their cap: `server/connections.rs` and `server/watchdog.rs`.

mod connections;
pub(crate) mod watchdog;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::config::{Config, Role};
use crate::crypto::{Cipher, token_hash};
use crate::engine::http::Sender;
use crate::engine::retry::RetryPolicy;
use crate::engine::ssrf::Guard;
use crate::engine::{Engine, EngineConfig};
use crate::ids::random_token;
use crate::operational::Operational;
use crate::store::postgres::{PgOptions, PgStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, Token};

/// The id of the admin token set by `HOOKLINE_ADMIN_TOKEN`: replaced when the variable changes.
const ENV_ADMIN_TOKEN_ID: &str = "tok_admin_env";

/// How long idempotency keys are kept (the issue asks for at least 12 hours).
const IDEMPOTENCY_TTL_MS: i64 = 24 * 3_600_000;

/// A server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    engine: Engine,
    role: Role,
    limits: connections::Limits,
    dashboard: Arc<crate::dashboard::Settings>,
    /// An admin token created on this start (first start, no `HOOKLINE_ADMIN_TOKEN`): the
    /// caller shows it once; only its hash is stored.
    pub new_admin_token: Option<String>,
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        crate::data_dir::prepare(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let cipher = Arc::new(Cipher::load(
            config.encryption_key.expose(),
            &config.data_dir,
        )?);
        let wake = Arc::new(crate::engine::wake::Wake::default());
        let store: Arc<dyn Store> = match config.database_url.expose() {
            Some(url) => {
                let options = PgOptions {
                    url: url.to_owned(),
                    max_connections: config.database_max_connections,
                    connect_timeout: config.database_connect_timeout,
                    node_id: config.node_id.clone(),
                };
                let store = PgStore::open(&options, cipher).await?;
                if config.role != Role::Api {
                    store.listen(wake.clone());
                }
                Arc::new(store)
            }
            None => {
                let db = config.data_dir.join("hookline.db");
                Arc::new(
                    SqliteStore::open(&db, cipher)
                        .await
                        .with_context(|| format!("opening {}", db.display()))?,
                )
            }
        };
        let new_admin_token =
            ensure_admin_token(store.as_ref(), config.admin_token.expose()).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let local = listener.local_addr()?;
        let operational = Operational::setup(config, store.clone(), wake.clone()).await?;
        let state = AppState {
            store: store.clone(),
            max_body_bytes: config.max_body_bytes,
            public_url: Arc::from(
                config
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{local}"))
                    .trim_end_matches('/'),
            ),
            wake: wake.clone(),
            metrics: Arc::default(),
            operational: operational.clone(),
            caches: Arc::default(),
            gateway: Arc::default(),
            retry: Arc::new(RetryPolicy {
                schedule: config.retry_schedule.clone(),
                ..RetryPolicy::default()
            }),
            listen: Arc::default(),
        };
        let dashboard = Arc::new(crate::dashboard::Settings::new(
            config.dashboard.clone(),
            &state.public_url,
        )?);
        let sender = Sender::new(
            Guard {
                allow: config.ssrf_allow.clone(),
            },
            Duration::from_secs(10).min(config.delivery_timeout),
            config.delivery_timeout,
            64 * 1024,
        )?;
        let engine_config = EngineConfig {
            policy: RetryPolicy {
                schedule: config.retry_schedule.clone(),
                ..RetryPolicy::default()
            },
            concurrency: config.delivery_concurrency,
            lease: config.delivery_lease,
            per_endpoint: config.delivery_per_endpoint,
            disable_after: config.disable_after,
            breaker: crate::engine::breaker::BreakerPolicy {
                threshold: config.breaker_threshold,
                open_for: config.breaker_open,
                max_open_for: (config.breaker_open * 20).max(config.breaker_open),
            },
            ..EngineConfig::default()
        };
        let engine = Engine::new(
            state.store.clone(),
            sender,
            engine_config,
            wake,
            state.metrics.clone(),
            operational,
        );
        Ok(Application {
            listener,
            state,
            engine,
            role: config.role,
            limits: connection_limits(config),
            dashboard,
            new_admin_token,
        })
    }

    /// The bound address (tests bind port 0 and ask).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the store.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let store = self.state.store.clone();
        let cleaner = tokio::spawn(clean_up(store.clone(), stop_rx.clone()));
        tracing::info!(addr = %self.local_addr(), "listening");
        let engine = match self.role {
            Role::All | Role::Worker => Some(tokio::spawn(self.engine.run(stop_rx))),
            Role::Api => None,
        };
        let metrics = self.state.metrics.clone();
        // Listener streams end when shutdown begins, not after the grace period.
        let answers = self.state.listen.clone();
        let shutdown = async move {
            shutdown.await;
            answers.close_all();
        };
        let router = match self.role {
            Role::All | Role::Api => {
                let pages = crate::dashboard::router(crate::dashboard::Dash {
                    api: self.state.clone(),
                    settings: self.dashboard,
                });
                api::router(self.state, pages)
            }
            // A worker answers only its health check.
            Role::Worker => api::health_router(self.state),
        };
        connections::serve(self.listener, router, self.limits, metrics, shutdown).await;
        let _ = stop_tx.send(true);
        let _ = cleaner.await;
        if let Some(engine) = engine {
            let _ = engine.await;
        }
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The limits on client connections; the cap lowered, with a warning, to what the
/// file-descriptor limit allows besides the store's and the deliveries' own sockets.
fn connection_limits(config: &Config) -> connections::Limits {
    let reserve = 64 + config.delivery_concurrency + config.database_max_connections as usize;
    let fd_limit = connections::open_files_limit();
    let max_connections =
        connections::cap_for_descriptors(config.max_connections, fd_limit, reserve);
    if max_connections < config.max_connections {
        tracing::warn!(
            max_connections = config.max_connections,
            open_files_limit = fd_limit,
            effective = max_connections,
            "max_connections lowered to fit the open-files limit (raise it with `ulimit -n` or LimitNOFILE)"
        );
    }
    connections::Limits {
        deadlines: watchdog::Deadlines {
            header: config.header_timeout,
            body: config.body_timeout,
            idle: config.keep_alive_timeout,
        },
        max_connections,
        shutdown_grace: config.shutdown_grace,
    }
}

/// Makes sure an admin token exists. Returns a token created now, which nobody has seen yet.
async fn ensure_admin_token(
    store: &dyn Store,
    from_env: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let now = crate::now_millis();
    if let Some(token) = from_env {
        let record = Token {
            id: ENV_ADMIN_TOKEN_ID.into(),
            app_id: None,
            expires_at: None,
            name: None,
            caps: None,
        };
        store
            .replace_token(&record, &token_hash(token), now)
            .await?;
        // `HOOKLINE_ADMIN_TOKEN` is the admin token: any other (a generated one, or an
        // earlier value of the variable) stops working.
        let revoked = store.revoke_admin_tokens_except(ENV_ADMIN_TOKEN_ID).await?;
        if revoked > 0 {
            tracing::info!(
                revoked,
                "HOOKLINE_ADMIN_TOKEN is set: other admin tokens revoked"
            );
        }
        return Ok(None);
    }
    if store.has_admin_token().await? {
        return Ok(None);
    }
    let token = format!("hk_{}", random_token(32));
    let record = Token {
        id: crate::ids::new_id("tok"),
        app_id: None,
        expires_at: None,
        name: None,
        caps: None,
    };
    store
        .create_token(&record, &token_hash(&token), now)
        .await?;
    Ok(Some(token))
}

/// The background cleaner: idempotency keys past their time, payloads past their
/// retention, received requests past theirs (rejections after an hour), dashboard sessions
/// and portal codes past their expiry. It also counts the dashboard chart's closed
/// minutes ahead of the overview (`dashboard::count_ahead`).
async fn clean_up(store: Arc<dyn Store>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = store.purge_sessions(crate::now_millis()).await {
            tracing::warn!(error = %e, "purging dashboard sessions");
        }
        match store.expire_payloads(crate::now_millis()).await {
            Ok(n) if n > 0 => tracing::info!(expired = n, "payloads past their retention removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "removing expired payloads"),
        }
        match store
            .purge_idempotency_keys(crate::now_millis() - IDEMPOTENCY_TTL_MS)
            .await
        {
            Ok(n) if n > 0 => tracing::debug!(purged = n, "idempotency keys"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys"),
        }
        match store.purge_requests(crate::now_millis()).await {
            Ok(n) if n > 0 => tracing::debug!(purged = n, "received requests past their time"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging received requests"),
        }
        if let Err(e) = crate::dashboard::count_ahead(&*store, crate::now_millis()).await {
            tracing::warn!(error = %e, "counting the dashboard's activity");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
