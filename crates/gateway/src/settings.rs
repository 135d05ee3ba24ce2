//! Configuration: `config/default.toml` (compiled in) → optional file → `KAIDIAN__SECTION__KEY`
//! environment variables. Checked before anything starts, with one clear message per mistake.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use infra::telemetry::LogFormat;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub const DEFAULT_CONFIG: &str = include_str!("../../../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub cache: CacheSettings,
    pub media: MediaSettings,
    pub security: SecuritySettings,
    pub log: LogSettings,
    pub bootstrap: BootstrapSettings,
    pub wechat: WechatSettings,
    pub orders: OrderSettings,
    pub payments: PaymentSettings,
    pub promo: PromoSettings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WechatMode {
    /// The bundled simulator, in-process.
    Sandbox,
    /// Real WeChat.
    Live,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatSettings {
    pub mode: WechatMode,
    pub sandbox_listen: String,
    pub api_base_url: String,
    pub pay_base_url: String,
    pub kdniao_base_url: String,
    pub timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: String,
    pub body_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub workers: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub schema: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub url: SecretString,
    pub key_prefix: String,
    pub pool_size: usize,
    pub timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    pub memory_capacity: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// Largest accepted product image, in bytes.
    pub max_image_bytes: usize,
    /// CSV imports up to this many bytes.
    pub max_import_bytes: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub data_dir: PathBuf,
    pub master_key: SecretString,
    pub session_ttl_hours: i64,
    pub max_failed_logins: i32,
    pub lockout_minutes: i64,
    pub customer_session_ttl_days: i64,
}

/// The flash-sale buy path: rate limits and the per-tenant budget.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoSettings {
    /// Length of the fixed rate-limit window, in seconds.
    pub rate_window_secs: u64,
    /// Buy attempts per customer per window (0: no limit).
    pub customer_attempts_per_window: u64,
    /// Buy attempts per client IP per shop per window (0: no limit).
    pub ip_attempts_per_window: u64,
    /// Take the client IP from `X-Forwarded-For`/`Forwarded` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Flash-sale buy requests of one shop in flight per process; more are refused (429 promo.busy).
    pub tenant_in_flight: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSettings {
    /// Unpaid orders are cancelled, and their stock returned, after this many seconds.
    pub payment_timeout_secs: i64,
    /// How often the background worker looks for them.
    pub sweep_interval_secs: u64,
    /// Shipped orders the customer has not confirmed are completed after this many days.
    pub auto_complete_days: i64,
    /// The public base URL WeChat Pay posts payment notifications to; empty: the scheme and host
    /// the customer's request came to.
    pub public_base_url: String,
}

/// The reconciliation worker: pending payments are queried at WeChat, failed closes retried.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// How often the worker runs a reconciliation pass.
    pub reconcile_interval_secs: u64,
    /// A pending payment is first queried when its prepay is this old (the notification usually
    /// comes within seconds).
    pub reconcile_after_secs: i64,
    /// The wait before the next query of a payment still unpaid: doubled after each query…
    pub reconcile_backoff_secs: i64,
    /// …up to this.
    pub reconcile_backoff_max_secs: i64,
    /// At most this many payments per pass (oldest prepay first).
    pub reconcile_batch: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSettings {
    pub operator_email: String,
    pub operator_password: SecretString,
}

impl Settings {
    /// Loads the defaults, then `file` if given, then the environment; then checks everything.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_CONFIG, FileFormat::Toml));
        if let Some(file) = file {
            if !file.exists() {
                return Err(SettingsError(vec![format!(
                    "config file {} does not exist",
                    file.display()
                )]));
            }
            builder = builder.add_source(File::from(file));
        }
        let loaded = builder
            .add_source(
                Environment::with_prefix("KAIDIAN")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()
            .and_then(|config| config.try_deserialize::<Settings>())
            .map_err(|err| SettingsError(vec![err.to_string()]))?;
        loaded.check()?;
        Ok(loaded)
    }

    /// The defaults alone (tests start from these and change what they need).
    pub fn defaults() -> Result<Settings, SettingsError> {
        Config::builder()
            .add_source(File::from_str(DEFAULT_CONFIG, FileFormat::Toml))
            .build()
            .and_then(|config| config.try_deserialize::<Settings>())
            .map_err(|err| SettingsError(vec![err.to_string()]))
    }

    /// Every mistake at once, each saying which key is wrong and what would be right.
    pub fn check(&self) -> Result<(), SettingsError> {
        let mut problems = Vec::new();
        if self.server.listen.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "server.listen = {:?} is not an address like 127.0.0.1:8080",
                self.server.listen
            ));
        }
        if self.media.max_image_bytes < 1024 || self.media.max_import_bytes < 1024 {
            problems.push(
                "media.max_image_bytes and media.max_import_bytes must be at least 1024".to_owned(),
            );
        }
        if self.orders.payment_timeout_secs < 60
            || self.orders.sweep_interval_secs == 0
            || self.orders.auto_complete_days < 1
        {
            problems.push(
                "orders.payment_timeout_secs must be at least 60, orders.sweep_interval_secs and orders.auto_complete_days at least 1"
                    .to_owned(),
            );
        }
        let payments = &self.payments;
        if payments.reconcile_interval_secs == 0
            || payments.reconcile_after_secs < 1
            || payments.reconcile_backoff_secs < 1
            || payments.reconcile_backoff_max_secs < payments.reconcile_backoff_secs
            || payments.reconcile_batch == 0
        {
            problems.push(
                "payments.reconcile_interval_secs, reconcile_after_secs, reconcile_backoff_secs and reconcile_batch must be at least 1, and reconcile_backoff_max_secs at least reconcile_backoff_secs"
                    .to_owned(),
            );
        }
        if self.promo.rate_window_secs == 0 || self.promo.tenant_in_flight == 0 {
            problems.push(
                "promo.rate_window_secs and promo.tenant_in_flight must be at least 1".to_owned(),
            );
        }
        if self.server.body_limit_bytes < 1024 {
            problems.push("server.body_limit_bytes must be at least 1024".to_owned());
        }
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            problems.push(
                "database.url must start with sqlite:, postgres:// or postgresql://".to_owned(),
            );
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections must be at least 1".to_owned());
        }
        let redis_url = self.redis.url.expose_secret();
        let redis_url_ok = redis_url.is_empty()
            || redis_url.starts_with("redis://")
            || redis_url.starts_with("rediss://");
        if !redis_url_ok {
            problems.push("redis.url must be empty or start with redis:// or rediss://".to_owned());
        }
        if self.redis.key_prefix.is_empty() || self.redis.key_prefix.contains(['{', '}', ' ']) {
            problems
                .push("redis.key_prefix must be non-empty, without braces or spaces".to_owned());
        }
        if self.redis.timeout_ms == 0 {
            problems.push("redis.timeout_ms must be at least 1".to_owned());
        }
        let master_key = self.security.master_key.expose_secret();
        if !master_key.is_empty() && infra::SecretBox::from_base64(master_key).is_err() {
            problems.push(
                "security.master_key must be base64 of exactly 32 bytes (openssl rand -base64 32)"
                    .to_owned(),
            );
        }
        if self.security.session_ttl_hours <= 0 {
            problems.push("security.session_ttl_hours must be positive".to_owned());
        }
        if self.security.max_failed_logins <= 0 || self.security.lockout_minutes <= 0 {
            problems.push(
                "security.max_failed_logins and security.lockout_minutes must be positive"
                    .to_owned(),
            );
        }
        if self.security.customer_session_ttl_days <= 0 {
            problems.push("security.customer_session_ttl_days must be positive".to_owned());
        }
        if self.wechat.mode == WechatMode::Sandbox
            && self.wechat.sandbox_listen.parse::<SocketAddr>().is_err()
        {
            problems.push(format!(
                "wechat.sandbox_listen = {:?} is not an address like 127.0.0.1:8081",
                self.wechat.sandbox_listen
            ));
        }
        for (key, url) in [
            ("wechat.api_base_url", &self.wechat.api_base_url),
            ("wechat.pay_base_url", &self.wechat.pay_base_url),
            ("wechat.kdniao_base_url", &self.wechat.kdniao_base_url),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                problems.push(format!("{key} must be an http(s) URL"));
            }
        }
        if self.wechat.timeout_ms == 0 {
            problems.push("wechat.timeout_ms must be at least 1".to_owned());
        }
        let email_set = !self.bootstrap.operator_email.is_empty();
        let password_set = !self.bootstrap.operator_password.expose_secret().is_empty();
        if email_set != password_set {
            problems.push(
                "bootstrap.operator_email and bootstrap.operator_password go together".to_owned(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SettingsError(problems))
        }
    }

    pub fn listen_address(&self) -> Result<SocketAddr, SettingsError> {
        self.server.listen.parse().map_err(|_| {
            SettingsError(vec![format!(
                "server.listen = {:?} is not an address",
                self.server.listen
            )])
        })
    }

    pub fn login_policy(&self) -> tenant::LoginPolicy {
        tenant::LoginPolicy {
            max_failed_logins: self.security.max_failed_logins,
            lockout: chrono::Duration::minutes(self.security.lockout_minutes),
            session_ttl: chrono::Duration::hours(self.security.session_ttl_hours),
        }
    }

    pub fn database(&self) -> infra::db::DatabaseSettings {
        infra::db::DatabaseSettings {
            url: self.database.url.expose_secret().to_owned(),
            max_connections: self.database.max_connections,
            schema: Some(self.database.schema.clone()).filter(|schema| !schema.is_empty()),
        }
    }
}

#[derive(Debug)]
pub struct SettingsError(pub Vec<String>);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "the configuration has {} problem(s):", self.0.len())?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        let settings = Settings::defaults();
        assert!(
            settings.as_ref().is_ok_and(|s| s.check().is_ok()),
            "{settings:?}"
        );
    }

    #[test]
    fn each_mistake_is_reported_with_its_key() -> Result<(), SettingsError> {
        let mut settings = Settings::defaults()?;
        settings.server.listen = "nowhere".to_owned();
        settings.database.url = SecretString::from("mysql://x");
        settings.security.master_key = SecretString::from("c2hvcnQ=");
        let problems = settings.check().err().map(|e| e.0).unwrap_or_default();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("server.listen"));
        assert!(problems[1].contains("database.url"));
        assert!(problems[2].contains("security.master_key"));
        Ok(())
    }

    #[test]
    fn a_backoff_cap_below_its_base_is_refused() -> Result<(), SettingsError> {
        let mut settings = Settings::defaults()?;
        settings.payments.reconcile_backoff_secs = 600;
        settings.payments.reconcile_backoff_max_secs = 60;
        let problems = settings.check().err().map(|e| e.0).unwrap_or_default();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("payments.reconcile"), "{problems:?}");
        Ok(())
    }
}
