//! WeChat Pay through the payment crate against the in-process sandbox: prepay, the user pays,
//! the signed notification is recorded exactly once with one ledger entry; concurrent duplicates,
//! forgeries, tampered answers, timeouts; refunds and the T+1 statement.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kernel::TenantId;
use payment::{
    NotificationHeaders, NotificationOutcome, PaymentError, PaymentRequest, PaymentState,
    RefundRequest, RefundStatus,
};
use reqwest::Method;
use serde_json::{Value, json};
use wechat::pay_crypto::{RsaVerifier, pay_sign};

use crate::helpers::{Shop, TestApp, fixture, new_appid, new_code, text};
use crate::on_every_backend;

const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
const APIV3_KEY: &str = "0123456789abcdefABCDEF0123456789";
const OPENID: &str = "o_buyer_0001";

struct PayShop {
    shop: Shop,
    tenant: TenantId,
    appid: String,
    mchid: String,
    key_id: String,
    key_pem: String,
}

fn new_mchid() -> String {
    let digits: String = uuid::Uuid::new_v4()
        .as_u128()
        .to_string()
        .chars()
        .take(9)
        .collect();
    format!("1{digits}")
}

fn pay_config(mchid: &str, key_id: &str, key_pem: &str, base_url: Option<&str>) -> Value {
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
async fn pay_shop(app: &TestApp, operator: &str, base_url: Option<&str>) -> PayShop {
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

fn notify_url(app: &TestApp, shop: &PayShop) -> String {
    format!("{}/api/v1/pay/notify/{}", app.address, shop.shop.tenant_id)
}

fn payment_request(out_trade_no: &str, amount_fen: i64, notify_url: &str) -> PaymentRequest {
    PaymentRequest {
        out_trade_no: out_trade_no.to_owned(),
        description: "开店-测试商品".to_owned(),
        amount_fen,
        payer_openid: OPENID.to_owned(),
        notify_url: notify_url.to_owned(),
        expires_at: None,
    }
}

fn new_trade_no() -> String {
    format!("T{}", &uuid::Uuid::now_v7().simple().to_string()[..20])
}

async fn eventually<F, Fut>(what: &str, mut check: F)
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

async fn user_pays(app: &TestApp, prepay_id: &str) {
    app.sandbox(
        Method::POST,
        &format!("/sandbox/pay/{prepay_id}"),
        Some(json!({"result": "success"})),
    )
    .await;
}

async fn ledger_today(app: &TestApp, shop: &PayShop) -> Value {
    let today = payment::china_day_of(chrono::Utc::now());
    app.get(
        &format!("/api/v1/admin/payments/ledger?date={today}"),
        &shop.shop.owner_token,
    )
    .await
    .expect(200)
}

/// Headers and raw body of a notification, as WeChat sent it.
type Delivery = (Vec<(String, String)>, Vec<u8>);

#[derive(Default)]
struct Capture {
    deliveries: Mutex<Vec<Delivery>>,
}

impl Capture {
    fn first(&self) -> Option<Delivery> {
        self.deliveries.lock().ok().and_then(|d| d.first().cloned())
    }
}

async fn capture_handler(
    capture: web::Data<Capture>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    if let Ok(mut deliveries) = capture.deliveries.lock() {
        deliveries.push((headers, body.to_vec()));
    }
    HttpResponse::NoContent().finish()
}

/// A notify endpoint that only records what WeChat sends (so a test can replay it).
fn serve_capture(capture: web::Data<Capture>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("{err}"));
    let url = format!(
        "http://{}/notify",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(capture.clone())
            .route("/notify", web::post().to(capture_handler))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap_or_else(|err| panic!("{err}"))
    .run();
    tokio::spawn(server);
    url
}

/// Prepares a payment notified to a capture endpoint, pays it, and returns the signed delivery.
async fn captured_payment(app: &TestApp, shop: &PayShop, amount_fen: i64) -> (String, Delivery) {
    let capture = web::Data::new(Capture::default());
    let url = serve_capture(capture.clone());
    let out_trade_no = new_trade_no();
    let params = payment::prepare_jsapi_payment(
        &app.db,
        &app.state.payments,
        shop.tenant,
        payment_request(&out_trade_no, amount_fen, &url),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    user_pays(app, &params.prepay_id).await;
    eventually("the captured notification", || {
        let capture = capture.clone();
        async move { capture.first().is_some() }
    })
    .await;
    let delivery = capture.first().unwrap_or_else(|| panic!("captured"));
    (out_trade_no, delivery)
}

fn header_of(delivery: &Delivery, name: &str) -> Option<String> {
    delivery
        .0
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn notification_headers(delivery: &Delivery) -> NotificationHeaders {
    NotificationHeaders {
        timestamp: header_of(delivery, "Wechatpay-Timestamp"),
        nonce: header_of(delivery, "Wechatpay-Nonce"),
        signature: header_of(delivery, "Wechatpay-Signature"),
        serial: header_of(delivery, "Wechatpay-Serial"),
    }
}

/// Posts a delivery to the shop's notify endpoint, with some headers replaced.
async fn replay(
    app: &TestApp,
    tenant_id: &str,
    delivery: &Delivery,
    body: &[u8],
    replace: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/v1/pay/notify/{tenant_id}", app.address))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    for name in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        let value = replace
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
            .or_else(|| header_of(delivery, name))
            .unwrap_or_default();
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap_or_else(|err| panic!("{err}"));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

on_every_backend!(
    a_payment_is_prepared_paid_notified_and_recorded_once_then_refunded,
    concurrent_duplicate_notifications_make_one_transition_and_one_ledger_entry,
    forged_and_mismatched_notifications_are_refused_and_change_nothing,
    every_answer_is_verified_and_a_tampered_answer_is_refused,
    concurrent_refunds_never_exceed_the_payment_and_duplicate_refund_notifications_count_once,
);

async fn a_payment_is_prepared_paid_notified_and_recorded_once_then_refunded(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let notify = notify_url(&app, &shop);
    let out_trade_no = new_trade_no();
    let request = payment_request(&out_trade_no, 10_000, &notify);
    let payments = &app.state.payments;

    let params = payment::prepare_jsapi_payment(&app.db, payments, shop.tenant, request.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(params.package, format!("prepay_id={}", params.prepay_id));
    assert_eq!(params.sign_type, "RSA");
    // paySign is the merchant key's signature over appId, timeStamp, nonceStr, package.
    let merchant_key = RsaVerifier::from_pem(&fixture("wechatpay/official_doc_test_pub.pem"))
        .unwrap_or_else(|err| panic!("{err}"));
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        shop.appid, params.time_stamp, params.nonce_str, params.package
    );
    assert!(merchant_key.verify(message.as_bytes(), &params.pay_sign));
    let signer = wechat::pay_crypto::RsaSigner::from_pem(&fixture(
        "wechatpay/official_doc_test_key_pkcs8.pem",
    ))
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        pay_sign(
            &signer,
            &shop.appid,
            &params.time_stamp,
            &params.nonce_str,
            &params.package
        ),
        params.pay_sign,
        "the SDK's sign data matches wechat::pay_crypto"
    );

    // Asking again reuses the prepay; other parameters for the same out_trade_no are refused.
    let again = payment::prepare_jsapi_payment(&app.db, payments, shop.tenant, request.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(again.prepay_id, params.prepay_id);
    let changed = payment::prepare_jsapi_payment(
        &app.db,
        payments,
        shop.tenant,
        PaymentRequest {
            amount_fen: 9_000,
            ..request.clone()
        },
    )
    .await;
    assert!(
        matches!(changed, Err(PaymentError::ParamsChanged)),
        "{changed:?}"
    );

    // The user pays; the sandbox's signed notification reaches our endpoint and is recorded.
    user_pays(&app, &params.prepay_id).await;
    eventually("the payment to be recorded", || async {
        payment::get_payment(&app.db, shop.tenant, &out_trade_no)
            .await
            .is_ok_and(|p| p.state == PaymentState::Paid)
    })
    .await;
    let paid = payment::get_payment(&app.db, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(paid.fee_fen, Some(60), "0.6% of 100.00");
    let deliveries = app
        .sandbox(Method::GET, "/sandbox/notifications", None)
        .await;
    assert!(
        deliveries
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["url"] == json!(notify)
                && d["event_type"] == json!("TRANSACTION.SUCCESS")
                && d["outcome"] == json!("204")),
        "{deliveries}"
    );
    let ledger = ledger_today(&app, &shop).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{ledger}");
    assert_eq!(entries[0]["gross_fen"], json!(10_000));
    assert_eq!(entries[0]["fee_fen"], json!(60));
    assert_eq!(entries[0]["net_fen"], json!(9_940));

    // Querying WeChat agrees and records nothing more; a paid payment cannot be prepared again.
    let queried = payment::query_payment(&app.db, payments, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(queried.trade_state, "SUCCESS");
    assert_eq!(queried.amount_fen, Some(10_000));
    assert_eq!(queried.recorded, None);
    let repaid = payment::prepare_jsapi_payment(&app.db, payments, shop.tenant, request).await;
    assert!(
        matches!(repaid, Err(PaymentError::AlreadyPaid)),
        "{repaid:?}"
    );

    // A partial refund, asked twice with the same out_refund_no, refunds once.
    let refund = RefundRequest {
        out_trade_no: out_trade_no.clone(),
        out_refund_no: format!("R{out_trade_no}"),
        amount_fen: 2_500,
        total_fen: 10_000,
        reason: Some("尺码不合适".to_owned()),
        notify_url: Some(notify.clone()),
    };
    let first = payment::refund(&app.db, payments, shop.tenant, refund.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let second = payment::refund(&app.db, payments, shop.tenant, refund.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(first.id, second.id);
    let too_much = payment::refund(
        &app.db,
        payments,
        shop.tenant,
        RefundRequest {
            out_refund_no: format!("X{out_trade_no}"),
            amount_fen: 7_501,
            ..refund.clone()
        },
    )
    .await;
    assert!(
        matches!(
            too_much,
            Err(PaymentError::RefundExceedsPaid { refundable: 7_500 })
        ),
        "{too_much:?}"
    );
    eventually("the refund notification", || async {
        payment::get_refund(&app.db, shop.tenant, &refund.out_refund_no)
            .await
            .is_ok_and(|r| r.status == RefundStatus::Succeeded)
    })
    .await;

    // The ledger and the statement, to the fen: the refund gives back 25% of the fee.
    let today = payment::china_day_of(chrono::Utc::now());
    let statement = app
        .get(
            &format!("/api/v1/admin/payments/statements/{today}"),
            &shop.shop.owner_token,
        )
        .await
        .expect(200);
    assert_eq!(
        statement["settlement_date"],
        json!((today + chrono::Duration::days(1)).to_string())
    );
    let totals = &statement["totals"];
    assert_eq!(totals["payment_count"], json!(1));
    assert_eq!(totals["refund_count"], json!(1));
    assert_eq!(totals["gross_fen"], json!(7_500));
    assert_eq!(totals["fee_fen"], json!(45));
    assert_eq!(totals["net_fen"], json!(7_455));
    let csv = app
        .client
        .get(format!(
            "{}/api/v1/admin/payments/statements/{today}?format=csv",
            app.address
        ))
        .bearer_auth(&shop.shop.owner_token)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"))
    );
    let csv = csv.text().await.unwrap_or_default();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains(",refund,"), "{csv}");
    assert!(csv.trim_end().ends_with(",total,,,,7500,45,7455"), "{csv}");

    // Staff without finance rights and API keys cannot read it; a malformed date is a 422.
    let key = app
        .post(
            "/api/v1/admin/api-keys",
            &shop.shop.owner_token,
            json!({"name": "orders", "scopes": ["orders:read"]}),
        )
        .await
        .expect(201);
    app.get(
        &format!("/api/v1/admin/payments/statements/{today}"),
        &text(&key["secret"]),
    )
    .await
    .expect_error(403, "auth.forbidden");
    app.get(
        "/api/v1/admin/payments/ledger?date=2026-13-01",
        &shop.shop.owner_token,
    )
    .await
    .expect_error(422, "payment.invalid_input");
}

async fn concurrent_duplicate_notifications_make_one_transition_and_one_ledger_entry(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let (out_trade_no, delivery) = captured_payment(&app, &shop, 8_888).await;
    let headers = notification_headers(&delivery);

    // 20 deliveries of the same signed notification at once, straight into the service.
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, barrier, headers, body) = (
            app.clone(),
            barrier.clone(),
            headers.clone(),
            delivery.1.clone(),
        );
        let tenant = shop.tenant;
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            payment::handle_notification(&app.db, &app.state.payments, tenant, &headers, &body)
                .await
        }));
    }
    let mut recorded = 0;
    let mut already = 0;
    for task in tasks {
        match task.await.unwrap_or_else(|err| panic!("{err}")) {
            Ok(NotificationOutcome::PaymentRecorded(paid)) => {
                assert_eq!(paid.amount_fen, 8_888);
                assert_eq!(paid.out_trade_no, out_trade_no);
                recorded += 1;
            }
            Ok(NotificationOutcome::PaymentAlreadyRecorded { .. }) => already += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((recorded, already), (1, 19));

    // And 20 more over HTTP, as WeChat retries would come: all acknowledged, nothing added.
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, barrier, delivery) = (app.clone(), barrier.clone(), delivery.clone());
        let tenant_id = shop.shop.tenant_id.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            replay(&app, &tenant_id, &delivery, &delivery.1, &[])
                .await
                .0
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap_or_else(|err| panic!("{err}")), 204);
    }
    let ledger = ledger_today(&app, &shop).await;
    assert_eq!(
        ledger["entries"].as_array().map(Vec::len),
        Some(1),
        "{ledger}"
    );
    let paid = payment::get_payment(&app.db, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(paid.state, PaymentState::Paid);
    assert_eq!(paid.fee_fen, Some(53), "0.6% of 88.88 = 0.53328");
}

/// What is forged, the body, the headers replaced, and the expected status and reason.
type ForgeryCase<'a> = (&'a str, Vec<u8>, Vec<(&'a str, &'a str)>, u16, &'a str);

async fn forged_and_mismatched_notifications_are_refused_and_change_nothing(app: TestApp) {
    let operator = app.operator_token().await;
    let a = pay_shop(&app, &operator, None).await;
    let b = pay_shop(&app, &operator, None).await;
    let (out_trade_no, genuine) = captured_payment(&app, &a, 1_000).await;
    let (_, of_b) = captured_payment(&app, &b, 1_000).await;
    let a_id = a.shop.tenant_id.as_str();

    let mut tampered = genuine.1.clone();
    tampered.splice(0..1, b"{ ".iter().copied());
    let stale = (chrono::Utc::now().timestamp() - 301).to_string();
    let cases: Vec<ForgeryCase> = vec![
        ("bad signature", tampered, vec![], 401, "bad_signature"),
        (
            "stale timestamp",
            genuine.1.clone(),
            vec![("Wechatpay-Timestamp", stale.as_str())],
            401,
            "stale_timestamp",
        ),
        (
            "signature probe",
            genuine.1.clone(),
            vec![("Wechatpay-Signature", "WECHATPAY/SIGNTEST/ZmFrZQ==")],
            401,
            "signature_probe",
        ),
        (
            "missing signature",
            genuine.1.clone(),
            vec![("Wechatpay-Signature", "")],
            401,
            "bad_signature",
        ),
    ];
    for (what, body, replace, status, reason) in cases {
        let (got, answer) = replay(&app, a_id, &genuine, &body, &replace).await;
        assert_eq!(
            (got, text(&answer["message"])),
            (status, reason.to_owned()),
            "{what}"
        );
        assert_eq!(answer["code"], json!("FAIL"), "{what}");
    }
    // B's notification, signed with B's WeChat Pay key, at A's endpoint: wrong serial, and with
    // A's serial the signature does not verify against A's key.
    let (got, answer) = replay(&app, a_id, &of_b, &of_b.1, &[]).await;
    assert_eq!(
        (got, text(&answer["message"])),
        (401, "unknown_serial".to_owned())
    );
    let (got, answer) = replay(
        &app,
        a_id,
        &of_b,
        &of_b.1,
        &[("Wechatpay-Serial", a.key_id.as_str())],
    )
    .await;
    assert_eq!(
        (got, text(&answer["message"])),
        (401, "bad_signature".to_owned())
    );
    // A tenant that does not exist, or a path that is not a tenant.
    let (got, _) = replay(
        &app,
        &TenantId::new().to_string(),
        &genuine,
        &genuine.1,
        &[],
    )
    .await;
    assert_eq!(got, 400);
    let (got, _) = replay(&app, "not-a-tenant", &genuine, &genuine.1, &[]).await;
    assert_eq!(got, 404);

    // Nothing changed.
    let pending = payment::get_payment(&app.db, a.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(pending.state, PaymentState::Pending);
    assert_eq!(ledger_today(&app, &a).await["entries"], json!([]));

    // A's merchant id changes (same keys): the notification of the old merchant no longer matches.
    app.put(
        "/api/v1/admin/wechat/pay",
        &a.shop.owner_token,
        pay_config(&new_mchid(), &a.key_id, &a.key_pem, None),
    )
    .await
    .expect(200);
    let (got, answer) = replay(&app, a_id, &genuine, &genuine.1, &[]).await;
    assert_eq!(
        (got, text(&answer["message"])),
        (400, "merchant_mismatch".to_owned())
    );
    assert_eq!(ledger_today(&app, &a).await["entries"], json!([]));
    assert!(app.state.payments.built_count() >= 2);
}

struct Upstream {
    base: String,
    http: reqwest::Client,
    /// The `Wechatpay-Serial` header of each forwarded request.
    serials: Mutex<Vec<String>>,
}

/// Forwards to the sandbox and tampers with the answer: one byte more in a body, another nonce
/// on an empty (204) answer. The signature headers are WeChat's own.
async fn tampering_proxy(
    upstream: web::Data<Upstream>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let method = Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(Method::GET);
    let mut forward = upstream
        .http
        .request(method, format!("{}{}", upstream.base, req.uri()))
        .body(body.to_vec());
    if let Ok(mut serials) = upstream.serials.lock() {
        serials.push(
            req.headers()
                .get("wechatpay-serial")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        );
    }
    for (name, value) in req.headers() {
        if name.as_str() != "host" && name.as_str() != "content-length" {
            forward = forward.header(name.as_str(), value.to_str().unwrap_or_default());
        }
    }
    let Ok(answer) = forward.send().await else {
        return HttpResponse::BadGateway().finish();
    };
    let status = actix_web::http::StatusCode::from_u16(answer.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let headers: Vec<(String, String)> = answer
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut body = answer.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    let mut out = HttpResponse::build(status);
    for (name, value) in headers {
        if name == "content-length" || name == "transfer-encoding" {
            continue;
        }
        let value = if name == "wechatpay-nonce" && body.is_empty() {
            "tampered".to_owned()
        } else {
            value
        };
        out.insert_header((name, value));
    }
    if !body.is_empty() {
        body.push(b' ');
    }
    out.body(body)
}

fn serve_tampering_proxy(sandbox_url: &str) -> (String, web::Data<Upstream>) {
    let upstream = web::Data::new(Upstream {
        base: sandbox_url.to_owned(),
        http: reqwest::Client::new(),
        serials: Mutex::new(Vec::new()),
    });
    let seen = upstream.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("{err}"));
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(upstream.clone())
            .default_service(web::to(tampering_proxy))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap_or_else(|err| panic!("{err}"))
    .run();
    tokio::spawn(server);
    (url, seen)
}

async fn every_answer_is_verified_and_a_tampered_answer_is_refused(app: TestApp) {
    let operator = app.operator_token().await;
    let payments = &app.state.payments;

    // A shop that is not verified (nor configured) cannot take payments.
    let unverified = app
        .new_shop(&operator, &new_code("nopay"), "enterprise")
        .await;
    let refused = payment::prepare_jsapi_payment(
        &app.db,
        payments,
        TenantId::parse(&unverified.tenant_id).unwrap_or_else(|| panic!("id")),
        payment_request(&new_trade_no(), 100, "https://kaidian.test/notify"),
    )
    .await;
    assert!(
        matches!(refused, Err(PaymentError::NotEnabled(_))),
        "{refused:?}"
    );

    // Straight to the sandbox: prepay (200), query (200) and close (204, empty) all verified.
    let shop = pay_shop(&app, &operator, None).await;
    let notify = notify_url(&app, &shop);
    let out_trade_no = new_trade_no();
    payment::prepare_jsapi_payment(
        &app.db,
        payments,
        shop.tenant,
        payment_request(&out_trade_no, 500, &notify),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    let queried = payment::query_payment(&app.db, payments, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(queried.trade_state, "NOTPAY");
    payment::close_payment(&app.db, payments, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let closed = payment::get_payment(&app.db, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(closed.state, PaymentState::Closed);
    let calls = app.sandbox(Method::GET, "/sandbox/calls", None).await;
    assert!(
        calls
            .as_array()
            .into_iter()
            .flatten()
            .any(|call| call["api"] == json!("pay.close") && call["outcome"] == json!("ok")),
        "{calls}"
    );

    // Through a proxy that tampers with WeChat's answers: each one is refused.
    let (proxy, upstream) = serve_tampering_proxy(&app.sandbox_url);
    let tampered = pay_shop(&app, &operator, Some(&proxy)).await;
    let out_trade_no = new_trade_no();
    let prepay = payment::prepare_jsapi_payment(
        &app.db,
        payments,
        tampered.tenant,
        payment_request(&out_trade_no, 500, &notify_url(&app, &tampered)),
    )
    .await;
    assert!(
        matches!(prepay, Err(PaymentError::UnverifiedResponse(_))),
        "{prepay:?}"
    );
    // The refused prepay was not recorded.
    assert!(matches!(
        payment::get_payment(&app.db, tampered.tenant, &out_trade_no).await,
        Err(PaymentError::PaymentNotFound)
    ));

    // The same merchant's client, straight to the sandbox and through the proxy: a prepay made
    // directly verifies; its close (204, empty body) through the proxy is refused.
    let secrets = tenant::PaySecrets {
        appid: tampered.appid.clone(),
        mch_id: tampered.mchid.clone(),
        wechatpay_public_key_id: tampered.key_id.clone(),
        wechatpay_public_key_pem: tampered.key_pem.clone(),
        ..secrets_with_key(fixture("wechatpay/official_doc_test_key_pkcs8.pem"))
    };
    let client = |base: &str| {
        payment::PayClient::build(
            &secrets,
            base,
            reqwest::Client::new(),
            Duration::from_secs(5),
        )
        .unwrap_or_else(|err| panic!("{err}"))
    };
    let direct = client(&app.sandbox_url);
    let through_proxy = client(&proxy);
    let out_trade_no = new_trade_no();
    direct
        .jsapi_prepay(&payment_request(&out_trade_no, 500, &notify))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let query = through_proxy.query_by_out_trade_no(&out_trade_no).await;
    assert!(
        matches!(query, Err(PaymentError::UnverifiedResponse(_))),
        "{query:?}"
    );
    let close = through_proxy.close(&out_trade_no).await;
    assert!(
        matches!(close, Err(PaymentError::UnverifiedResponse(_))),
        "{close:?}"
    );
    direct
        .close(&out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    // Every request named the WeChat Pay public key it expects the answer to be signed with.
    let serials = upstream
        .serials
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    assert_eq!(serials.len(), 3, "{serials:?}");
    assert!(
        serials.iter().all(|serial| *serial == tampered.key_id),
        "{serials:?}"
    );
}

fn secrets_with_key(private_key_pem: String) -> tenant::PaySecrets {
    tenant::PaySecrets {
        appid: new_appid(),
        mch_id: "1900000109".to_owned(),
        apiv3_key: APIV3_KEY.to_owned(),
        private_key_pkcs8_pem: private_key_pem,
        merchant_cert_serial: SERIAL.to_owned(),
        wechatpay_public_key_id: "PUB_KEY_ID_0114232134912410000000000000".to_owned(),
        wechatpay_public_key_pem: fixture("wechatpay/official_doc_test_pub.pem"),
        api_base_url: None,
    }
}

#[tokio::test]
async fn malformed_keys_are_refused_when_the_client_is_built_never_at_request_time() {
    for key in [
        "not a key".to_owned(),
        fixture("wechatpay/official_doc_test_key_pkcs1.pem"),
        fixture("wechatpay/official_doc_test_pub.pem"),
    ] {
        let built = payment::PayClient::build(
            &secrets_with_key(key),
            "http://127.0.0.1:9",
            reqwest::Client::new(),
            Duration::from_secs(1),
        );
        assert!(
            matches!(built, Err(PaymentError::BadConfig(_))),
            "{built:?}"
        );
    }
}

#[tokio::test]
async fn a_hung_wechat_pay_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = payment::PayClient::build(
        &secrets_with_key(fixture("wechatpay/official_doc_test_key_pkcs8.pem")),
        &format!("http://{address}"),
        reqwest::Client::new(),
        Duration::from_millis(300),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let started = Instant::now();
    let closed = client.close("T20261126001").await;
    assert!(
        matches!(closed, Err(PaymentError::WechatUnavailable(_))),
        "{closed:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

async fn concurrent_refunds_never_exceed_the_payment_and_duplicate_refund_notifications_count_once(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let notify = notify_url(&app, &shop);
    // WeChat delivers every notification three more times after it succeeded.
    let mut settings = app.sandbox(Method::GET, "/sandbox/settings", None).await;
    settings["duplicate_notifications"] = json!(3);
    settings["refund_delay_ms"] = json!(200);
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings))
        .await;

    let out_trade_no = new_trade_no();
    let params = payment::prepare_jsapi_payment(
        &app.db,
        &app.state.payments,
        shop.tenant,
        payment_request(&out_trade_no, 1_000, &notify),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    user_pays(&app, &params.prepay_id).await;
    eventually("the payment to be recorded", || async {
        payment::get_payment(&app.db, shop.tenant, &out_trade_no)
            .await
            .is_ok_and(|p| p.state == PaymentState::Paid)
    })
    .await;

    // Ten refunds of 3.00 at once on a 10.00 payment: three fit, seven are refused.
    let app = Arc::new(app);
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let mut tasks = Vec::new();
    for n in 0..10 {
        let (app, barrier, notify, out_trade_no) = (
            app.clone(),
            barrier.clone(),
            notify.clone(),
            out_trade_no.clone(),
        );
        let tenant = shop.tenant;
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            payment::refund(
                &app.db,
                &app.state.payments,
                tenant,
                RefundRequest {
                    out_refund_no: format!("R{n}{out_trade_no}"),
                    out_trade_no,
                    amount_fen: 300,
                    total_fen: 1_000,
                    reason: None,
                    notify_url: Some(notify),
                },
            )
            .await
        }));
    }
    let mut accepted = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap_or_else(|err| panic!("{err}")) {
            Ok(refund) => accepted.push(refund.out_refund_no),
            Err(PaymentError::RefundExceedsPaid { .. }) => refused += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!((accepted.len(), refused), (3, 7));
    for out_refund_no in &accepted {
        eventually("the refund notification", || async {
            payment::get_refund(&app.db, shop.tenant, out_refund_no)
                .await
                .is_ok_and(|r| r.status == RefundStatus::Succeeded)
        })
        .await;
    }
    // Let the duplicates arrive, then count: one entry per payment and per refund.
    eventually("the duplicate deliveries", || async {
        let deliveries = app
            .sandbox(Method::GET, "/sandbox/notifications", None)
            .await;
        deliveries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| {
                d["event_type"] == json!("REFUND.SUCCESS")
                    && text(&d["outcome"]).starts_with("duplicate")
            })
            .count()
            >= 9
    })
    .await;
    let paid = payment::get_payment(&app.db, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((paid.refund_reserved_fen, paid.refunded_fen), (900, 900));
    let ledger = ledger_today(&app, &shop).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 4, "{ledger}");
    // Fee 6 on 10.00; three refunds of 30% give back round(1.8)=2, round(3.6)-2=2, round(5.4)-4=1.
    let fees: Vec<i64> = entries
        .iter()
        .filter_map(|e| e["fee_fen"].as_i64())
        .collect();
    assert_eq!(fees.iter().sum::<i64>(), 6 - 5, "{ledger}");
}
