//! WeChat Pay through the payment crate against the in-process sandbox: prepay, the user pays,
//! the signed notification is recorded exactly once with one ledger entry; concurrent duplicates,
//! forgeries, tampered answers, timeouts; refunds and the T+1 statement.

mod bill;
mod client;
mod flow;
mod notifications;
mod reconciliation;
mod recovery;
mod refunds;

use std::time::{Duration, Instant};

use kernel::TenantId;
use payment::PaymentRequest;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, fixture, new_code, text};

pub(super) const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub(super) const APIV3_KEY: &str = "0123456789abcdefABCDEF0123456789";
const OPENID: &str = "o_buyer_0001";

pub(super) struct PayShop {
    pub shop: Shop,
    pub tenant: TenantId,
    pub appid: String,
    pub mchid: String,
    pub key_id: String,
    pub key_pem: String,
}

pub(super) fn new_mchid() -> String {
    let digits: String = uuid::Uuid::new_v4()
        .as_u128()
        .to_string()
        .chars()
        .take(9)
        .collect();
    format!("1{digits}")
}

pub(super) fn pay_config(
    mchid: &str,
    key_id: &str,
    key_pem: &str,
    base_url: Option<&str>,
) -> Value {
    let mut config = json!({
        "mch_id": mchid,
        "apiv3_key": APIV3_KEY,
        "private_key_pem": fixture("wechatpay/official_doc_test_key_pkcs8.pem"),
        "merchant_cert_serial": SERIAL,
        "wechatpay_public_key_id": key_id,
        "wechatpay_public_key_pem": key_pem,
    });
    if let Some(url) = base_url {
        config["api_base_url"] = json!(url);
    }
    config
}

/// A verified shop whose merchant is registered in the sandbox, with its pay config uploaded.
pub(super) async fn pay_shop(app: &TestApp, operator: &str, base_url: Option<&str>) -> PayShop {
    let shop = app.new_shop(operator, &new_code("pay"), "enterprise").await;
    let appid = app.bind_new_app(&shop).await;
    app.certify(operator, &shop).await;
    let mchid = new_mchid();
    let registered = app
        .sandbox(
            Method::POST,
            "/sandbox/merchants",
            Some(json!({
                "mchid": mchid, "merchant_cert_serial": SERIAL,
                "merchant_public_key_pem": fixture("wechatpay/official_doc_test_pub.pem"),
                "apiv3_key": APIV3_KEY, "appids": [appid],
            })),
        )
        .await;
    let key_id = text(&registered["wechatpay_public_key_id"]);
    let key_pem = text(&registered["wechatpay_public_key_pem"]);
    app.put(
        "/api/v1/admin/wechat/pay",
        &shop.owner_token,
        pay_config(&mchid, &key_id, &key_pem, base_url),
    )
    .await
    .expect(200);
    PayShop {
        tenant: TenantId::parse(&shop.tenant_id).unwrap_or_else(|| panic!("tenant id")),
        shop,
        appid,
        mchid,
        key_id,
        key_pem,
    }
}

pub(super) fn notify_url(app: &TestApp, shop: &PayShop) -> String {
    format!("{}/api/v1/pay/notify/{}", app.address, shop.shop.tenant_id)
}

pub(super) fn payment_request(
    out_trade_no: &str,
    amount_fen: i64,
    notify_url: &str,
) -> PaymentRequest {
    PaymentRequest {
        out_trade_no: out_trade_no.to_owned(),
        description: "开店-测试商品".to_owned(),
        amount_fen,
        payer_openid: OPENID.to_owned(),
        notify_url: notify_url.to_owned(),
        expires_at: None,
    }
}

pub(super) fn new_trade_no() -> String {
    format!("T{}", &uuid::Uuid::now_v7().simple().to_string()[..20])
}

pub(super) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

pub(super) async fn user_pays(app: &TestApp, prepay_id: &str) {
    app.sandbox(
        Method::POST,
        &format!("/sandbox/pay/{prepay_id}"),
        Some(json!({"result": "success"})),
    )
    .await;
}

pub(super) async fn ledger_today(app: &TestApp, shop: &PayShop) -> Value {
    let today = payment::china_day_of(chrono::Utc::now());
    app.get(
        &format!("/api/v1/admin/payments/ledger?date={today}"),
        &shop.shop.owner_token,
    )
    .await
    .expect(200)
}
