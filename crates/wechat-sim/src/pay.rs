//! WeChat Pay API v3 (direct merchant): every request's signature is checked against the
//! merchant's registered key, every answer is signed with the merchant's WeChat Pay key.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde_json::{Value, json};
use wechat::pay_crypto::{Authorization, response_message, timestamp_is_fresh};

use crate::Sandbox;
use crate::notify::{self, Notification};
use crate::state::{PREPAY_LIFETIME, SimOrder, SimRefund, TradeState, china_time, random_hex};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(jsapi_prepay)
        .service(query_by_out_trade_no)
        .service(query_by_transaction_id)
        .service(close_order)
        .service(create_refund)
        .service(query_refund);
}

/// An answer signed as WeChat Pay signs it: `ts\nnonce\nbody\n` with the merchant's WeChat Pay key.
fn signed(sandbox: &Sandbox, mchid: &str, status: StatusCode, body: Vec<u8>) -> HttpResponse {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let nonce = random_hex(32);
    let mut builder = HttpResponse::build(status);
    builder.insert_header(("Request-ID", random_hex(32).to_uppercase()));
    {
        let state = sandbox.state();
        if let Some(merchant) = state.merchants.get(mchid) {
            let signature = merchant
                .platform_key
                .sign(&response_message(&timestamp, &nonce, &body));
            builder
                .insert_header(("Wechatpay-Timestamp", timestamp))
                .insert_header(("Wechatpay-Nonce", nonce))
                .insert_header(("Wechatpay-Serial", merchant.public_key_id.clone()))
                .insert_header(("Wechatpay-Signature", signature))
                .insert_header(("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"));
        }
    }
    if body.is_empty() {
        builder.finish()
    } else {
        builder.content_type("application/json").body(body)
    }
}

pub(crate) fn error(
    sandbox: &Sandbox,
    mchid: &str,
    status: StatusCode,
    code: &str,
    message: &str,
) -> HttpResponse {
    let body = json!({"code": code, "message": message})
        .to_string()
        .into_bytes();
    signed(sandbox, mchid, status, body)
}

pub(crate) fn ok_json(sandbox: &Sandbox, mchid: &str, value: &Value) -> HttpResponse {
    signed(
        sandbox,
        mchid,
        StatusCode::OK,
        value.to_string().into_bytes(),
    )
}

/// Checks the `Authorization` header over the raw body; the caller's mchid, or a 401.
pub(crate) fn authenticate(
    sandbox: &Sandbox,
    req: &HttpRequest,
    body: &[u8],
) -> Result<String, HttpResponse> {
    let refuse = |mchid: &str, why: &str| {
        sandbox.record_call("pay.auth", mchid, format!("SIGN_ERROR: {why}"));
        error(
            sandbox,
            mchid,
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            &format!("签名错误: {why}"),
        )
    };
    let header = req
        .headers()
        .get("Authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let Some(authorization) = Authorization::parse(header) else {
        return Err(refuse("", "malformed or missing Authorization"));
    };
    let mchid = authorization.mchid.clone();
    let canonical_url = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let state = sandbox.state();
    let Some(merchant) = state.merchants.get(&mchid) else {
        drop(state);
        return Err(refuse(&mchid, "unknown mchid"));
    };
    let verdict = if merchant.cert_serial != authorization.serial_no.to_uppercase() {
        Err("serial_no is not the merchant's certificate")
    } else if !timestamp_is_fresh(authorization.timestamp, chrono::Utc::now().timestamp()) {
        Err("timestamp more than 5 minutes off")
    } else if !authorization.verify(
        &merchant.merchant_key,
        req.method().as_str(),
        &canonical_url,
        body,
    ) {
        Err("signature does not verify")
    } else {
        Ok(())
    };
    drop(state);
    verdict
        .map(|()| mchid.clone())
        .map_err(|why| refuse(&mchid, why))
}

/// Latency, injected errors and authentication, common to every v3 call.
pub(crate) async fn admit(
    sandbox: &Sandbox,
    api: &str,
    req: &HttpRequest,
    body: &[u8],
) -> Result<String, HttpResponse> {
    sandbox.delay().await;
    let mchid = authenticate(sandbox, req, body)?;
    if sandbox.inject_error() {
        sandbox.record_call(api, &mchid, "SYSTEM_ERROR (injected)");
        return Err(error(
            sandbox,
            &mchid,
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_ERROR",
            "系统错误",
        ));
    }
    Ok(mchid)
}

fn transaction_json(order: &SimOrder) -> Value {
    let mut transaction = json!({
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "trade_state": order.state,
        "trade_state_desc": order.state.describe(),
        "payer": {"openid": order.openid},
        "amount": {"total": order.total, "currency": "CNY"},
    });
    if let Some(attach) = &order.attach {
        transaction["attach"] = json!(attach);
    }
    if let (Some(transaction_id), Some(success_time)) = (&order.transaction_id, &order.success_time)
    {
        transaction["transaction_id"] = json!(transaction_id);
        transaction["trade_type"] = json!("JSAPI");
        transaction["bank_type"] = json!("OTHERS");
        transaction["success_time"] = json!(success_time);
        transaction["amount"] = json!({"total": order.total, "payer_total": order.total, "currency": "CNY", "payer_currency": "CNY"});
    }
    transaction
}

fn out_trade_no_is_valid(no: &str) -> bool {
    (6..=32).contains(&no.len())
        && no
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '|' | '*'))
}

#[post("/v3/pay/transactions/jsapi")]
async fn jsapi_prepay(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mchid = match admit(&sandbox, "pay.jsapi", &req, &body).await {
        Ok(mchid) => mchid,
        Err(response) => return response,
    };
    let param_error = |message: &str| {
        error(
            &sandbox,
            &mchid,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            message,
        )
    };
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return param_error("请求体不是合法的JSON");
    };
    let text = |key: &str| {
        input
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (appid, out_trade_no, notify_url, description) = (
        text("appid"),
        text("out_trade_no"),
        text("notify_url"),
        text("description"),
    );
    let total = input["amount"]["total"].as_i64().unwrap_or(0);
    let openid = input["payer"]["openid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if text("mchid") != mchid {
        return param_error("mchid 与请求头中的商户号不一致");
    }
    if appid.is_empty() || description.is_empty() || openid.is_empty() || notify_url.is_empty() {
        return param_error("缺少必填参数 appid/description/notify_url/payer.openid");
    }
    if !out_trade_no_is_valid(&out_trade_no) {
        return param_error("out_trade_no 须为6-32位数字、字母或_-|*");
    }
    if total < 1 {
        return param_error("amount.total 须大于0");
    }
    if sandbox.settings().require_https_notify_url && !notify_url.starts_with("https://") {
        return param_error("notify_url 须为https地址");
    }
    let fingerprint = json!({"appid": appid, "description": description, "notify_url": notify_url,
        "total": total, "openid": openid, "attach": input.get("attach"), "time_expire": input.get("time_expire")});
    let mut state = sandbox.state();
    let bound = state
        .merchants
        .get(&mchid)
        .is_some_and(|m| m.appids.contains(&appid));
    if !bound {
        drop(state);
        sandbox.record_call("pay.jsapi", &mchid, "APPID_MCHID_NOT_MATCH");
        return error(
            &sandbox,
            &mchid,
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mch_id不匹配",
        );
    }
    let key = (mchid.clone(), out_trade_no.clone());
    if let Some(order) = state.orders.get_mut(&key) {
        let refusal = match order.state {
            TradeState::Success | TradeState::Refund => {
                Some((StatusCode::FORBIDDEN, "ORDERPAID", "该订单已支付"))
            }
            TradeState::Closed => Some((StatusCode::BAD_REQUEST, "ORDER_CLOSED", "该订单已关闭")),
            _ if order.fingerprint != fingerprint => Some((
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "请求重入时，参数与首次请求时不一致",
            )),
            _ => None,
        };
        if let Some((status, code, message)) = refusal {
            drop(state);
            sandbox.record_call("pay.jsapi", &mchid, code);
            return error(&sandbox, &mchid, status, code, message);
        }
        if order.prepay_issued.elapsed() > PREPAY_LIFETIME {
            order.prepay_id = new_prepay_id();
            order.prepay_issued = Instant::now();
        }
        let prepay_id = order.prepay_id.clone();
        state.prepay_index.insert(prepay_id.clone(), key);
        drop(state);
        sandbox.record_call("pay.jsapi", &mchid, "ok (same prepay)");
        return ok_json(&sandbox, &mchid, &json!({"prepay_id": prepay_id}));
    }
    let prepay_id = new_prepay_id();
    state.orders.insert(
        key.clone(),
        SimOrder {
            mchid: mchid.clone(),
            appid,
            out_trade_no,
            description,
            openid,
            total,
            notify_url,
            attach: input
                .get("attach")
                .and_then(Value::as_str)
                .map(str::to_owned),
            fingerprint,
            prepay_id: prepay_id.clone(),
            prepay_issued: Instant::now(),
            state: TradeState::NotPay,
            transaction_id: None,
            success_time: None,
            refunded: 0,
        },
    );
    state.prepay_index.insert(prepay_id.clone(), key);
    drop(state);
    sandbox.record_call("pay.jsapi", &mchid, "ok");
    ok_json(&sandbox, &mchid, &json!({"prepay_id": prepay_id}))
}

fn new_prepay_id() -> String {
    format!(
        "wx{}{}",
        chrono::Utc::now().format("%d%H%M%S%3f"),
        random_hex(22)
    )
}

fn query_mchid(req: &HttpRequest) -> Option<String> {
    req.query_string()
        .split('&')
        .find_map(|pair| pair.strip_prefix("mchid="))
        .map(str::to_owned)
}

async fn query_order(
    sandbox: &Sandbox,
    req: &HttpRequest,
    find: impl Fn(&SimOrder) -> bool,
) -> HttpResponse {
    let mchid = match admit(sandbox, "pay.query", req, b"").await {
        Ok(mchid) => mchid,
        Err(response) => return response,
    };
    if query_mchid(req).as_deref() != Some(mchid.as_str()) {
        return error(
            sandbox,
            &mchid,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "mchid 参数缺失或与请求头不一致",
        );
    }
    let found = {
        let state = sandbox.state();
        state
            .orders
            .values()
            .find(|order| order.mchid == mchid && find(order))
            .map(transaction_json)
    };
    sandbox.record_call(
        "pay.query",
        &mchid,
        if found.is_some() {
            "ok"
        } else {
            "ORDER_NOT_EXIST"
        },
    );
    match found {
        Some(transaction) => ok_json(sandbox, &mchid, &transaction),
        None => error(
            sandbox,
            &mchid,
            StatusCode::NOT_FOUND,
            "ORDER_NOT_EXIST",
            "订单不存在",
        ),
    }
}

#[get("/v3/pay/transactions/out-trade-no/{out_trade_no}")]
async fn query_by_out_trade_no(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let out_trade_no = path.into_inner();
    query_order(&sandbox, &req, |order| order.out_trade_no == out_trade_no).await
}

#[get("/v3/pay/transactions/id/{transaction_id}")]
async fn query_by_transaction_id(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let transaction_id = path.into_inner();
    query_order(&sandbox, &req, |order| {
        order.transaction_id.as_deref() == Some(transaction_id.as_str())
    })
    .await
}

#[post("/v3/pay/transactions/out-trade-no/{out_trade_no}/close")]
async fn close_order(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let mchid = match admit(&sandbox, "pay.close", &req, &body).await {
        Ok(mchid) => mchid,
        Err(response) => return response,
    };
    let body_mchid = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["mchid"].as_str().map(str::to_owned));
    if body_mchid.as_deref() != Some(mchid.as_str()) {
        return error(
            &sandbox,
            &mchid,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "mchid 缺失或不一致",
        );
    }
    let key = (mchid.clone(), path.into_inner());
    let outcome = {
        let mut state = sandbox.state();
        match state.orders.get_mut(&key) {
            None => Err((StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在")),
            Some(order) if matches!(order.state, TradeState::Success | TradeState::Refund) => {
                Err((StatusCode::FORBIDDEN, "ORDERPAID", "订单已支付，请发起退款"))
            }
            Some(order) => {
                order.state = TradeState::Closed;
                Ok(())
            }
        }
    };
    match outcome {
        Ok(()) => {
            sandbox.record_call("pay.close", &mchid, "ok");
            signed(&sandbox, &mchid, StatusCode::NO_CONTENT, Vec::new())
        }
        Err((status, code, message)) => {
            sandbox.record_call("pay.close", &mchid, code);
            error(&sandbox, &mchid, status, code, message)
        }
    }
}

fn refund_json(refund: &SimRefund) -> Value {
    let mut value = json!({
        "refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id, "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
        "create_time": refund.create_time, "status": refund.status, "funds_account": "AVAILABLE",
        "amount": {"total": refund.total, "refund": refund.refund, "payer_total": refund.total,
                   "payer_refund": refund.refund, "settlement_refund": refund.refund,
                   "settlement_total": refund.total, "discount_refund": 0, "currency": "CNY", "refund_fee": 0},
    });
    if let Some(success_time) = &refund.success_time {
        value["success_time"] = json!(success_time);
    }
    value
}

#[post("/v3/refund/domestic/refunds")]
async fn create_refund(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mchid = match admit(&sandbox, "pay.refund", &req, &body).await {
        Ok(mchid) => mchid,
        Err(response) => return response,
    };
    let fail = |status, code: &str, message: &str| {
        sandbox.record_call("pay.refund", &mchid, code);
        error(&sandbox, &mchid, status, code, message)
    };
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return fail(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "请求体不是合法的JSON",
        );
    };
    let out_refund_no = input["out_refund_no"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refund_amount = input["amount"]["refund"].as_i64().unwrap_or(0);
    let total = input["amount"]["total"].as_i64().unwrap_or(0);
    if out_refund_no.is_empty() || refund_amount < 1 {
        return fail(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "out_refund_no 与 amount.refund 必填",
        );
    }
    let mut state = sandbox.state();
    if let Some(existing) = state.refunds.get(&(mchid.clone(), out_refund_no.clone())) {
        // The same out_refund_no refunds once; a retry gets the same refund back.
        let same = existing.refund == refund_amount;
        let answer = refund_json(existing);
        drop(state);
        return if same {
            sandbox.record_call("pay.refund", &mchid, "ok (same refund)");
            ok_json(&sandbox, &mchid, &answer)
        } else {
            fail(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "请求重入时，参数与首次请求时不一致",
            )
        };
    }
    let by_trade = input["out_trade_no"].as_str();
    let by_transaction = input["transaction_id"].as_str();
    let Some(order) = state.orders.values_mut().find(|order| {
        order.mchid == mchid
            && (by_trade == Some(order.out_trade_no.as_str())
                || (by_transaction.is_some() && by_transaction == order.transaction_id.as_deref()))
    }) else {
        drop(state);
        return fail(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在");
    };
    if !matches!(order.state, TradeState::Success | TradeState::Refund) {
        drop(state);
        return fail(
            StatusCode::FORBIDDEN,
            "INVALID_REQUEST",
            "订单未支付，不能退款",
        );
    }
    if total != order.total {
        drop(state);
        return fail(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "amount.total 与订单金额不一致",
        );
    }
    if order.refunded + refund_amount > order.total {
        drop(state);
        return fail(
            StatusCode::FORBIDDEN,
            "NOT_ENOUGH",
            "退款金额超过订单可退金额",
        );
    }
    order.refunded += refund_amount;
    order.state = TradeState::Refund;
    let refund = SimRefund {
        out_refund_no: out_refund_no.clone(),
        refund_id: format!("50{}", digits(27)),
        out_trade_no: order.out_trade_no.clone(),
        transaction_id: order.transaction_id.clone().unwrap_or_default(),
        refund: refund_amount,
        total,
        status: "PROCESSING",
        create_time: china_time(chrono::Utc::now()),
        success_time: None,
        notify_url: input["notify_url"].as_str().map(str::to_owned),
    };
    let answer = refund_json(&refund);
    state
        .refunds
        .insert((mchid.clone(), out_refund_no.clone()), refund);
    drop(state);
    sandbox.record_call("pay.refund", &mchid, "ok");
    let delay = Duration::from_millis(sandbox.settings().refund_delay_ms);
    let sandbox_for_task = sandbox.clone().into_inner();
    let mchid_for_task = mchid.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        complete_refund(&sandbox_for_task, &mchid_for_task, &out_refund_no).await;
    });
    ok_json(&sandbox, &mchid, &answer)
}

/// PROCESSING → SUCCESS after the configured delay, then the REFUND.SUCCESS notification.
async fn complete_refund(sandbox: &std::sync::Arc<Sandbox>, mchid: &str, out_refund_no: &str) {
    let notification = {
        let mut state = sandbox.state();
        let Some(refund) = state
            .refunds
            .get_mut(&(mchid.to_owned(), out_refund_no.to_owned()))
        else {
            return;
        };
        refund.status = "SUCCESS";
        let success_time = china_time(chrono::Utc::now());
        refund.success_time = Some(success_time.clone());
        let Some(url) = refund.notify_url.clone() else {
            return;
        };
        let plaintext = json!({
            "mchid": mchid, "transaction_id": refund.transaction_id, "out_trade_no": refund.out_trade_no,
            "refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no, "refund_status": "SUCCESS",
            "success_time": success_time, "user_received_account": "支付用户零钱",
            "amount": {"total": refund.total, "refund": refund.refund, "payer_total": refund.total, "payer_refund": refund.refund},
        });
        Notification {
            mchid: mchid.to_owned(),
            url,
            event_type: "REFUND.SUCCESS",
            summary: "退款成功",
            original_type: "refund",
            associated_data: "refund",
            plaintext,
        }
    };
    notify::deliver(sandbox.clone(), notification).await;
}

#[get("/v3/refund/domestic/refunds/{out_refund_no}")]
async fn query_refund(
    sandbox: web::Data<Sandbox>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mchid = match admit(&sandbox, "pay.refund_query", &req, b"").await {
        Ok(mchid) => mchid,
        Err(response) => return response,
    };
    let found = sandbox
        .state()
        .refunds
        .get(&(mchid.clone(), path.into_inner()))
        .map(refund_json);
    sandbox.record_call(
        "pay.refund_query",
        &mchid,
        if found.is_some() {
            "ok"
        } else {
            "RESOURCE_NOT_EXISTS"
        },
    );
    match found {
        Some(refund) => ok_json(&sandbox, &mchid, &refund),
        None => error(
            &sandbox,
            &mchid,
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "退款单不存在",
        ),
    }
}

/// `len` random decimal digits.
pub(crate) fn digits(len: usize) -> String {
    infra::token::random_bytes(len)
        .into_iter()
        .map(|byte| char::from(b'0' + byte % 10))
        .collect()
}

/// The user taps Pay: NOTPAY → SUCCESS (or PAYERROR), then the payment notification.
pub(crate) async fn user_pays(
    sandbox: std::sync::Arc<Sandbox>,
    prepay_id: &str,
    succeed: bool,
) -> Result<Value, String> {
    let notification = {
        let mut state = sandbox.state();
        let key = state
            .prepay_index
            .get(prepay_id)
            .cloned()
            .ok_or_else(|| "unknown prepay_id".to_owned())?;
        let order = state
            .orders
            .get_mut(&key)
            .ok_or_else(|| "unknown order".to_owned())?;
        if order.prepay_id != prepay_id || order.prepay_issued.elapsed() > PREPAY_LIFETIME {
            return Err("the prepay_id has expired".to_owned());
        }
        if order.state != TradeState::NotPay && order.state != TradeState::PayError {
            return Err(format!("the order is {:?}, not payable", order.state));
        }
        if !succeed {
            order.state = TradeState::PayError;
            return Ok(transaction_json(order));
        }
        order.state = TradeState::Success;
        order.transaction_id = Some(format!("42{}", digits(26)));
        order.success_time = Some(china_time(chrono::Utc::now()));
        let transaction = transaction_json(order);
        (
            Notification {
                mchid: order.mchid.clone(),
                url: order.notify_url.clone(),
                event_type: "TRANSACTION.SUCCESS",
                summary: "支付成功",
                original_type: "transaction",
                associated_data: "transaction",
                plaintext: transaction.clone(),
            },
            transaction,
        )
    };
    let (notification, transaction) = notification;
    tokio::spawn(notify::deliver(sandbox, notification));
    Ok(transaction)
}
