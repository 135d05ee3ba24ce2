//! The whole way: prepay, reuse, the user pays, the notification recorded, query, refunds, the
//! ledger and the statement as JSON and CSV, and who may read them.

use payment::{PaymentError, PaymentRequest, PaymentState, RefundRequest, RefundStatus};
use reqwest::Method;
use serde_json::json;
use wechat::pay_crypto::{RsaVerifier, pay_sign};

use super::{
    eventually, ledger_today, new_trade_no, notify_url, pay_shop, payment_request, user_pays,
};
use crate::helpers::{TestApp, fixture, text};
use crate::on_every_backend;

on_every_backend!(a_payment_is_prepared_paid_notified_and_recorded_once_then_refunded);

async fn a_payment_is_prepared_paid_notified_and_recorded_once_then_refunded(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let notify = notify_url(&app, &shop);
    let out_trade_no = new_trade_no();
    let request = payment_request(&out_trade_no, 10_000, &notify);
    let payments = &app.state.payments;

    let params = payment::prepare_jsapi_payment(&app.db, payments, shop.tenant, request.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(params.package, format!("prepay_id={}", params.prepay_id));
    assert_eq!(params.sign_type, "RSA");
    // paySign is the merchant key's signature over appId, timeStamp, nonceStr, package.
    let merchant_key = RsaVerifier::from_pem(&fixture("wechatpay/official_doc_test_pub.pem"))
        .unwrap_or_else(|err| panic!("{err}"));
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        shop.appid, params.time_stamp, params.nonce_str, params.package
    );
    assert!(merchant_key.verify(message.as_bytes(), &params.pay_sign));
    let signer = wechat::pay_crypto::RsaSigner::from_pem(&fixture(
        "wechatpay/official_doc_test_key_pkcs8.pem",
    ))
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        pay_sign(
            &signer,
            &shop.appid,
            &params.time_stamp,
            &params.nonce_str,
            &params.package
        ),
        params.pay_sign,
        "the SDK's sign data matches wechat::pay_crypto"
    );

    // Asking again reuses the prepay; other parameters for the same out_trade_no are refused.
    let again = payment::prepare_jsapi_payment(&app.db, payments, shop.tenant, request.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(again.prepay_id, params.prepay_id);
    let changed = payment::prepare_jsapi_payment(
        &app.db,
        payments,
        shop.tenant,
        PaymentRequest {
            amount_fen: 9_000,
            ..request.clone()
        },
    )
    .await;
    assert!(
        matches!(changed, Err(PaymentError::ParamsChanged)),
        "{changed:?}"
    );

    // The user pays; the sandbox's signed notification reaches our endpoint and is recorded.
    user_pays(&app, &params.prepay_id).await;
    eventually("the payment to be recorded", || async {
        payment::get_payment(&app.db, shop.tenant, &out_trade_no)
            .await
            .is_ok_and(|p| p.state == PaymentState::Paid)
    })
    .await;
    let paid = payment::get_payment(&app.db, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(paid.fee_fen, Some(60), "0.6% of 100.00");
    // The sandbox logs a delivery once our answer is back, which may be just after the payment
    // is recorded.
    eventually("the sandbox to log our 204 answer", || async {
        app.sandbox(Method::GET, "/sandbox/notifications", None)
            .await
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| {
                d["url"] == json!(notify)
                    && d["event_type"] == json!("TRANSACTION.SUCCESS")
                    && d["outcome"] == json!("204")
            })
    })
    .await;
    let ledger = ledger_today(&app, &shop).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{ledger}");
    assert_eq!(entries[0]["gross_fen"], json!(10_000));
    assert_eq!(entries[0]["fee_fen"], json!(60));
    assert_eq!(entries[0]["net_fen"], json!(9_940));

    // Querying WeChat agrees and records nothing more; a paid payment cannot be prepared again.
    let queried = payment::query_payment(&app.db, payments, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(queried.trade_state, "SUCCESS");
    assert_eq!(queried.amount_fen, Some(10_000));
    assert_eq!(queried.recorded, None);
    let repaid = payment::prepare_jsapi_payment(&app.db, payments, shop.tenant, request).await;
    assert!(
        matches!(repaid, Err(PaymentError::AlreadyPaid)),
        "{repaid:?}"
    );

    // A partial refund, asked twice with the same out_refund_no, refunds once.
    let refund = RefundRequest {
        out_trade_no: out_trade_no.clone(),
        out_refund_no: format!("R{out_trade_no}"),
        amount_fen: 2_500,
        total_fen: 10_000,
        reason: Some("尺码不合适".to_owned()),
        notify_url: Some(notify.clone()),
    };
    let first = payment::refund(&app.db, payments, shop.tenant, refund.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let second = payment::refund(&app.db, payments, shop.tenant, refund.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(first.id, second.id);
    let too_much = payment::refund(
        &app.db,
        payments,
        shop.tenant,
        RefundRequest {
            out_refund_no: format!("X{out_trade_no}"),
            amount_fen: 7_501,
            ..refund.clone()
        },
    )
    .await;
    assert!(
        matches!(
            too_much,
            Err(PaymentError::RefundExceedsPaid { refundable: 7_500 })
        ),
        "{too_much:?}"
    );
    eventually("the refund notification", || async {
        payment::get_refund(&app.db, shop.tenant, &refund.out_refund_no)
            .await
            .is_ok_and(|r| r.status == RefundStatus::Succeeded)
    })
    .await;

    // The ledger and the statement, to the fen: the refund gives back 25% of the fee.
    let today = payment::china_day_of(chrono::Utc::now());
    let statement = app
        .get(
            &format!("/api/v1/admin/payments/statements/{today}"),
            &shop.shop.owner_token,
        )
        .await
        .expect(200);
    assert_eq!(
        statement["settlement_date"],
        json!((today + chrono::Duration::days(1)).to_string())
    );
    let totals = &statement["totals"];
    assert_eq!(totals["payment_count"], json!(1));
    assert_eq!(totals["refund_count"], json!(1));
    assert_eq!(totals["gross_fen"], json!(7_500));
    assert_eq!(totals["fee_fen"], json!(45));
    assert_eq!(totals["net_fen"], json!(7_455));
    let csv = app
        .client
        .get(format!(
            "{}/api/v1/admin/payments/statements/{today}?format=csv",
            app.address
        ))
        .bearer_auth(&shop.shop.owner_token)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"))
    );
    let csv = csv.text().await.unwrap_or_default();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains(",refund,"), "{csv}");
    assert!(csv.trim_end().ends_with(",total,,,,7500,45,7455"), "{csv}");

    // Staff without finance rights and API keys cannot read it; a malformed date is a 422.
    let key = app
        .post(
            "/api/v1/admin/api-keys",
            &shop.shop.owner_token,
            json!({"name": "orders", "scopes": ["orders:read"]}),
        )
        .await
        .expect(201);
    app.get(
        &format!("/api/v1/admin/payments/statements/{today}"),
        &text(&key["secret"]),
    )
    .await
    .expect_error(403, "auth.forbidden");
    app.get(
        "/api/v1/admin/payments/ledger?date=2026-13-01",
        &shop.shop.owner_token,
    )
    .await
    .expect_error(422, "payment.invalid_input");
}
