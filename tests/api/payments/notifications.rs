//! Notifications as WeChat sends them, captured and replayed: twenty at once, and forgeries.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kernel::TenantId;
use payment::{NotificationHeaders, NotificationOutcome, PaymentState};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::{
    PayShop, eventually, ledger_today, new_mchid, new_trade_no, pay_config, pay_shop,
    payment_request, user_pays,
};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(
    concurrent_duplicate_notifications_make_one_transition_and_one_ledger_entry,
    forged_and_mismatched_notifications_are_refused_and_change_nothing,
);

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

async fn concurrent_duplicate_notifications_make_one_transition_and_one_ledger_entry(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    // This merchant's contract says 0.38%.
    let rate = app
        .put(
            "/api/v1/admin/payments/fee-rate",
            &shop.shop.owner_token,
            json!({"fee_rate_ppm": 3_800}),
        )
        .await
        .expect(200);
    assert_eq!(rate["fee_rate_ppm"], json!(3_800));
    app.put(
        "/api/v1/admin/payments/fee-rate",
        &shop.shop.owner_token,
        json!({"fee_rate_ppm": 100_001}),
    )
    .await
    .expect_error(422, "payment.invalid_input");
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
    assert_eq!(
        paid.fee_fen,
        Some(34),
        "0.38% of 88.88 = 0.337744 yuan, 33.7744 fen"
    );
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
    // A genuine notification whose amount is not the one we prepared (as if our order said 9.99).
    let set_amount = |fen: i64| {
        // out_trade_no is unique to this test (tenant ids are stored differently per backend).
        format!("UPDATE payments SET amount_fen = {fen} WHERE out_trade_no = '{out_trade_no}'")
    };
    app.db
        .execute_unprepared(&set_amount(999))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let (got, answer) = replay(&app, a_id, &genuine, &genuine.1, &[]).await;
    assert_eq!(
        (got, text(&answer["message"])),
        (400, "amount_mismatch".to_owned())
    );
    app.db
        .execute_unprepared(&set_amount(1_000))
        .await
        .unwrap_or_else(|err| panic!("{err}"));

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
