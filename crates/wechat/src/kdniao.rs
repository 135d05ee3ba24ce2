//! KDNiao (快递鸟): electronic waybills (RequestType 1007) and instant tracking (1002).
//!
//! Requests are form posts of `RequestData` (JSON), `EBusinessID`, `RequestType`, `DataSign`,
//! `DataType=2`, where `DataSign = base64(lowercase_hex(md5(RequestData + AppKey)))` — base64 of
//! the 32-character hex string, computed over the JSON before URL-encoding (the form encoding
//! then URL-encodes both).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::WechatError;

pub const REQUEST_TYPE_TRACK: &str = "1002";
pub const REQUEST_TYPE_WAYBILL: &str = "1007";

/// `base64(lowercase_hex(md5(request_data + app_key)))`, before URL-encoding.
pub fn data_sign(request_data: &str, app_key: &str) -> String {
    let digest = Md5::digest(format!("{request_data}{app_key}").as_bytes());
    STANDARD.encode(hex::encode(digest))
}

#[derive(Clone)]
pub struct KdniaoAccount {
    pub ebusiness_id: String,
    pub app_key: String,
    /// `https://api.kdniao.com`, or the sandbox.
    pub base_url: String,
}

impl std::fmt::Debug for KdniaoAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KdniaoAccount")
            .field("ebusiness_id", &self.ebusiness_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Party {
    pub name: String,
    pub mobile: String,
    pub province_name: String,
    pub city_name: String,
    pub exp_area_name: String,
    pub address: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Commodity {
    #[serde(rename = "GoodsName")]
    pub goods_name: String,
    #[serde(rename = "Goodsquantity")]
    pub goods_quantity: i64,
}

/// An electronic waybill request (1007), in KDNiao's PascalCase.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaybillRequest {
    pub order_code: String,
    pub shipper_code: String,
    /// 1 现付, 2 到付, 3 月结, 4 第三方
    pub pay_type: i64,
    pub exp_type: i64,
    pub sender: Party,
    pub receiver: Party,
    pub commodity: Vec<Commodity>,
    pub quantity: i64,
    pub is_return_print_template: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Waybill {
    #[serde(rename = "ShipperCode")]
    pub shipper_code: String,
    #[serde(rename = "LogisticCode")]
    pub logistic_code: String,
    #[serde(rename = "KDNOrderCode", default)]
    pub kdn_order_code: Option<String>,
    #[serde(rename = "MarkDestination", default)]
    pub mark_destination: Option<String>,
    /// The label as HTML, when a print template was asked for.
    #[serde(skip)]
    pub print_template: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trace {
    #[serde(rename = "AcceptTime")]
    pub accept_time: String,
    #[serde(rename = "AcceptStation")]
    pub accept_station: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tracking {
    /// `0` no trace, `1` collected, `2` in transit, `3` signed, `4` problem.
    #[serde(rename = "State")]
    pub state: String,
    #[serde(rename = "Traces", default)]
    pub traces: Vec<Trace>,
}

#[derive(Clone, Debug)]
pub struct KdniaoClient {
    http: reqwest::Client,
}

impl KdniaoClient {
    pub fn new(http: reqwest::Client) -> Self {
        KdniaoClient { http }
    }

    async fn call(
        &self,
        account: &KdniaoAccount,
        path: &str,
        request_type: &str,
        request_data: &str,
    ) -> Result<Value, WechatError> {
        let sign = data_sign(request_data, &account.app_key);
        let response = self
            .http
            .post(format!("{}{path}", account.base_url))
            .form(&[
                ("RequestData", request_data),
                ("EBusinessID", account.ebusiness_id.as_str()),
                ("RequestType", request_type),
                ("DataSign", sign.as_str()),
                ("DataType", "2"),
            ])
            .send()
            .await
            .map_err(|err| WechatError::Transport(err.to_string()))?;
        if !response.status().is_success() {
            return Err(WechatError::Transport(format!(
                "KDNiao answered HTTP {}",
                response.status()
            )));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|err| WechatError::BadResponse(err.to_string()))?;
        if body.get("Success").and_then(Value::as_bool) != Some(true) {
            let code = body
                .get("ResultCode")
                .and_then(Value::as_str)
                .unwrap_or("105");
            let reason = body
                .get("Reason")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            return Err(WechatError::Api {
                errcode: code.parse().unwrap_or(105),
                errmsg: format!("KDNiao: {reason}"),
            });
        }
        Ok(body)
    }

    /// Asks for an electronic waybill (1007); the label comes back as HTML.
    pub async fn create_waybill(
        &self,
        account: &KdniaoAccount,
        request: &WaybillRequest,
    ) -> Result<Waybill, WechatError> {
        let request_data = serde_json::to_string(request)
            .map_err(|err| WechatError::BadResponse(err.to_string()))?;
        let body = self
            .call(
                account,
                "/api/EOrderService",
                REQUEST_TYPE_WAYBILL,
                &request_data,
            )
            .await?;
        let mut waybill: Waybill =
            serde_json::from_value(body.get("Order").cloned().unwrap_or_default())
                .map_err(|err| WechatError::BadResponse(err.to_string()))?;
        waybill.print_template = body
            .get("PrintTemplate")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(waybill)
    }

    /// The traces of a parcel (1002).
    pub async fn track(
        &self,
        account: &KdniaoAccount,
        shipper_code: &str,
        logistic_code: &str,
    ) -> Result<Tracking, WechatError> {
        self.track_parcel(account, shipper_code, logistic_code, "")
            .await
    }

    /// The traces of a parcel (1002), with `CustomerName` when not empty: the last four digits
    /// of the receiver's or sender's phone, which SF (顺丰) requires.
    pub async fn track_parcel(
        &self,
        account: &KdniaoAccount,
        shipper_code: &str,
        logistic_code: &str,
        customer_name: &str,
    ) -> Result<Tracking, WechatError> {
        let mut request = serde_json::json!({
            "OrderCode": "", "ShipperCode": shipper_code, "LogisticCode": logistic_code
        });
        if !customer_name.is_empty() {
            request["CustomerName"] = Value::String(customer_name.to_owned());
        }
        let request_data = request.to_string();
        let body = self
            .call(
                account,
                "/Ebusiness/EbusinessOrderHandle.aspx",
                REQUEST_TYPE_TRACK,
                &request_data,
            )
            .await?;
        serde_json::from_value(body).map_err(|err| WechatError::BadResponse(err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// V10: the official demo's formula and sample AppKey.
    #[test]
    fn data_sign_matches_the_documented_vector() {
        let request_data = "{'OrderCode':'','ShipperCode':'SF','LogisticCode':'589707398027'}";
        let app_key = "518a73d8-1f7f-441a-b644-33e77b49d846";
        assert_eq!(
            hex::encode(Md5::digest(format!("{request_data}{app_key}").as_bytes())),
            "515319c7429c722252b0cae3026aa2f1"
        );
        assert_eq!(
            data_sign(request_data, app_key),
            "NTE1MzE5Yzc0MjljNzIyMjUyYjBjYWUzMDI2YWEyZjE="
        );
    }
}
