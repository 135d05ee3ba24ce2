//! KDNiao: form posts with `DataSign` verified against the account's AppKey.

use std::time::Instant;

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use serde_json::{Value, json};
use wechat::kdniao::data_sign;

use crate::Sandbox;
use crate::pay::digits;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_waybill).service(track);
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KdniaoForm {
    request_data: String,
    #[serde(rename = "EBusinessID")]
    ebusiness_id: String,
    request_type: String,
    data_sign: String,
}

fn failure(ebusiness_id: &str, code: &str, reason: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"EBusinessID": ebusiness_id, "Success": false, "ResultCode": code, "Reason": reason}))
}

/// Checks the account and the signature; the parsed RequestData.
fn admit(sandbox: &Sandbox, form: &KdniaoForm, request_type: &str) -> Result<Value, HttpResponse> {
    if form.request_type != request_type {
        return Err(failure(&form.ebusiness_id, "101", "RequestType 不正确"));
    }
    let app_key = sandbox
        .state()
        .kdniao_accounts
        .get(&form.ebusiness_id)
        .cloned();
    let Some(app_key) = app_key else {
        return Err(failure(&form.ebusiness_id, "104", "用户不存在"));
    };
    if data_sign(&form.request_data, &app_key) != form.data_sign {
        sandbox.record_call("kdniao", &form.ebusiness_id, "102 sign");
        return Err(failure(&form.ebusiness_id, "102", "签名验证失败"));
    }
    serde_json::from_str(&form.request_data)
        .map_err(|_| failure(&form.ebusiness_id, "401", "RequestData 格式错误"))
}

#[post("/kdniao/api/EOrderService")]
async fn create_waybill(sandbox: web::Data<Sandbox>, form: web::Form<KdniaoForm>) -> HttpResponse {
    let form = form.into_inner();
    let request = match admit(&sandbox, &form, "1007") {
        Ok(request) => request,
        Err(response) => return response,
    };
    let shipper = request["ShipperCode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let order_code = request["OrderCode"].as_str().unwrap_or_default().to_owned();
    if shipper.is_empty()
        || request["Receiver"]["Name"]
            .as_str()
            .is_none_or(str::is_empty)
    {
        return failure(
            &form.ebusiness_id,
            "101",
            "缺少必要参数 ShipperCode/Receiver",
        );
    }
    let logistic_code = format!("SIM{}", digits(12));
    sandbox
        .state()
        .waybills
        .insert(logistic_code.clone(), (shipper.clone(), Instant::now()));
    sandbox.record_call("kdniao.waybill", &form.ebusiness_id, "100");
    let receiver = request["Receiver"]["Name"].as_str().unwrap_or_default();
    HttpResponse::Ok().json(json!({
        "EBusinessID": form.ebusiness_id, "Success": true, "ResultCode": "100", "Reason": "成功",
        "UniquerRequestNumber": uuid::Uuid::new_v4().to_string(),
        "Order": {"OrderCode": order_code, "ShipperCode": shipper, "LogisticCode": logistic_code,
                  "MarkDestination": "沙箱-01", "KDNOrderCode": format!("KDN{}", digits(14))},
        "PrintTemplate": format!("<html><body><h1>{shipper} {logistic_code}</h1><p>收件人 {receiver}</p></body></html>"),
        "SubCount": 0, "SubOrders": [], "SubPrintTemplates": [],
    }))
}

#[post("/kdniao/Ebusiness/EbusinessOrderHandle.aspx")]
async fn track(sandbox: web::Data<Sandbox>, form: web::Form<KdniaoForm>) -> HttpResponse {
    let form = form.into_inner();
    let request = match admit(&sandbox, &form, "1002") {
        Ok(request) => request,
        Err(response) => return response,
    };
    let logistic_code = request["LogisticCode"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let known = sandbox.state().waybills.get(&logistic_code).cloned();
    sandbox.record_call("kdniao.track", &form.ebusiness_id, "100");
    let now = chrono::Utc::now();
    let format = |minutes: i64| {
        (now - chrono::Duration::minutes(minutes))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let (state, traces) = match known {
        Some(_) => (
            "2",
            json!([
                {"AcceptTime": format(90), "AcceptStation": "【沙箱】快件已揽收"},
                {"AcceptTime": format(30), "AcceptStation": "【沙箱】快件运输中"},
            ]),
        ),
        None => ("0", json!([])),
    };
    HttpResponse::Ok().json(json!({
        "EBusinessID": form.ebusiness_id, "OrderCode": "", "ShipperCode": request["ShipperCode"],
        "LogisticCode": logistic_code, "Success": true, "State": state, "Traces": traces,
    }))
}
