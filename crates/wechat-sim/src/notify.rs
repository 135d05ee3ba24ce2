//! Notification delivery: the envelope signed with the merchant's WeChat Pay key, the resource
//! encrypted under its APIv3 key, retried on any non-2xx on the documented schedule.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wechat::pay_crypto::{aead_encrypt, random_nonce, response_message};

use crate::Sandbox;
use crate::state::{DeliveryRecord, china_time, random_fraction, random_hex};

/// The documented retry schedule after a failed delivery: 15 tries over 24 h 4 min.
pub const RETRY_SCHEDULE_SECS: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

pub(crate) struct Notification {
    pub mchid: String,
    pub url: String,
    pub event_type: &'static str,
    pub summary: &'static str,
    pub original_type: &'static str,
    pub associated_data: &'static str,
    pub plaintext: Value,
}

struct Prepared {
    id: String,
    body: String,
    serial: String,
    timestamp: String,
    nonce: String,
    signature: String,
}

fn prepare(sandbox: &Sandbox, notification: &Notification) -> Option<Prepared> {
    let state = sandbox.state();
    let merchant = state.merchants.get(&notification.mchid)?;
    let nonce = random_nonce(12);
    let ciphertext = aead_encrypt(
        merchant.apiv3_key.as_bytes(),
        &nonce,
        notification.associated_data,
        notification.plaintext.to_string().as_bytes(),
    )
    .ok()?;
    let id = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "id": id,
        "create_time": china_time(chrono::Utc::now()),
        "resource_type": "encrypt-resource",
        "event_type": notification.event_type,
        "summary": notification.summary,
        "resource": {
            "original_type": notification.original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": notification.associated_data,
            "nonce": nonce,
        },
    })
    .to_string();
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let header_nonce = random_hex(32);
    let signature = merchant.platform_key.sign(&response_message(
        &timestamp,
        &header_nonce,
        body.as_bytes(),
    ));
    Some(Prepared {
        id,
        body,
        serial: merchant.public_key_id.clone(),
        timestamp,
        nonce: header_nonce,
        signature,
    })
}

async fn post(sandbox: &Sandbox, url: &str, prepared: &Prepared, signature: &str) -> String {
    let timeout = Duration::from_millis(sandbox.settings().notify_timeout_ms);
    let response = sandbox
        .http
        .post(url)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Wechatpay-Timestamp", &prepared.timestamp)
        .header("Wechatpay-Nonce", &prepared.nonce)
        .header("Wechatpay-Serial", &prepared.serial)
        .header("Wechatpay-Signature", signature)
        .header("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
        .header("Request-ID", random_hex(32).to_uppercase())
        .body(prepared.body.clone())
        .send()
        .await;
    match response {
        Ok(response) => response.status().as_u16().to_string(),
        Err(err) => format!("error: {err}"),
    }
}

fn record(
    sandbox: &Sandbox,
    prepared: &Prepared,
    notification: &Notification,
    attempt: u32,
    delay: u64,
    outcome: String,
) {
    let record = DeliveryRecord {
        notification_id: prepared.id.clone(),
        event_type: notification.event_type.to_owned(),
        url: notification.url.clone(),
        attempt,
        scheduled_delay_secs: delay,
        at_ms: sandbox.now_ms(),
        outcome,
    };
    sandbox.state().deliveries.push(record);
}

fn succeeded(outcome: &str) -> bool {
    outcome.starts_with('2') && outcome.len() == 3
}

/// Delivers one notification, retrying on the schedule until the merchant answers 2xx.
pub(crate) async fn deliver(sandbox: Arc<Sandbox>, notification: Notification) {
    let settings = sandbox.settings();
    let Some(prepared) = prepare(&sandbox, &notification) else {
        tracing::warn!(wechat.mchid = %notification.mchid, "cannot prepare a notification for an unknown merchant");
        return;
    };
    if settings.drop_notifications {
        record(
            &sandbox,
            &prepared,
            &notification,
            0,
            0,
            "dropped".to_owned(),
        );
        return;
    }
    if settings.notify_jitter_ms > 0 {
        let jitter = (random_fraction() * settings.notify_jitter_ms as f64) as u64;
        tokio::time::sleep(Duration::from_millis(jitter)).await;
    }
    if settings.signtest_probe {
        let probe = format!("WECHATPAY/SIGNTEST/{}", prepared.signature);
        let outcome = post(&sandbox, &notification.url, &prepared, &probe).await;
        record(
            &sandbox,
            &prepared,
            &notification,
            0,
            0,
            format!("probe: {outcome}"),
        );
    }
    let mut attempt = 1;
    let mut delay = 0;
    loop {
        let outcome = post(&sandbox, &notification.url, &prepared, &prepared.signature).await;
        let done = succeeded(&outcome);
        record(&sandbox, &prepared, &notification, attempt, delay, outcome);
        if done {
            break;
        }
        let Some(next) =
            RETRY_SCHEDULE_SECS.get(usize::try_from(attempt - 1).unwrap_or(usize::MAX))
        else {
            tracing::warn!(notification.id = %prepared.id, "notification abandoned after the last retry");
            return;
        };
        delay = *next;
        let scaled = Duration::from_secs_f64(delay as f64 * sandbox.settings().notify_time_scale);
        tokio::time::sleep(scaled).await;
        attempt += 1;
    }
    for extra in 0..settings.duplicate_notifications {
        let outcome = post(&sandbox, &notification.url, &prepared, &prepared.signature).await;
        record(
            &sandbox,
            &prepared,
            &notification,
            attempt + 1 + extra,
            0,
            format!("duplicate: {outcome}"),
        );
    }
}
