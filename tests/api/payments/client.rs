//! Our WeChat Pay client: every answer verified (204 included), tampered answers refused, the
//! `Wechatpay-Serial` header sent, timeouts, and keys checked when the client is built.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kernel::TenantId;
use payment::{PaymentError, PaymentState};
use reqwest::Method;
use serde_json::json;

use super::{APIV3_KEY, SERIAL, new_trade_no, notify_url, pay_shop, payment_request};
use crate::helpers::{TestApp, fixture, new_appid, new_code};
use crate::on_every_backend;

on_every_backend!(every_answer_is_verified_and_a_tampered_answer_is_refused);

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
