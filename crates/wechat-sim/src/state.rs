use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wechat::pay_crypto::{RsaSigner, RsaVerifier};

/// Knobs of the sandbox: faithful defaults, plus fault injection for tests and demos.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSettings {
    /// Accept an unknown appid (with whatever secret it first comes with) and unknown KDNiao
    /// accounts. On in embedded mode so a new shop works at once; off for strict tests.
    pub auto_register: bool,
    /// Multiplies the documented notification retry schedule (15 s, 15 s, 30 s, 3 m, …): 1.0 is
    /// real time, 0.001 turns 15 s into 15 ms.
    pub notify_time_scale: f64,
    /// How long a merchant endpoint may take to answer a notification.
    pub notify_timeout_ms: u64,
    /// Deliver each notification this many extra times after it succeeded.
    pub duplicate_notifications: u32,
    /// Before each notification, send a `WECHATPAY/SIGNTEST/` probe (the merchant must refuse it).
    pub signtest_probe: bool,
    /// Never deliver notifications (the merchant must find payments by querying).
    pub drop_notifications: bool,
    /// Wait a random 0..n ms before the first delivery, so deliveries can arrive out of order.
    pub notify_jitter_ms: u64,
    /// Delay added to every API answer.
    pub latency_ms: u64,
    /// Share (0..1) of API calls answered with a system error (5xx / errcode -1).
    pub error_rate: f64,
    /// After this long a PROCESSING refund succeeds and its notification is sent.
    pub refund_delay_ms: u64,
    /// Refuse prepay whose notify_url is not https (real WeChat does; off for loopback tests).
    pub require_https_notify_url: bool,
    /// WeChat's fee on payments in the trade bill, parts per million (6000 = 0.6%).
    pub fee_rate_ppm: u32,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            auto_register: true,
            notify_time_scale: 1.0,
            notify_timeout_ms: 5_000,
            duplicate_notifications: 0,
            signtest_probe: false,
            drop_notifications: false,
            notify_jitter_ms: 0,
            latency_ms: 0,
            error_rate: 0.0,
            refund_delay_ms: 1_000,
            require_https_notify_url: false,
            fee_rate_ppm: 6_000,
        }
    }
}

/// One call to a sandboxed API, as the call log shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CallRecord {
    pub api: String,
    /// The appid, mchid or EBusinessID the call was for.
    pub subject: String,
    pub at_ms: u64,
    pub outcome: String,
}

/// One attempt to deliver a notification.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryRecord {
    pub notification_id: String,
    pub event_type: String,
    pub url: String,
    pub attempt: u32,
    /// The wait before this attempt, as scheduled (unscaled seconds of the real schedule).
    pub scheduled_delay_secs: u64,
    pub at_ms: u64,
    /// HTTP status, or `error: …`, or `dropped`, or `probe: <status>`.
    pub outcome: String,
}

pub(crate) struct LoginCode {
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub issued: Instant,
}

pub(crate) struct PhoneCode {
    pub appid: String,
    pub phone: String,
    pub issued: Instant,
}

pub(crate) struct IssuedToken {
    pub appid: String,
    pub expires: Instant,
}

pub(crate) struct SimApp {
    pub secret: Option<String>,
    /// The current stable token and when it expires.
    pub stable_token: Option<(String, Instant)>,
}

pub(crate) struct SimMerchant {
    pub cert_serial: String,
    pub merchant_key: RsaVerifier,
    pub apiv3_key: String,
    pub platform_key: RsaSigner,
    pub public_key_id: String,
    pub appids: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) enum TradeState {
    #[serde(rename = "NOTPAY")]
    NotPay,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "REFUND")]
    Refund,
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "PAYERROR")]
    PayError,
}

impl TradeState {
    pub fn describe(self) -> &'static str {
        match self {
            TradeState::NotPay => "未支付",
            TradeState::Success => "支付成功",
            TradeState::Refund => "转入退款",
            TradeState::Closed => "已关闭",
            TradeState::PayError => "支付失败",
        }
    }
}

pub(crate) struct SimOrder {
    pub mchid: String,
    pub appid: String,
    pub out_trade_no: String,
    pub description: String,
    pub openid: String,
    pub total: i64,
    pub notify_url: String,
    pub attach: Option<String>,
    /// The prepay parameters, to tell a retry (same) from a change (INVALID_REQUEST).
    pub fingerprint: Value,
    pub prepay_id: String,
    pub prepay_issued: Instant,
    pub state: TradeState,
    pub transaction_id: Option<String>,
    pub success_time: Option<String>,
    pub refunded: i64,
}

pub(crate) struct SimRefund {
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub refund: i64,
    pub total: i64,
    pub status: &'static str,
    pub create_time: String,
    pub success_time: Option<String>,
    pub notify_url: Option<String>,
}

#[derive(Default)]
pub(crate) struct SimState {
    pub apps: HashMap<String, SimApp>,
    pub login_codes: HashMap<String, LoginCode>,
    pub phone_codes: HashMap<String, PhoneCode>,
    pub tokens: HashMap<String, IssuedToken>,
    pub merchants: HashMap<String, SimMerchant>,
    pub orders: HashMap<(String, String), SimOrder>,
    pub prepay_index: HashMap<String, (String, String)>,
    pub refunds: HashMap<(String, String), SimRefund>,
    pub kdniao_accounts: HashMap<String, String>,
    pub waybills: HashMap<String, (String, Instant)>,
    /// Issued trade-bill downloads: token → (mchid, file, issued).
    pub bills: HashMap<String, (String, Vec<u8>, Instant)>,
    pub calls: Vec<CallRecord>,
    pub deliveries: Vec<DeliveryRecord>,
    pub subscribe_messages: Vec<Value>,
    pub shipping_uploads: Vec<Value>,
    pub counter: u64,
}

/// The sandbox: its state, settings, and the HTTP client it sends notifications with.
pub struct Sandbox {
    pub(crate) state: Mutex<SimState>,
    pub(crate) settings: RwLock<SandboxSettings>,
    pub(crate) http: reqwest::Client,
    started: Instant,
}

pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(300);
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(7200);
pub(crate) const PREPAY_LIFETIME: Duration = Duration::from_secs(7200);

impl Sandbox {
    pub fn new(settings: SandboxSettings) -> anyhow::Result<Sandbox> {
        Ok(Sandbox {
            state: Mutex::new(SimState::default()),
            settings: RwLock::new(settings),
            http: wechat::http::client(Duration::from_secs(30))?,
            started: Instant::now(),
        })
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, SimState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn settings(&self) -> SandboxSettings {
        self.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set_settings(&self, settings: SandboxSettings) {
        if let Ok(mut current) = self.settings.write() {
            *current = settings;
        }
    }

    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn record_call(&self, api: &str, subject: &str, outcome: impl Into<String>) {
        let record = CallRecord {
            api: api.to_owned(),
            subject: subject.to_owned(),
            at_ms: self.now_ms(),
            outcome: outcome.into(),
        };
        self.state().calls.push(record);
    }

    /// The call log, optionally of one API.
    pub fn calls(&self, api: Option<&str>) -> Vec<CallRecord> {
        self.state()
            .calls
            .iter()
            .filter(|call| api.is_none_or(|api| call.api == api))
            .cloned()
            .collect()
    }

    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.state().deliveries.clone()
    }

    pub(crate) fn next_counter(&self) -> u64 {
        let mut state = self.state();
        state.counter += 1;
        state.counter
    }

    /// Whether this call should fail, by the configured error rate.
    pub(crate) fn inject_error(&self) -> bool {
        let rate = self.settings().error_rate;
        rate > 0.0 && random_fraction() < rate
    }

    pub(crate) async fn delay(&self) {
        let latency = self.settings().latency_ms;
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
    }
}

pub(crate) fn random_fraction() -> f64 {
    let bytes = infra::token::random_bytes(4);
    let value = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    f64::from(value) / f64::from(u32::MAX)
}

/// A random string of `len` lowercase hex characters.
pub(crate) fn random_hex(len: usize) -> String {
    let mut text = hex::encode(infra::token::random_bytes(len.div_ceil(2)));
    text.truncate(len);
    text
}

/// RFC 3339 in China time, as WeChat writes times.
pub(crate) fn china_time(at: DateTime<Utc>) -> String {
    FixedOffset::east_opt(8 * 3600).map_or_else(
        || at.to_rfc3339(),
        |offset| {
            at.with_timezone(&offset)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        },
    )
}
