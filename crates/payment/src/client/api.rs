//! The WeChat Pay v3 calls. Request bodies are the SDK's models (`JsapiParams`, `RefundsParams`)
//! serialised the way the SDK does; they are sent by our own client, because the SDK's `pay()`
//! and `refunds()` return only the parsed body — the signature headers are dropped, so their
//! answers could not be verified — and set no timeout. Query and close the SDK cannot do.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};
use wechat_pay_rust_sdk::model::{
    AmountInfo, JsapiParams, ParamsTrait, PayerInfo, RefundsAmountParams, RefundsParams,
};
use wechat_pay_rust_sdk::pay::WechatPayTrait;

use super::PayClient;
use crate::PaymentError;
use crate::model::{PaymentRequest, RequestPaymentParams};

/// WeChat's "Transaction" object (query and payment notification). Every field but the
/// identifiers may be missing (an unpaid order has few; `attach` only when one was sent).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Transaction {
    pub appid: Option<String>,
    pub mchid: Option<String>,
    pub out_trade_no: String,
    pub transaction_id: Option<String>,
    pub trade_type: Option<String>,
    pub trade_state: String,
    pub trade_state_desc: Option<String>,
    pub bank_type: Option<String>,
    pub attach: Option<String>,
    pub success_time: Option<String>,
    pub amount: Option<TransactionAmount>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct TransactionAmount {
    pub total: Option<i64>,
    pub payer_total: Option<i64>,
    pub currency: Option<String>,
}

/// WeChat's "Refund" object (refund answer and refund notification, where the status is
/// `refund_status`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct RefundAnswer {
    pub mchid: Option<String>,
    pub refund_id: Option<String>,
    pub out_refund_no: String,
    pub transaction_id: Option<String>,
    pub out_trade_no: Option<String>,
    #[serde(alias = "refund_status")]
    pub status: Option<String>,
    pub success_time: Option<String>,
}

pub(crate) fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
}

fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, PaymentError> {
    serde_json::from_slice(body).map_err(|err| PaymentError::BadResponse(err.to_string()))
}

fn fen_i32(field: &'static str, fen: i64) -> Result<i32, PaymentError> {
    i32::try_from(fen).map_err(|_| PaymentError::invalid(field, "is too large for WeChat Pay"))
}

impl PayClient {
    /// `POST /v3/pay/transactions/jsapi` → the prepay_id.
    pub async fn jsapi_prepay(&self, request: &PaymentRequest) -> Result<String, PaymentError> {
        let params = JsapiParams {
            description: request.description.clone(),
            out_trade_no: request.out_trade_no.clone(),
            amount: AmountInfo {
                total: fen_i32("amount_fen", request.amount_fen)?,
            },
            payer: PayerInfo {
                openid: request.payer_openid.clone(),
            },
            attach: None,
            detail: None,
            time_expire: request.expires_at.map(|at| {
                at.with_timezone(&crate::china_day::china_offset())
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
            }),
            scene_info: None,
        };
        // As the SDK's `pay()` does: its params plus appid, mchid and notify_url.
        let mut body: Map<String, Value> = serde_json::from_str(&params.to_json())
            .map_err(|err| PaymentError::BadResponse(err.to_string()))?;
        body.insert("appid".to_owned(), self.appid.clone().into());
        body.insert("mchid".to_owned(), self.mch_id.clone().into());
        body.insert("notify_url".to_owned(), request.notify_url.clone().into());
        let body = Value::Object(body).to_string();
        let answer = self
            .call(Method::POST, "/v3/pay/transactions/jsapi", Some(&body))
            .await?;
        #[derive(Deserialize)]
        struct Prepay {
            prepay_id: Option<String>,
        }
        json::<Prepay>(&answer.body)?
            .prepay_id
            .ok_or_else(|| PaymentError::BadResponse("no prepay_id".to_owned()))
    }

    /// The `wx.requestPayment` parameters for a prepay, signed now (the SDK's sign data).
    pub fn request_payment_params(&self, prepay_id: &str) -> RequestPaymentParams {
        let data = self.sdk.mut_sign_data("prepay_id=", prepay_id);
        RequestPaymentParams {
            time_stamp: data.timestamp,
            nonce_str: data.nonce_str,
            package: data.package,
            sign_type: data.sign_type,
            pay_sign: data.pay_sign,
            prepay_id: prepay_id.to_owned(),
        }
    }

    /// `GET /v3/pay/transactions/out-trade-no/{no}?mchid=…`.
    pub async fn query_by_out_trade_no(
        &self,
        out_trade_no: &str,
    ) -> Result<Transaction, PaymentError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
            self.mch_id
        );
        let answer = self.call(Method::GET, &path, None).await?;
        json(&answer.body)
    }

    /// `POST /v3/pay/transactions/out-trade-no/{no}/close` → 204, signed, empty.
    pub async fn close(&self, out_trade_no: &str) -> Result<(), PaymentError> {
        let path = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close");
        let body = serde_json::json!({ "mchid": self.mch_id }).to_string();
        self.call(Method::POST, &path, Some(&body)).await?;
        Ok(())
    }

    /// `GET /v3/refund/domestic/refunds/{out_refund_no}` (the SDK has no refund query).
    pub async fn query_refund(&self, out_refund_no: &str) -> Result<RefundAnswer, PaymentError> {
        let path = format!("/v3/refund/domestic/refunds/{out_refund_no}");
        let answer = self.call(Method::GET, &path, None).await?;
        json(&answer.body)
    }

    /// `POST /v3/refund/domestic/refunds`.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        amount_fen: i64,
        total_fen: i64,
        reason: Option<&str>,
        notify_url: Option<&str>,
    ) -> Result<RefundAnswer, PaymentError> {
        let params = RefundsParams {
            transaction_id: None,
            out_trade_no: Some(out_trade_no.to_owned()),
            out_refund_no: out_refund_no.to_owned(),
            reason: reason.map(str::to_owned),
            notify_url: notify_url.map(str::to_owned),
            funds_account: None,
            amount: RefundsAmountParams {
                refund: fen_i32("amount_fen", amount_fen)?,
                total: fen_i32("total_fen", total_fen)?,
                currency: "CNY".to_owned(),
                from: None,
            },
            goods_detail: None,
        };
        let answer = self
            .call(
                Method::POST,
                "/v3/refund/domestic/refunds",
                Some(&params.to_json()),
            )
            .await?;
        json(&answer.body)
    }
}

/// WeChat's answer to a trade bill request.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub(crate) struct BillLink {
    pub hash_type: String,
    pub hash_value: String,
    pub download_url: String,
}

impl PayClient {
    /// `GET /v3/bill/tradebill?bill_date=…` (verified like every answer), then the file from its
    /// download URL (same host only), checked against the SHA1 the signed answer gave. `None`
    /// when WeChat has no bill for the day (`NO_STATEMENT_EXIST`: nothing happened).
    pub async fn trade_bill(&self, day: chrono::NaiveDate) -> Result<Option<String>, PaymentError> {
        let path = format!(
            "/v3/bill/tradebill?bill_date={}&bill_type=ALL",
            day.format("%Y-%m-%d")
        );
        let answer = match self.call(Method::GET, &path, None).await {
            Ok(answer) => answer,
            Err(PaymentError::WechatRefused { code, .. }) if code == "NO_STATEMENT_EXIST" => {
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        let link: BillLink = json(&answer.body)?;
        if link.hash_type != "SHA1" {
            return Err(PaymentError::BadResponse(format!(
                "unexpected bill hash type {}",
                link.hash_type
            )));
        }
        let Some(download_path) = self.path_on_host(&link.download_url) else {
            return Err(PaymentError::UnverifiedResponse(
                "the bill's download URL is not on the WeChat Pay host",
            ));
        };
        let file = self.download(download_path).await?;
        let digest = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(&file));
        if !digest.eq_ignore_ascii_case(link.hash_value.trim()) {
            return Err(PaymentError::UnverifiedResponse(
                "the bill file does not match its SHA1",
            ));
        }
        String::from_utf8(file)
            .map(Some)
            .map_err(|_| PaymentError::BadResponse("the bill is not UTF-8".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_without_attach_or_amount_details_parses() {
        let transaction: Transaction = serde_json::from_str(
            r#"{"appid":"wx1","mchid":"1900000109","out_trade_no":"T1","trade_state":"NOTPAY"}"#,
        )
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(transaction.trade_state, "NOTPAY");
        assert_eq!(transaction.attach, None);
        assert_eq!(transaction.amount, None);
    }

    #[test]
    fn a_refund_notification_reads_refund_status() {
        let refund: RefundAnswer = serde_json::from_str(
            r#"{"mchid":"1","out_refund_no":"R1","refund_status":"SUCCESS","amount":{"total":1,"refund":1}}"#,
        )
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(refund.status.as_deref(), Some("SUCCESS"));
    }
}
