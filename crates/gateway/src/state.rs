use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::metrics::Metrics;
use crate::settings::Settings;

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: infra::Cache,
    /// The hot catalog cache (versioned keys, single-flight rebuilds) over `cache`.
    pub catalog_cache: catalog::CatalogCache,
    pub secrets: infra::SecretBox,
    /// Where uploaded product images are kept (local disk under the data dir).
    pub media: Arc<dyn catalog::MediaStore>,
    pub login_policy: tenant::LoginPolicy,
    pub metrics: Metrics,
    pub settings: Arc<Settings>,
    pub wechat: WechatClients,
    /// One WeChat Pay client per tenant, built from its configuration and cached.
    pub payments: payment::PayClients,
    /// Per-customer and per-IP limits on flash-sale buy attempts.
    pub promo_limiter: promo::RateLimiter,
    /// Flash-sale buy requests in flight per tenant in this process.
    pub promo_budget: promo::FlashSaleBudget,
    /// The in-process WeChat sandbox, in sandbox mode.
    pub sandbox: Option<Arc<wechat_sim::RunningSandbox>>,
}

/// The WeChat clients (one shared HTTP client) and the default base URLs for shops that have
/// none of their own: real WeChat, or the sandbox.
pub struct WechatClients {
    pub mini_program: wechat::MiniProgramClient,
    pub tokens: wechat::AccessTokens,
    pub kdniao: wechat::kdniao::KdniaoClient,
    pub api_base_url: String,
    pub pay_base_url: String,
    pub kdniao_base_url: String,
}
