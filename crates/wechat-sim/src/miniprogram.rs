//! `api.weixin.qq.com`: login, access tokens, subscribe messages, phone numbers, shipping upload.
//! Errors are HTTP 200 with `{"errcode", "errmsg"}`, as WeChat answers them.

use std::time::Instant;

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::state::{CODE_LIFETIME, IssuedToken, SimApp, TOKEN_LIFETIME, random_hex};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(code_to_session)
        .service(stable_token)
        .service(classic_token)
        .service(send_subscribe_message)
        .service(phone_number)
        .service(upload_shipping_info);
}

fn errcode(code: i64, message: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "errcode": code,
        "errmsg": format!("{message} rid: {}", random_hex(24)),
    }))
}

/// Checks the app and its secret, registering it first if auto-registration is on.
fn check_app(sandbox: &Sandbox, appid: &str, secret: &str) -> Result<(), HttpResponse> {
    let auto_register = sandbox.settings().auto_register;
    let mut state = sandbox.state();
    match state.apps.get_mut(appid) {
        Some(app) => match &app.secret {
            Some(known) if known == secret => Ok(()),
            Some(_) => Err(errcode(40125, "invalid appsecret")),
            None => {
                app.secret = Some(secret.to_owned());
                Ok(())
            }
        },
        None if auto_register => {
            state.apps.insert(
                appid.to_owned(),
                SimApp {
                    secret: Some(secret.to_owned()),
                    stable_token: None,
                },
            );
            Ok(())
        }
        None => Err(errcode(40013, "invalid appid")),
    }
}

#[derive(Deserialize)]
struct SessionQuery {
    appid: String,
    secret: String,
    js_code: String,
    grant_type: String,
}

#[get("/sns/jscode2session")]
async fn code_to_session(
    sandbox: web::Data<Sandbox>,
    query: web::Query<SessionQuery>,
) -> HttpResponse {
    sandbox.delay().await;
    let query = query.into_inner();
    let answer = (|| {
        if sandbox.inject_error() {
            return Err(errcode(-1, "system error"));
        }
        if query.grant_type != "authorization_code" {
            return Err(errcode(40002, "invalid grant_type"));
        }
        check_app(&sandbox, &query.appid, &query.secret)?;
        let mut state = sandbox.state();
        // Single use: the code is gone whatever happens next.
        let Some(code) = state.login_codes.remove(&query.js_code) else {
            return Err(errcode(40029, "invalid code"));
        };
        if code.appid != query.appid || code.issued.elapsed() > CODE_LIFETIME {
            return Err(errcode(40029, "invalid code"));
        }
        let mut session =
            json!({"openid": code.openid, "session_key": infra::token::random_secret(16)});
        if let Some(unionid) = code.unionid {
            session["unionid"] = json!(unionid);
        }
        Ok(session)
    })();
    match answer {
        Ok(session) => {
            sandbox.record_call("jscode2session", &query.appid, "ok");
            HttpResponse::Ok().json(session)
        }
        Err(response) => {
            sandbox.record_call("jscode2session", &query.appid, "error");
            response
        }
    }
}

/// Issues or reuses the app's stable token: the same token while more than 5 minutes remain; a
/// new one in the last 5 minutes (both valid meanwhile) or when forced (the old one dies).
fn stable_token_for(sandbox: &Sandbox, appid: &str, force_refresh: bool) -> (String, u64) {
    let mut state = sandbox.state();
    let now = Instant::now();
    let current = state
        .apps
        .get(appid)
        .and_then(|app| app.stable_token.clone());
    if let Some((token, expires)) = &current
        && !force_refresh
        && expires.saturating_duration_since(now).as_secs() > 300
    {
        return (
            token.clone(),
            expires.saturating_duration_since(now).as_secs(),
        );
    }
    if force_refresh && let Some((old, _)) = &current {
        state.tokens.remove(old);
    }
    let token = format!("SIM_{}", infra::token::random_secret(96));
    let expires = now + TOKEN_LIFETIME;
    state.tokens.insert(
        token.clone(),
        IssuedToken {
            appid: appid.to_owned(),
            expires,
        },
    );
    if let Some(app) = state.apps.get_mut(appid) {
        app.stable_token = Some((token.clone(), expires));
    }
    (token, TOKEN_LIFETIME.as_secs())
}

#[derive(Deserialize)]
struct StableTokenIn {
    grant_type: String,
    appid: String,
    secret: String,
    #[serde(default)]
    force_refresh: bool,
}

#[post("/cgi-bin/stable_token")]
async fn stable_token(sandbox: web::Data<Sandbox>, body: web::Json<StableTokenIn>) -> HttpResponse {
    sandbox.delay().await;
    let body = body.into_inner();
    if sandbox.inject_error() {
        sandbox.record_call("stable_token", &body.appid, "errcode -1");
        return errcode(-1, "system error");
    }
    if body.grant_type != "client_credential" {
        return errcode(40002, "invalid grant_type");
    }
    if let Err(response) = check_app(&sandbox, &body.appid, &body.secret) {
        sandbox.record_call("stable_token", &body.appid, "refused");
        return response;
    }
    let (token, expires_in) = stable_token_for(&sandbox, &body.appid, body.force_refresh);
    sandbox.record_call(
        "stable_token",
        &body.appid,
        if body.force_refresh {
            "ok (forced)"
        } else {
            "ok"
        },
    );
    HttpResponse::Ok().json(json!({"access_token": token, "expires_in": expires_in}))
}

#[derive(Deserialize)]
struct ClassicTokenQuery {
    appid: String,
    secret: String,
}

#[get("/cgi-bin/token")]
async fn classic_token(
    sandbox: web::Data<Sandbox>,
    query: web::Query<ClassicTokenQuery>,
) -> HttpResponse {
    if let Err(response) = check_app(&sandbox, &query.appid, &query.secret) {
        return response;
    }
    let (token, expires_in) = stable_token_for(&sandbox, &query.appid, true);
    sandbox.record_call("token", &query.appid, "ok");
    HttpResponse::Ok().json(json!({"access_token": token, "expires_in": expires_in}))
}

#[derive(Deserialize)]
struct TokenQuery {
    access_token: String,
}

/// The appid an access token belongs to, or the errcode WeChat gives for it.
fn check_token(sandbox: &Sandbox, token: &str) -> Result<String, HttpResponse> {
    let state = sandbox.state();
    match state.tokens.get(token) {
        Some(issued) if issued.expires > Instant::now() => Ok(issued.appid.clone()),
        Some(_) => Err(errcode(42001, "access_token expired")),
        None => Err(errcode(
            40001,
            "invalid credential, access_token is invalid or not latest",
        )),
    }
}

/// Latency, then the access token check; a refusal is recorded in the call log.
async fn admit_token(sandbox: &Sandbox, api: &str, token: &str) -> Result<String, HttpResponse> {
    sandbox.delay().await;
    check_token(sandbox, token).inspect_err(|_| sandbox.record_call(api, "?", "invalid token"))
}

#[post("/cgi-bin/message/subscribe/send")]
async fn send_subscribe_message(
    sandbox: web::Data<Sandbox>,
    query: web::Query<TokenQuery>,
    body: web::Json<Value>,
) -> HttpResponse {
    let appid = match admit_token(&sandbox, "subscribe_send", &query.access_token).await {
        Ok(appid) => appid,
        Err(response) => return response,
    };
    let message = body.into_inner();
    let text = |key: &str| {
        message
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let answer = if text("touser").is_empty() {
        errcode(40003, "invalid openid")
    } else if text("template_id").is_empty() {
        errcode(40037, "invalid template_id")
    } else if !message.get("data").is_some_and(Value::is_object) {
        errcode(47003, "argument invalid! data is empty")
    } else if let Some(bad) = message["data"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, value)| value.get("value").and_then(Value::as_str).is_none())
    {
        errcode(
            47003,
            &format!("argument invalid! data.{}.value is empty", bad.0),
        )
    } else {
        sandbox
            .state()
            .subscribe_messages
            .push(json!({"appid": appid, "message": message}));
        HttpResponse::Ok()
            .json(json!({"errcode": 0, "errmsg": "ok", "msgid": sandbox.next_counter()}))
    };
    sandbox.record_call("subscribe_send", &appid, "done");
    answer
}

#[derive(Deserialize)]
struct PhoneIn {
    code: String,
}

#[post("/wxa/business/getuserphonenumber")]
async fn phone_number(
    sandbox: web::Data<Sandbox>,
    query: web::Query<TokenQuery>,
    body: web::Json<PhoneIn>,
) -> HttpResponse {
    let appid = match admit_token(&sandbox, "getuserphonenumber", &query.access_token).await {
        Ok(appid) => appid,
        Err(response) => return response,
    };
    let code = sandbox.state().phone_codes.remove(&body.code);
    let answer = match code {
        Some(code) if code.appid == appid && code.issued.elapsed() <= CODE_LIFETIME => {
            HttpResponse::Ok().json(json!({
                "errcode": 0, "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": code.phone, "purePhoneNumber": code.phone, "countryCode": 86,
                    "watermark": {"timestamp": chrono::Utc::now().timestamp(), "appid": appid}
                }
            }))
        }
        _ => errcode(40029, "invalid code"),
    };
    sandbox.record_call("getuserphonenumber", &appid, "done");
    answer
}

#[post("/wxa/sec/order/upload_shipping_info")]
async fn upload_shipping_info(
    sandbox: web::Data<Sandbox>,
    query: web::Query<TokenQuery>,
    body: web::Json<Value>,
) -> HttpResponse {
    let appid = match admit_token(&sandbox, "upload_shipping_info", &query.access_token).await {
        Ok(appid) => appid,
        Err(response) => return response,
    };
    let shipping = body.into_inner();
    let key = &shipping["order_key"];
    let paid = {
        let state = sandbox.state();
        state.orders.values().any(|order| {
            let matches = match key["order_number_type"].as_i64() {
                Some(2) => order.transaction_id.as_deref() == key["transaction_id"].as_str(),
                Some(1) => {
                    Some(order.mchid.as_str()) == key["mchid"].as_str()
                        && Some(order.out_trade_no.as_str()) == key["out_trade_no"].as_str()
                }
                _ => false,
            };
            matches && order.appid == appid && order.transaction_id.is_some()
        })
    };
    let list_len = shipping["shipping_list"].as_array().map_or(0, Vec::len);
    let answer = if !paid {
        errcode(10060001, "支付单不存在")
    } else if !(1..=15).contains(&list_len) {
        errcode(10060003, "shipping_list must have 1 to 15 items")
    } else {
        sandbox
            .state()
            .shipping_uploads
            .push(json!({"appid": appid, "shipping": shipping}));
        HttpResponse::Ok().json(json!({"errcode": 0, "errmsg": "ok"}))
    };
    sandbox.record_call("upload_shipping_info", &appid, "done");
    answer
}
