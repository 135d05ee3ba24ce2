#![doc = include_str!("../README.md")]
// Handlers return early with a ready HTTP answer; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod admin;
mod bill;
mod kdniao;
mod miniprogram;
mod notify;
mod pay;
mod state;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

pub use state::{CallRecord, DeliveryRecord, Sandbox, SandboxSettings};

/// A sandbox serving HTTP.
pub struct RunningSandbox {
    pub base_url: String,
    pub sandbox: Arc<Sandbox>,
    handle: ServerHandle,
}

impl RunningSandbox {
    /// Binds `listen` (port 0 picks one) and serves on the current runtime until stopped.
    pub fn start(listen: &str, settings: SandboxSettings) -> anyhow::Result<RunningSandbox> {
        let listener = TcpListener::bind(listen)?;
        let address = listener.local_addr()?;
        let sandbox = Arc::new(Sandbox::new(settings)?);
        let data = web::Data::from(sandbox.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1024 * 1024))
                .configure(miniprogram::configure)
                .configure(pay::configure)
                .configure(bill::configure)
                .configure(kdniao::configure)
                .configure(admin::configure)
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        tracing::info!(sandbox.url = %format!("http://{address}"), "WeChat sandbox serving");
        Ok(RunningSandbox {
            base_url: format!("http://{address}"),
            sandbox,
            handle,
        })
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// The sandbox's WeChat Pay base URL (same server).
    pub fn pay_base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The sandbox's KDNiao base URL.
    pub fn kdniao_base_url(&self) -> String {
        format!("{}/kdniao", self.base_url)
    }
}
