//! Our client's trade bill download: the signed answer verified, the file fetched only from the
//! configured WeChat Pay host and refused unless its SHA1 is the one WeChat signed.

use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use payment::PaymentError;
use reqwest::Method;

use super::{APIV3_KEY, SERIAL, new_trade_no, notify_url, pay_shop, payment_request, user_pays};
use crate::helpers::{TestApp, fixture};
use crate::on_every_backend;

struct Upstream {
    base: String,
    http: reqwest::Client,
    /// Pass the caller's `Host` on, so the sandbox's download URL points back at this proxy.
    keep_host: bool,
}

/// Forwards to the sandbox; a bill file coming back gets one more row.
async fn bill_tampering_proxy(
    upstream: web::Data<Upstream>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let method = Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(Method::GET);
    let mut forward = upstream
        .http
        .request(method, format!("{}{}", upstream.base, req.uri()))
        .body(body.to_vec());
    for (name, value) in req.headers() {
        if (name.as_str() != "host" || upstream.keep_host) && name.as_str() != "content-length" {
            forward = forward.header(name.as_str(), value.to_str().unwrap_or_default());
        }
    }
    let Ok(answer) = forward.send().await else {
        return HttpResponse::BadGateway().finish();
    };
    let status = actix_web::http::StatusCode::from_u16(answer.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let mut out = HttpResponse::build(status);
    for (name, value) in answer.headers() {
        if name.as_str() != "content-length" && name.as_str() != "transfer-encoding" {
            out.insert_header((name.as_str(), value.to_str().unwrap_or_default()));
        }
    }
    let mut body = answer.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    if req.path().starts_with("/v3/billdownload/") {
        body.extend_from_slice("`2026-11-26 10:00:00,`forged\r\n".as_bytes());
    }
    out.body(body)
}

fn serve_proxy(sandbox_url: &str, keep_host: bool) -> String {
    let upstream = web::Data::new(Upstream {
        base: sandbox_url.to_owned(),
        http: reqwest::Client::new(),
        keep_host,
    });
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
            .default_service(web::to(bill_tampering_proxy))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap_or_else(|err| panic!("{err}"))
    .run();
    tokio::spawn(server);
    url
}

on_every_backend!(a_bill_is_accepted_only_from_the_pay_host_and_with_its_signed_sha1);

async fn a_bill_is_accepted_only_from_the_pay_host_and_with_its_signed_sha1(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let secrets = tenant::PaySecrets {
        appid: shop.appid.clone(),
        mch_id: shop.mchid.clone(),
        apiv3_key: APIV3_KEY.to_owned(),
        private_key_pkcs8_pem: fixture("wechatpay/official_doc_test_key_pkcs8.pem"),
        merchant_cert_serial: SERIAL.to_owned(),
        wechatpay_public_key_id: shop.key_id.clone(),
        wechatpay_public_key_pem: shop.key_pem.clone(),
        api_base_url: None,
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
    let today = payment::china_day_of(chrono::Utc::now());
    assert_eq!(
        direct
            .trade_bill(today)
            .await
            .unwrap_or_else(|err| panic!("{err}")),
        None,
        "no bill before anything happened"
    );

    let out_trade_no = new_trade_no();
    let params = payment::prepare_jsapi_payment(
        &app.db,
        &app.state.payments,
        shop.tenant,
        payment_request(&out_trade_no, 1_000, &notify_url(&app, &shop)),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    user_pays(&app, &params.prepay_id).await;
    let bill = direct
        .trade_bill(today)
        .await
        .unwrap_or_else(|err| panic!("{err}"))
        .unwrap_or_else(|| panic!("no bill"));
    assert!(bill.starts_with("交易时间,"), "{bill}");
    assert!(bill.contains(&format!("`{out_trade_no},")), "{bill}");
    assert!(bill.contains("总交易单数"), "{bill}");

    // The file changed on the way: its SHA1 is not the signed one.
    let tampering = client(&serve_proxy(&app.sandbox_url, true));
    let refused = tampering.trade_bill(today).await;
    assert!(
        matches!(
            refused,
            Err(PaymentError::UnverifiedResponse(why)) if why.contains("SHA1")
        ),
        "{refused:?}"
    );
    // A download URL on another host than the configured one is never fetched.
    let elsewhere = client(&serve_proxy(&app.sandbox_url, false));
    let refused = elsewhere.trade_bill(today).await;
    assert!(
        matches!(
            refused,
            Err(PaymentError::UnverifiedResponse(why)) if why.contains("host")
        ),
        "{refused:?}"
    );
    let downloads = app
        .sandbox(Method::GET, "/sandbox/calls?api=pay.billdownload", None)
        .await;
    assert_eq!(
        downloads.as_array().map(Vec::len),
        Some(2),
        "the direct and the tampered download; none for the foreign host: {downloads}"
    );
}
