#![doc = include_str!("../README.md")]

pub mod auth;
pub mod cli;
pub mod error;
pub mod flows;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod state;
pub mod workers;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
pub use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::settings::{Settings, WechatMode};
use crate::state::{AppState, WechatClients};

/// The platform, built and bound to its listener but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    sweeper: workers::Sweeper,
}

impl Application {
    /// Connects and migrates the database, sets up the cache, the secret box and the first
    /// operator (if configured), and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        settings.check()?;
        let db = connect_and_migrate(&settings).await?;
        let cache = build_cache(&settings)?;
        let secrets = load_secret_box(&settings)?;
        bootstrap_operator(&db, &settings).await?;

        let (wechat, sandbox) = build_wechat(&settings, &cache)?;
        let payments = payment::PayClients::new(
            secrets.clone(),
            cache.clone(),
            wechat::http::client(Duration::from_millis(settings.wechat.timeout_ms))?,
            &wechat.pay_base_url,
            Duration::from_millis(settings.wechat.timeout_ms),
        );

        let listener = TcpListener::bind(settings.listen_address()?)
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        let port = listener.local_addr()?.port();
        let catalog_cache = catalog::CatalogCache::new(cache.clone());
        let promo_limiter = promo::RateLimiter::new(
            cache.clone(),
            promo::RateLimits {
                per_customer: settings.promo.customer_attempts_per_window,
                per_ip: settings.promo.ip_attempts_per_window,
                window_secs: settings.promo.rate_window_secs,
            },
        );
        let promo_budget = promo::FlashSaleBudget::new(settings.promo.tenant_in_flight);
        let state = web::Data::new(AppState {
            db,
            cache,
            promo_limiter,
            promo_budget,
            catalog_cache,
            media: Arc::new(catalog::LocalDiskStore::new(
                settings.security.data_dir.join("media"),
            )),
            secrets,
            login_policy: settings.login_policy(),
            metrics: Metrics::new()?,
            settings: Arc::new(settings),
            wechat,
            payments,
            sandbox,
        });
        let server = serve(listener, state.clone())?;
        let sweeper = workers::Sweeper::start(state.clone());
        Ok(Application {
            port,
            server,
            state,
            sweeper,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server gracefully (finishing in-flight requests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/Ctrl-C (or `handle().stop(true)`): then stops accepting and lets
    /// in-flight requests finish within `server.shutdown_timeout_secs`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.sweeper.stop().await;
        served
    }
}

pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = infra::db::connect(&settings.database())
        .await
        .context("cannot connect to the database (database.url)")?;
    Migrator::up(&db, None)
        .await
        .context("database migrations failed")?;
    Ok(db)
}

fn build_cache(settings: &Settings) -> anyhow::Result<infra::Cache> {
    let url = settings.redis.url.expose_secret();
    if url.is_empty() {
        return Ok(infra::Cache::memory(
            &settings.redis.key_prefix,
            settings.cache.memory_capacity,
        ));
    }
    Ok(infra::Cache::redis(
        url,
        &settings.redis.key_prefix,
        settings.redis.pool_size,
        Duration::from_millis(settings.redis.timeout_ms),
    )?)
}

/// The WeChat clients; in sandbox mode, the sandbox too, started in-process.
fn build_wechat(
    settings: &Settings,
    cache: &infra::Cache,
) -> anyhow::Result<(WechatClients, Option<Arc<wechat_sim::RunningSandbox>>)> {
    let http = wechat::http::client(Duration::from_millis(settings.wechat.timeout_ms))?;
    let mini_program = wechat::MiniProgramClient::new(http.clone());
    let mut clients = WechatClients {
        tokens: wechat::AccessTokens::new(mini_program.clone(), cache.clone()),
        mini_program,
        kdniao: wechat::kdniao::KdniaoClient::new(http),
        api_base_url: settings.wechat.api_base_url.clone(),
        pay_base_url: settings.wechat.pay_base_url.clone(),
        kdniao_base_url: settings.wechat.kdniao_base_url.clone(),
    };
    if settings.wechat.mode == WechatMode::Live {
        return Ok((clients, None));
    }
    let sandbox = wechat_sim::RunningSandbox::start(
        &settings.wechat.sandbox_listen,
        wechat_sim::SandboxSettings::default(),
    )
    .with_context(|| {
        format!(
            "cannot start the WeChat sandbox on {} (wechat.sandbox_listen)",
            settings.wechat.sandbox_listen
        )
    })?;
    clients.api_base_url = sandbox.base_url.clone();
    clients.pay_base_url = sandbox.pay_base_url();
    clients.kdniao_base_url = sandbox.kdniao_base_url();
    Ok((clients, Some(Arc::new(sandbox))))
}

fn load_secret_box(settings: &Settings) -> anyhow::Result<infra::SecretBox> {
    let configured = settings.security.master_key.expose_secret();
    if !configured.is_empty() {
        return Ok(infra::SecretBox::from_base64(configured)?);
    }
    let path = settings.security.data_dir.join("master.key");
    let (secret_box, generated) = infra::SecretBox::load_or_generate(&path)?;
    if generated {
        tracing::warn!(path = %path.display(), "generated a new master key for secrets at rest; back it up, or set security.master_key in production");
    } else {
        tracing::info!(path = %path.display(), "using the master key file");
    }
    Ok(secret_box)
}

async fn bootstrap_operator(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
    let email = &settings.bootstrap.operator_email;
    let password = settings.bootstrap.operator_password.expose_secret();
    if email.is_empty() {
        return Ok(());
    }
    if tenant::ensure_bootstrap_operator(db, email, password).await? {
        tracing::info!(operator.email = %email, "created the first platform operator from configuration");
    }
    Ok(())
}

async fn route_not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "request.route_not_found",
        "no such route; see /api/docs",
    ))
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    let settings = state.settings.clone();
    let shutdown_timeout = settings.server.shutdown_timeout_secs;
    let workers = match settings.server.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(settings.server.body_limit_bytes))
            .app_data(web::QueryConfig::default().error_handler(json::query_error))
            .app_data(web::PathConfig::default().error_handler(json::path_error))
            .wrap(from_fn(middleware::observe))
            .configure(routes::configure)
            .default_service(web::to(route_not_found))
    })
    .workers(workers)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    Ok(server)
}
