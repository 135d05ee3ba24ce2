//! The trade bill (交易账单): `GET /v3/bill/tradebill?bill_date=YYYY-MM-DD` answers, signed, the
//! SHA1 of the day's bill and a download URL valid 5 minutes; `GET /v3/billdownload/file?token=…`
//! (a signed request; the answer is not signed, as WeChat documents) returns the file.
//!
//! The file is WeChat's ALL bill: a header row, one row per payment that succeeded on the day and
//! one per refund accepted on the day (China calendar day, 00:00 cut-off), every field prefixed
//! with a backtick; then the summary header and the summary row. Amounts are yuan with two
//! decimals. The fee is `settings.fee_rate_ppm` of the payment rounded half up to the fen; a refund
//! gives back the fee proportionally, cumulatively over the payment's refunds (the same rule as
//! the merchant's ledger), shown negative. Unlike WeChat, which issues a day's bill from 10:00
//! the next day, the sandbox serves any day at once, today included (the rows so far).
//! Commas in the description are written as full-width `，` so the columns stay aligned.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::json;
use sha1::{Digest, Sha1};

use crate::Sandbox;
use crate::pay::{admit, authenticate, error, ok_json};
use crate::state::{SimState, TradeState, random_hex};

const DOWNLOAD_LIFETIME: Duration = Duration::from_secs(300);

pub const DETAIL_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
pub const SUMMARY_HEADER: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(trade_bill).service(download_bill);
}

/// Fen as yuan with two decimals: `-0.36`, `60.00`.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn div_round_half_up(numerator: i128, denominator: i128) -> i64 {
    i64::try_from((2 * numerator + denominator) / (2 * denominator)).unwrap_or(i64::MAX)
}

fn fee_of(total: i64, rate_ppm: i64) -> i64 {
    if total <= 0 || rate_ppm <= 0 {
        return 0;
    }
    div_round_half_up(i128::from(total) * i128::from(rate_ppm), 1_000_000)
}

fn parse_china_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

fn bill_time(at: &DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn row(fields: &[String]) -> String {
    fields
        .iter()
        .map(|field| format!("`{}", field.replace(',', "，")))
        .collect::<Vec<_>>()
        .join(",")
}

/// The ALL trade bill of one merchant for one China day; `None` when nothing happened that day.
pub(crate) fn build_bill(
    state: &SimState,
    mchid: &str,
    day: NaiveDate,
    rate_ppm: i64,
) -> Option<String> {
    let rate_text = format!("{:.2}%", rate_ppm as f64 / 10_000.0);
    // (time, detail row) so the file is in time order.
    let mut rows: Vec<(DateTime<FixedOffset>, String)> = Vec::new();
    let (mut settled, mut refunded, mut fees, mut ordered) = (0_i64, 0_i64, 0_i64, 0_i64);
    for order in state.orders.values().filter(|order| order.mchid == mchid) {
        if !matches!(order.state, TradeState::Success | TradeState::Refund) {
            continue;
        }
        let fee = fee_of(order.total, rate_ppm);
        if let Some(paid) = order.success_time.as_deref().and_then(parse_china_time)
            && paid.date_naive() == day
        {
            settled += order.total;
            ordered += order.total;
            fees += fee;
            rows.push((
                paid,
                row(&[
                    bill_time(&paid),
                    order.appid.clone(),
                    order.mchid.clone(),
                    "0".to_owned(),
                    String::new(),
                    order.transaction_id.clone().unwrap_or_default(),
                    order.out_trade_no.clone(),
                    order.openid.clone(),
                    "JSAPI".to_owned(),
                    "SUCCESS".to_owned(),
                    "OTHERS".to_owned(),
                    "CNY".to_owned(),
                    yuan(order.total),
                    yuan(0),
                    "0".to_owned(),
                    "0".to_owned(),
                    yuan(0),
                    yuan(0),
                    String::new(),
                    String::new(),
                    order.description.clone(),
                    order.attach.clone().unwrap_or_default(),
                    yuan(fee),
                    rate_text.clone(),
                    yuan(order.total),
                    yuan(0),
                    String::new(),
                ]),
            ));
        }
        // The payment's refunds in the order they were accepted: each gives back the fee on the
        // cumulative refunded amount minus what the ones before it gave back.
        let mut refunds: Vec<_> = state
            .refunds
            .iter()
            .filter(|((owner, _), refund)| {
                owner == mchid && refund.out_trade_no == order.out_trade_no
            })
            .map(|(_, refund)| refund)
            .collect();
        refunds.sort_by(|a, b| (&a.create_time, &a.refund_id).cmp(&(&b.create_time, &b.refund_id)));
        let mut before = 0_i64;
        for refund in refunds {
            let reversed = |amount: i64| {
                div_round_half_up(
                    i128::from(fee) * i128::from(amount.clamp(0, order.total)),
                    i128::from(order.total),
                )
            };
            let reversal = reversed(before + refund.refund) - reversed(before);
            before += refund.refund;
            let Some(accepted) = parse_china_time(&refund.create_time) else {
                continue;
            };
            if accepted.date_naive() != day {
                continue;
            }
            refunded += refund.refund;
            fees -= reversal;
            rows.push((
                accepted,
                row(&[
                    bill_time(&accepted),
                    order.appid.clone(),
                    order.mchid.clone(),
                    "0".to_owned(),
                    String::new(),
                    refund.transaction_id.clone(),
                    refund.out_trade_no.clone(),
                    order.openid.clone(),
                    "JSAPI".to_owned(),
                    "REFUND".to_owned(),
                    "OTHERS".to_owned(),
                    "CNY".to_owned(),
                    yuan(0),
                    yuan(0),
                    refund.refund_id.clone(),
                    refund.out_refund_no.clone(),
                    yuan(refund.refund),
                    yuan(0),
                    "ORIGINAL".to_owned(),
                    refund.status.to_owned(),
                    order.description.clone(),
                    order.attach.clone().unwrap_or_default(),
                    yuan(-reversal),
                    rate_text.clone(),
                    yuan(0),
                    yuan(refund.refund),
                    String::new(),
                ]),
            ));
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut out = String::from(DETAIL_HEADER);
    out.push_str("\r\n");
    for (_, line) in &rows {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(SUMMARY_HEADER);
    out.push_str("\r\n");
    out.push_str(&row(&[
        rows.len().to_string(),
        yuan(settled),
        yuan(refunded),
        yuan(0),
        yuan(fees),
        yuan(ordered),
        yuan(refunded),
    ]));
    out.push_str("\r\n");
    Some(out)
}

fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    req.query_string().split('&').find_map(|pair| {
        pair.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::to_owned)
    })
}

#[get("/v3/bill/tradebill")]
async fn trade_bill(sandbox: web::Data<Sandbox>, req: HttpRequest) -> HttpResponse {
    let mchid = match admit(&sandbox, "pay.tradebill", &req, b"").await {
        Ok(mchid) => mchid,
        Err(response) => return response,
    };
    let param_error = |message: &str| {
        sandbox.record_call("pay.tradebill", &mchid, "PARAM_ERROR");
        error(
            &sandbox,
            &mchid,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            message,
        )
    };
    let Some(day) = query_param(&req, "bill_date")
        .and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
    else {
        return param_error("bill_date 须为 yyyy-MM-DD");
    };
    if query_param(&req, "bill_type").is_some_and(|kind| kind != "ALL") {
        return param_error("沙箱仅提供 ALL 类型账单");
    }
    if query_param(&req, "tar_type").is_some() {
        return param_error("沙箱仅提供不压缩的账单");
    }
    let rate = i64::from(sandbox.settings().fee_rate_ppm);
    let mut state = sandbox.state();
    let Some(bill) = build_bill(&state, &mchid, day, rate) else {
        drop(state);
        sandbox.record_call("pay.tradebill", &mchid, "NO_STATEMENT_EXIST");
        return error(
            &sandbox,
            &mchid,
            StatusCode::BAD_REQUEST,
            "NO_STATEMENT_EXIST",
            "要下载的账单不存在",
        );
    };
    let hash = hex::encode(Sha1::digest(bill.as_bytes()));
    let token = random_hex(48);
    state.bills.insert(
        token.clone(),
        (mchid.clone(), bill.into_bytes(), Instant::now()),
    );
    drop(state);
    let info = req.connection_info();
    let download_url = format!(
        "{}://{}/v3/billdownload/file?token={token}",
        info.scheme(),
        info.host()
    );
    sandbox.record_call("pay.tradebill", &mchid, "ok");
    ok_json(
        &sandbox,
        &mchid,
        &json!({"hash_type": "SHA1", "hash_value": hash, "download_url": download_url}),
    )
}

#[get("/v3/billdownload/file")]
async fn download_bill(sandbox: web::Data<Sandbox>, req: HttpRequest) -> HttpResponse {
    sandbox.delay().await;
    let mchid = match authenticate(&sandbox, &req, b"") {
        Ok(mchid) => mchid,
        Err(response) => return response,
    };
    let token = query_param(&req, "token").unwrap_or_default();
    let found = {
        let state = sandbox.state();
        state
            .bills
            .get(&token)
            .filter(|(owner, _, issued)| *owner == mchid && issued.elapsed() <= DOWNLOAD_LIFETIME)
            .map(|(_, bill, _)| bill.clone())
    };
    let Some(bill) = found else {
        sandbox.record_call("pay.billdownload", &mchid, "INVALID_REQUEST");
        return error(
            &sandbox,
            &mchid,
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "下载链接过期,请重新请求文件下载",
        );
    };
    sandbox.record_call("pay.billdownload", &mchid, "ok");
    // WeChat does not sign the file's answer.
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(bill)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_has_two_decimals_and_a_sign() {
        assert_eq!(yuan(6000), "60.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-36), "-0.36");
        assert_eq!(yuan(0), "0.00");
    }

    #[test]
    fn the_fee_is_rounded_half_up_to_the_fen() {
        assert_eq!(fee_of(10_000, 6_000), 60);
        assert_eq!(fee_of(83, 6_000), 0);
        assert_eq!(fee_of(84, 6_000), 1);
    }
}
