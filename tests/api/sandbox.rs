//! The WeChat sandbox itself, driven the way WeChat's clients drive WeChat: signed v3 requests,
//! signed answers, encrypted notifications retried on schedule, KDNiao DataSign.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use wechat::kdniao::{Commodity, KdniaoAccount, KdniaoClient, Party, WaybillRequest};
use wechat::pay_crypto::{
    Authorization, RequestToSign, RsaSigner, RsaVerifier, aead_decrypt, random_nonce,
    response_message,
};
use wechat_sim::{RunningSandbox, SandboxSettings};

use crate::helpers::fixture;

const MCHID: &str = "1900000109";
const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
const APIV3_KEY: &str = "0123456789abcdefABCDEF0123456789";
const APPID: &str = "wx1234567890abcdef";

struct Merchant {
    sandbox: RunningSandbox,
    signer: RsaSigner,
    /// The sandbox's "WeChat Pay public key" for this merchant, and its id.
    wechatpay_key: RsaVerifier,
    wechatpay_key_id: String,
    http: reqwest::Client,
}

struct Answer {
    status: u16,
    body: Vec<u8>,
    headers: reqwest::header::HeaderMap,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn merchant(settings: SandboxSettings) -> Merchant {
    let sandbox =
        RunningSandbox::start("127.0.0.1:0", settings).unwrap_or_else(|err| panic!("{err}"));
    let http = reqwest::Client::new();
    let registered: Value = http
        .post(format!("{}/sandbox/merchants", sandbox.base_url))
        .json(&json!({
            "mchid": MCHID, "merchant_cert_serial": SERIAL,
            "merchant_public_key_pem": fixture("wechatpay/official_doc_test_pub.pem"),
            "apiv3_key": APIV3_KEY, "appids": [APPID],
        }))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"))
        .json()
        .await
        .unwrap_or(Value::Null);
    Merchant {
        signer: RsaSigner::from_pem(&fixture("wechatpay/official_doc_test_key_pkcs8.pem"))
            .unwrap_or_else(|err| panic!("{err}")),
        wechatpay_key: RsaVerifier::from_pem(
            registered["wechatpay_public_key_pem"]
                .as_str()
                .unwrap_or_default(),
        )
        .unwrap_or_else(|err| panic!("{err}")),
        wechatpay_key_id: registered["wechatpay_public_key_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        sandbox,
        http,
    }
}

impl Merchant {
    /// Sends a v3 request signed by `signer` with `timestamp`; `tamper` changes the body after signing.
    async fn call_as(
        &self,
        signer: &RsaSigner,
        method: &str,
        url: &str,
        body: &str,
        timestamp: i64,
        tamper: Option<&str>,
    ) -> Answer {
        let nonce = random_nonce(32);
        let request = RequestToSign {
            method,
            canonical_url: url,
            timestamp,
            nonce: &nonce,
            body: body.as_bytes(),
        };
        let authorization = Authorization::sign(signer, MCHID, SERIAL, &request);
        let sent = tamper.unwrap_or(body).to_owned();
        let request = match method {
            "GET" => self.http.get(format!("{}{url}", self.sandbox.base_url)),
            _ => self
                .http
                .post(format!("{}{url}", self.sandbox.base_url))
                .header("Content-Type", "application/json")
                .body(sent),
        };
        let response = request
            .header("Authorization", authorization.header_value())
            .header("Accept", "application/json")
            .header("Wechatpay-Serial", &self.wechatpay_key_id)
            .send()
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default(),
        }
    }

    async fn call(&self, method: &str, url: &str, body: &str) -> Answer {
        self.call_as(
            &self.signer,
            method,
            url,
            body,
            chrono::Utc::now().timestamp(),
            None,
        )
        .await
    }

    /// Verifies an answer's signature as a WeChat Pay client must (204 included).
    fn answer_is_signed(&self, answer: &Answer) -> bool {
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        header("Wechatpay-Serial") == self.wechatpay_key_id
            && self.wechatpay_key.verify(
                &response_message(
                    &header("Wechatpay-Timestamp"),
                    &header("Wechatpay-Nonce"),
                    &answer.body,
                ),
                &header("Wechatpay-Signature"),
            )
    }

    async fn prepay(&self, out_trade_no: &str, total: i64, notify_url: &str) -> Answer {
        let body = json!({
            "appid": APPID, "mchid": MCHID, "description": "沙箱测试商品", "out_trade_no": out_trade_no,
            "notify_url": notify_url, "amount": {"total": total, "currency": "CNY"},
            "payer": {"openid": "o_sandbox_payer"},
        });
        self.call("POST", "/v3/pay/transactions/jsapi", &body.to_string())
            .await
    }

    async fn user_pays(&self, prepay_id: &str) -> Value {
        self.http
            .post(format!("{}/sandbox/pay/{prepay_id}", self.sandbox.base_url))
            .json(&json!({"result": "success"}))
            .send()
            .await
            .unwrap_or_else(|err| panic!("{err}"))
            .json()
            .await
            .unwrap_or(Value::Null)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_refuses_tampered_wrongly_signed_and_stale_requests() {
    let merchant = merchant(SandboxSettings::default()).await;
    let body = json!({
        "appid": APPID, "mchid": MCHID, "description": "x", "out_trade_no": "T20261126001",
        "notify_url": "https://merchant.test/notify", "amount": {"total": 100}, "payer": {"openid": "o"},
    })
    .to_string();
    let now = chrono::Utc::now().timestamp();
    let tampered_body = body.replace("\"total\":100", "\"total\":1");
    let tampered = merchant
        .call_as(
            &merchant.signer,
            "POST",
            "/v3/pay/transactions/jsapi",
            &body,
            now,
            Some(&tampered_body),
        )
        .await;
    assert_eq!(
        (tampered.status, tampered.json()["code"].clone()),
        (401, json!("SIGN_ERROR"))
    );

    let other_key = RsaSigner::from_pem(&fixture("wechatpay/other_test_key_pkcs8.pem"))
        .unwrap_or_else(|err| panic!("{err}"));
    let wrong_key = merchant
        .call_as(
            &other_key,
            "POST",
            "/v3/pay/transactions/jsapi",
            &body,
            now,
            None,
        )
        .await;
    assert_eq!(
        (wrong_key.status, wrong_key.json()["code"].clone()),
        (401, json!("SIGN_ERROR"))
    );

    let stale = merchant
        .call_as(
            &merchant.signer,
            "POST",
            "/v3/pay/transactions/jsapi",
            &body,
            now - 301,
            None,
        )
        .await;
    assert_eq!(
        (stale.status, stale.json()["code"].clone()),
        (401, json!("SIGN_ERROR"))
    );

    let fine = merchant
        .call_as(
            &merchant.signer,
            "POST",
            "/v3/pay/transactions/jsapi",
            &body,
            now - 200,
            None,
        )
        .await;
    assert_eq!(fine.status, 200, "{}", String::from_utf8_lossy(&fine.body));
    assert!(merchant.answer_is_signed(&fine));
    // Nothing was created by the refused attempts: querying finds the one good order only.
    let query = merchant
        .call(
            "GET",
            &format!("/v3/pay/transactions/out-trade-no/T20261126001?mchid={MCHID}"),
            "",
        )
        .await;
    assert_eq!(query.json()["trade_state"], json!("NOTPAY"));
    assert_eq!(query.json()["amount"]["total"], json!(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepay_close_and_refund_follow_wechats_state_rules_and_every_answer_is_signed() {
    let merchant = merchant(SandboxSettings {
        refund_delay_ms: 10,
        ..SandboxSettings::default()
    })
    .await;
    let first = merchant
        .prepay("T20261126002", 990, "https://merchant.test/notify")
        .await;
    let again = merchant
        .prepay("T20261126002", 990, "https://merchant.test/notify")
        .await;
    assert_eq!(
        first.json()["prepay_id"],
        again.json()["prepay_id"],
        "same params must give the same prepay_id"
    );
    let changed = merchant
        .prepay("T20261126002", 991, "https://merchant.test/notify")
        .await;
    assert_eq!(
        (changed.status, changed.json()["code"].clone()),
        (400, json!("INVALID_REQUEST"))
    );
    let unbound = json!({"appid": "wxffffffffffffffff", "mchid": MCHID, "description": "x", "out_trade_no": "T20261126009",
        "notify_url": "https://m.test/n", "amount": {"total": 1}, "payer": {"openid": "o"}});
    let unbound = merchant
        .call("POST", "/v3/pay/transactions/jsapi", &unbound.to_string())
        .await;
    assert_eq!(unbound.json()["code"], json!("APPID_MCHID_NOT_MATCH"));
    let missing = merchant
        .call(
            "GET",
            &format!("/v3/pay/transactions/out-trade-no/NOPE000001?mchid={MCHID}"),
            "",
        )
        .await;
    assert_eq!(
        (missing.status, missing.json()["code"].clone()),
        (404, json!("ORDER_NOT_EXIST"))
    );
    assert!(merchant.answer_is_signed(&missing));

    // Close an unpaid order: 204, empty body, still signed. Repeating it is fine.
    let close_body = json!({"mchid": MCHID}).to_string();
    merchant
        .prepay("T20261126003", 100, "https://merchant.test/notify")
        .await;
    let closed = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/T20261126003/close",
            &close_body,
        )
        .await;
    assert_eq!(closed.status, 204);
    assert!(closed.body.is_empty());
    assert!(merchant.answer_is_signed(&closed), "a 204 must be signed");
    assert_eq!(
        merchant
            .call(
                "POST",
                "/v3/pay/transactions/out-trade-no/T20261126003/close",
                &close_body
            )
            .await
            .status,
        204
    );

    // Pay, then refunds: never above what was paid; an out_refund_no refunds once.
    let prepay_id = first.json()["prepay_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let paid = merchant.user_pays(&prepay_id).await;
    assert_eq!(paid["trade_state"], json!("SUCCESS"));
    let paid_close = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/T20261126002/close",
            &close_body,
        )
        .await;
    assert_eq!(paid_close.json()["code"], json!("ORDERPAID"));
    let refund = |no: &str, amount: i64| {
        json!({"out_trade_no": "T20261126002", "out_refund_no": no, "amount": {"refund": amount, "total": 990, "currency": "CNY"}}).to_string()
    };
    let r1 = merchant
        .call("POST", "/v3/refund/domestic/refunds", &refund("R1", 600))
        .await;
    assert_eq!(
        (r1.status, r1.json()["status"].clone()),
        (200, json!("PROCESSING"))
    );
    let r1_again = merchant
        .call("POST", "/v3/refund/domestic/refunds", &refund("R1", 600))
        .await;
    assert_eq!(r1_again.json()["refund_id"], r1.json()["refund_id"]);
    let too_much = merchant
        .call("POST", "/v3/refund/domestic/refunds", &refund("R2", 391))
        .await;
    assert_eq!(
        (too_much.status, too_much.json()["code"].clone()),
        (403, json!("NOT_ENOUGH"))
    );
    let rest = merchant
        .call("POST", "/v3/refund/domestic/refunds", &refund("R3", 390))
        .await;
    assert_eq!(rest.status, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let queried = merchant
        .call("GET", "/v3/refund/domestic/refunds/R1", "")
        .await;
    assert_eq!(queried.json()["status"], json!("SUCCESS"));
    assert!(merchant.answer_is_signed(&queried));
}

/// Serves `handler` at `/notify` on a free loopback port with `data`; returns the URL.
fn serve_notify_endpoint<T, F, Fut>(data: web::Data<T>, handler: F) -> String
where
    F: actix_web::Handler<(web::Data<T>, HttpRequest, web::Bytes), Output = Fut>
        + Clone
        + Send
        + 'static,
    Fut: actix_web::Responder + 'static,
    T: Send + Sync + 'static,
{
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
            .app_data(data.clone())
            .route("/notify", web::post().to(handler.clone()))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap_or_else(|err| panic!("{err}"))
    .run();
    tokio::spawn(server);
    url
}

/// Headers and raw body of a delivery the endpoint accepted.
type Delivery = (Vec<(String, String)>, Vec<u8>);

#[derive(Default)]
struct Endpoint {
    hits: AtomicUsize,
    accepted: std::sync::Mutex<Option<Delivery>>,
}

async fn notify_handler(
    endpoint: web::Data<Endpoint>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let hit = endpoint.hits.fetch_add(1, Ordering::SeqCst) + 1;
    if hit <= 2 {
        return HttpResponse::InternalServerError()
            .json(json!({"code": "FAIL", "message": "失败"}));
    }
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
    if let Ok(mut accepted) = endpoint.accepted.lock() {
        *accepted = Some((headers, body.to_vec()));
    }
    HttpResponse::NoContent().finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_endpoint_failing_twice_receives_the_third_delivery_on_schedule() {
    let endpoint = web::Data::new(Endpoint::default());
    let notify_url = serve_notify_endpoint(endpoint.clone(), notify_handler);

    // 1/1000 of real time: the 15 s retries take 15 ms.
    let merchant = merchant(SandboxSettings {
        notify_time_scale: 0.001,
        ..SandboxSettings::default()
    })
    .await;
    let prepay = merchant.prepay("T20261126100", 2500, &notify_url).await;
    merchant
        .user_pays(prepay.json()["prepay_id"].as_str().unwrap_or_default())
        .await;

    let mut deliveries = Vec::new();
    for _ in 0..200 {
        let log: Value = merchant
            .http
            .get(format!(
                "{}/sandbox/notifications",
                merchant.sandbox.base_url
            ))
            .send()
            .await
            .unwrap_or_else(|err| panic!("{err}"))
            .json()
            .await
            .unwrap_or(Value::Null);
        deliveries = log.as_array().cloned().unwrap_or_default();
        if deliveries.iter().any(|d| d["outcome"] == json!("204")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let schedule: Vec<(u64, String)> = deliveries
        .iter()
        .map(|d| {
            (
                d["scheduled_delay_secs"].as_u64().unwrap_or(0),
                d["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        schedule,
        [
            (0, "500".to_owned()),
            (15, "500".to_owned()),
            (15, "204".to_owned())
        ],
        "the delivery log shows the schedule"
    );
    assert_eq!(endpoint.hits.load(Ordering::SeqCst), 3);

    // What the merchant received verifies with its WeChat Pay key and decrypts with its APIv3 key.
    let accepted = endpoint.accepted.lock().ok().and_then(|a| a.clone());
    let (headers, body) = accepted.unwrap_or_default();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(header("Wechatpay-Serial"), merchant.wechatpay_key_id);
    assert!(merchant.wechatpay_key.verify(
        &response_message(
            &header("Wechatpay-Timestamp"),
            &header("Wechatpay-Nonce"),
            &body
        ),
        &header("Wechatpay-Signature")
    ));
    let envelope: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!(envelope["event_type"], json!("TRANSACTION.SUCCESS"));
    let resource = &envelope["resource"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let plaintext = aead_decrypt(
        APIV3_KEY.as_bytes(),
        &text(&resource["nonce"]),
        &text(&resource["associated_data"]),
        &text(&resource["ciphertext"]),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let transaction: Value = serde_json::from_slice(&plaintext).unwrap_or(Value::Null);
    assert_eq!(transaction["out_trade_no"], json!("T20261126100"));
    assert_eq!(transaction["amount"]["total"], json!(2500));
    assert_eq!(transaction["trade_state"], json!("SUCCESS"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kdniao_waybills_and_tracking_need_a_valid_data_sign() {
    let sandbox = RunningSandbox::start("127.0.0.1:0", SandboxSettings::default())
        .unwrap_or_else(|err| panic!("{err}"));
    let http = reqwest::Client::new();
    http.post(format!("{}/sandbox/kdniao/accounts", sandbox.base_url))
        .json(
            &json!({"ebusiness_id": "1237100", "app_key": "518a73d8-1f7f-441a-b644-33e77b49d846"}),
        )
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let client = KdniaoClient::new(http);
    let account = KdniaoAccount {
        ebusiness_id: "1237100".to_owned(),
        app_key: "518a73d8-1f7f-441a-b644-33e77b49d846".to_owned(),
        base_url: sandbox.kdniao_base_url(),
    };
    let party = |name: &str| Party {
        name: name.to_owned(),
        mobile: "13800138000".to_owned(),
        province_name: "上海".to_owned(),
        city_name: "上海".to_owned(),
        exp_area_name: "青浦区".to_owned(),
        address: "明珠路73号".to_owned(),
    };
    let request = WaybillRequest {
        order_code: "KD20261126001".to_owned(),
        shipper_code: "ZTO".to_owned(),
        pay_type: 1,
        exp_type: 1,
        sender: party("发货人"),
        receiver: party("收货人"),
        commodity: vec![Commodity {
            goods_name: "面霜".to_owned(),
            goods_quantity: 1,
        }],
        quantity: 1,
        is_return_print_template: 1,
    };
    let waybill = client
        .create_waybill(&account, &request)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(waybill.logistic_code.starts_with("SIM"));
    assert!(
        waybill
            .print_template
            .as_deref()
            .is_some_and(|html| html.contains(&waybill.logistic_code))
    );
    let tracking = client
        .track(&account, "ZTO", &waybill.logistic_code)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(tracking.state, "2");
    assert_eq!(tracking.traces.len(), 2);

    let wrong_key = KdniaoAccount {
        app_key: "not-the-key".to_owned(),
        ..account
    };
    let refused = client.create_waybill(&wrong_key, &request).await;
    assert!(
        matches!(refused, Err(wechat::WechatError::Api { errcode: 102, .. })),
        "{refused:?}"
    );
}

/// A merchant endpoint that verifies signatures as it must: it refuses the SIGNTEST probe.
struct VerifyingEndpoint {
    verifier: RsaVerifier,
    accepted: AtomicUsize,
    refused: AtomicUsize,
}

async fn verifying_handler(
    endpoint: web::Data<VerifyingEndpoint>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let message = response_message(
        &header("Wechatpay-Timestamp"),
        &header("Wechatpay-Nonce"),
        &body,
    );
    if endpoint
        .verifier
        .verify(&message, &header("Wechatpay-Signature"))
    {
        endpoint.accepted.fetch_add(1, Ordering::SeqCst);
        HttpResponse::Ok().json(json!({"code": "SUCCESS", "message": "成功"}))
    } else {
        endpoint.refused.fetch_add(1, Ordering::SeqCst);
        HttpResponse::Unauthorized().json(json!({"code": "FAIL", "message": "签名错误"}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_sends_signtest_probes_and_duplicates_when_asked() {
    let settings = SandboxSettings {
        signtest_probe: true,
        duplicate_notifications: 2,
        notify_time_scale: 0.001,
        ..SandboxSettings::default()
    };
    let merchant = merchant(settings).await;
    let endpoint = web::Data::new(VerifyingEndpoint {
        verifier: merchant.wechatpay_key.clone(),
        accepted: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
    });
    let notify_url = serve_notify_endpoint(endpoint.clone(), verifying_handler);

    let prepay = merchant.prepay("T20261126200", 100, &notify_url).await;
    merchant
        .user_pays(prepay.json()["prepay_id"].as_str().unwrap_or_default())
        .await;
    for _ in 0..200 {
        if endpoint.accepted.load(Ordering::SeqCst) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        endpoint.refused.load(Ordering::SeqCst),
        1,
        "the probe must fail verification"
    );
    assert_eq!(
        endpoint.accepted.load(Ordering::SeqCst),
        3,
        "one delivery and two duplicates"
    );
    let log: Value = merchant
        .http
        .get(format!(
            "{}/sandbox/notifications",
            merchant.sandbox.base_url
        ))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"))
        .json()
        .await
        .unwrap_or(Value::Null);
    let outcomes: Vec<String> = log
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["outcome"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        outcomes,
        ["probe: 401", "200", "duplicate: 200", "duplicate: 200"]
    );
}
