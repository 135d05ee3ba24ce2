//! `/sandbox/*`: the controls a test or a demo uses where a person or WeChat's back office would
//! act. Not WeChat APIs.

use std::time::Instant;

use actix_web::{HttpResponse, get, post, put, web};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::json;
use wechat::pay_crypto::{RsaSigner, RsaVerifier};

use crate::pay::{digits, user_pays};
use crate::state::{LoginCode, PhoneCode, SimApp, SimMerchant};
use crate::{Sandbox, SandboxSettings};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register_app)
        .service(issue_login_code)
        .service(issue_phone_code)
        .service(expire_token)
        .service(register_merchant)
        .service(pay)
        .service(register_kdniao_account)
        .service(calls)
        .service(deliveries)
        .service(messages)
        .service(get_settings)
        .service(put_settings);
}

fn bad_request(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"code": "sandbox.bad_request", "message": message}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppIn {
    appid: String,
    secret: String,
}

/// Registers a mini-program (appid + secret), as WeChat's back office would have.
#[post("/sandbox/apps")]
async fn register_app(sandbox: web::Data<Sandbox>, body: web::Json<AppIn>) -> HttpResponse {
    let body = body.into_inner();
    sandbox.state().apps.insert(
        body.appid.clone(),
        SimApp {
            secret: Some(body.secret),
            stable_token: None,
        },
    );
    HttpResponse::Created().json(json!({"appid": body.appid}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginCodeIn {
    appid: String,
    openid: String,
    unionid: Option<String>,
}

/// What `wx.login()` gives a mini-program: a single-use code valid for 5 minutes.
#[post("/sandbox/login-code")]
async fn issue_login_code(
    sandbox: web::Data<Sandbox>,
    body: web::Json<LoginCodeIn>,
) -> HttpResponse {
    let body = body.into_inner();
    if body.openid.is_empty() {
        return bad_request("openid is required");
    }
    let code = infra::token::random_secret(24);
    let auto_register = sandbox.settings().auto_register;
    let mut state = sandbox.state();
    if !state.apps.contains_key(&body.appid) {
        if !auto_register {
            return bad_request("unknown appid; register it with POST /sandbox/apps");
        }
        state.apps.insert(
            body.appid.clone(),
            SimApp {
                secret: None,
                stable_token: None,
            },
        );
    }
    state.login_codes.insert(
        code.clone(),
        LoginCode {
            appid: body.appid,
            openid: body.openid,
            unionid: body.unionid,
            issued: Instant::now(),
        },
    );
    HttpResponse::Created().json(json!({"code": code}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneCodeIn {
    appid: String,
    phone: String,
}

/// What a `getPhoneNumber` button gives a mini-program.
#[post("/sandbox/phone-code")]
async fn issue_phone_code(
    sandbox: web::Data<Sandbox>,
    body: web::Json<PhoneCodeIn>,
) -> HttpResponse {
    let body = body.into_inner();
    let code = infra::token::random_secret(24);
    sandbox.state().phone_codes.insert(
        code.clone(),
        PhoneCode {
            appid: body.appid,
            phone: body.phone,
            issued: Instant::now(),
        },
    );
    HttpResponse::Created().json(json!({"code": code}))
}

/// Expires every access token of an app now (to exercise refresh-and-retry).
#[post("/sandbox/apps/{appid}/expire-tokens")]
async fn expire_token(sandbox: web::Data<Sandbox>, appid: web::Path<String>) -> HttpResponse {
    let appid = appid.into_inner();
    let mut state = sandbox.state();
    let now = Instant::now();
    for token in state
        .tokens
        .values_mut()
        .filter(|token| token.appid == appid)
    {
        token.expires = now;
    }
    if let Some(app) = state.apps.get_mut(&appid) {
        app.stable_token = None;
    }
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantIn {
    mchid: String,
    merchant_cert_serial: String,
    /// The merchant API certificate's public key (SPKI PEM).
    merchant_public_key_pem: String,
    apiv3_key: String,
    appids: Vec<String>,
}

/// Registers a direct merchant. The sandbox makes the merchant's "WeChat Pay public key" pair
/// and returns the public key and its id, as the merchant platform would let one download them.
#[post("/sandbox/merchants")]
async fn register_merchant(
    sandbox: web::Data<Sandbox>,
    body: web::Json<MerchantIn>,
) -> HttpResponse {
    let body = body.into_inner();
    if body.apiv3_key.len() != 32 {
        return bad_request("apiv3_key must be 32 bytes");
    }
    let Ok(merchant_key) = RsaPublicKey::from_public_key_pem(body.merchant_public_key_pem.trim())
    else {
        return bad_request("merchant_public_key_pem must be an SPKI public key");
    };
    let generated =
        tokio::task::spawn_blocking(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)).await;
    let Ok(Ok(platform_key)) = generated else {
        return HttpResponse::InternalServerError().json(json!({"code": "sandbox.keygen_failed"}));
    };
    let Ok(public_key_pem) = platform_key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
    else {
        return HttpResponse::InternalServerError().json(json!({"code": "sandbox.keygen_failed"}));
    };
    let public_key_id = format!("PUB_KEY_ID_01{}", digits(26));
    sandbox.state().merchants.insert(
        body.mchid.clone(),
        SimMerchant {
            cert_serial: body.merchant_cert_serial.to_uppercase(),
            merchant_key: RsaVerifier::from_key(merchant_key),
            apiv3_key: body.apiv3_key,
            platform_key: RsaSigner::from_key(platform_key),
            public_key_id: public_key_id.clone(),
            appids: body.appids,
        },
    );
    HttpResponse::Created().json(json!({
        "mchid": body.mchid,
        "wechatpay_public_key_id": public_key_id,
        "wechatpay_public_key_pem": public_key_pem,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayIn {
    /// `success` or `failure`.
    result: String,
}

/// The user taps Pay in `wx.requestPayment`.
#[post("/sandbox/pay/{prepay_id}")]
async fn pay(
    sandbox: web::Data<Sandbox>,
    prepay_id: web::Path<String>,
    body: web::Json<PayIn>,
) -> HttpResponse {
    let succeed = match body.result.as_str() {
        "success" => true,
        "failure" => false,
        _ => return bad_request("result must be success or failure"),
    };
    match user_pays(sandbox.into_inner(), &prepay_id, succeed).await {
        Ok(transaction) => HttpResponse::Ok().json(transaction),
        Err(reason) => {
            HttpResponse::Conflict().json(json!({"code": "sandbox.not_payable", "message": reason}))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KdniaoAccountIn {
    ebusiness_id: String,
    app_key: String,
}

#[post("/sandbox/kdniao/accounts")]
async fn register_kdniao_account(
    sandbox: web::Data<Sandbox>,
    body: web::Json<KdniaoAccountIn>,
) -> HttpResponse {
    let body = body.into_inner();
    sandbox
        .state()
        .kdniao_accounts
        .insert(body.ebusiness_id.clone(), body.app_key);
    HttpResponse::Created().json(json!({"ebusiness_id": body.ebusiness_id}))
}

#[derive(Deserialize)]
struct CallsQuery {
    api: Option<String>,
}

/// The call log: every sandboxed API call with its subject, time and outcome.
#[get("/sandbox/calls")]
async fn calls(sandbox: web::Data<Sandbox>, query: web::Query<CallsQuery>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.calls(query.api.as_deref()))
}

/// Every notification delivery attempt, with its place in the retry schedule.
#[get("/sandbox/notifications")]
async fn deliveries(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.deliveries())
}

/// Subscribe messages sent and shipping information uploaded.
#[get("/sandbox/messages")]
async fn messages(sandbox: web::Data<Sandbox>) -> HttpResponse {
    let state = sandbox.state();
    HttpResponse::Ok().json(json!({
        "subscribe_messages": state.subscribe_messages,
        "shipping_uploads": state.shipping_uploads,
    }))
}

#[get("/sandbox/settings")]
async fn get_settings(sandbox: web::Data<Sandbox>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.settings())
}

/// Fault injection and behaviour settings (latency, error rate, dropped/duplicate notifications, …).
#[put("/sandbox/settings")]
async fn put_settings(
    sandbox: web::Data<Sandbox>,
    body: web::Json<SandboxSettings>,
) -> HttpResponse {
    let settings = body.into_inner();
    if !(0.0..=1.0).contains(&settings.error_rate) || settings.notify_time_scale <= 0.0 {
        return bad_request("error_rate must be within 0..1 and notify_time_scale positive");
    }
    sandbox.set_settings(settings.clone());
    HttpResponse::Ok().json(settings)
}
