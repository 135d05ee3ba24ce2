//! Refunds racing for one payment, and duplicate refund notifications.

use std::sync::Arc;

use payment::{PaymentError, PaymentState, RefundRequest, RefundStatus};
use reqwest::Method;
use serde_json::json;

use super::{
    eventually, ledger_today, new_trade_no, notify_url, pay_shop, payment_request, user_pays,
};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(
    concurrent_refunds_never_exceed_the_payment_and_duplicate_refund_notifications_count_once
);

async fn concurrent_refunds_never_exceed_the_payment_and_duplicate_refund_notifications_count_once(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let notify = notify_url(&app, &shop);
    // WeChat delivers every notification three more times after it succeeded.
    let mut settings = app.sandbox(Method::GET, "/sandbox/settings", None).await;
    settings["duplicate_notifications"] = json!(3);
    settings["refund_delay_ms"] = json!(200);
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings))
        .await;

    let out_trade_no = new_trade_no();
    let params = payment::prepare_jsapi_payment(
        &app.db,
        &app.state.payments,
        shop.tenant,
        payment_request(&out_trade_no, 1_000, &notify),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    user_pays(&app, &params.prepay_id).await;
    eventually("the payment to be recorded", || async {
        payment::get_payment(&app.db, shop.tenant, &out_trade_no)
            .await
            .is_ok_and(|p| p.state == PaymentState::Paid)
    })
    .await;

    // Ten refunds of 3.00 at once on a 10.00 payment: three fit, seven are refused.
    let app = Arc::new(app);
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let mut tasks = Vec::new();
    for n in 0..10 {
        let (app, barrier, notify, out_trade_no) = (
            app.clone(),
            barrier.clone(),
            notify.clone(),
            out_trade_no.clone(),
        );
        let tenant = shop.tenant;
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            payment::refund(
                &app.db,
                &app.state.payments,
                tenant,
                RefundRequest {
                    out_refund_no: format!("R{n}{out_trade_no}"),
                    out_trade_no,
                    amount_fen: 300,
                    total_fen: 1_000,
                    reason: None,
                    notify_url: Some(notify),
                },
            )
            .await
        }));
    }
    let mut accepted = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap_or_else(|err| panic!("{err}")) {
            Ok(refund) => accepted.push(refund.out_refund_no),
            Err(PaymentError::RefundExceedsPaid { .. }) => refused += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!((accepted.len(), refused), (3, 7));
    for out_refund_no in &accepted {
        eventually("the refund notification", || async {
            payment::get_refund(&app.db, shop.tenant, out_refund_no)
                .await
                .is_ok_and(|r| r.status == RefundStatus::Succeeded)
        })
        .await;
    }
    // Let the duplicates arrive, then count: one entry per payment and per refund.
    eventually("the duplicate deliveries", || async {
        let deliveries = app
            .sandbox(Method::GET, "/sandbox/notifications", None)
            .await;
        deliveries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| {
                d["event_type"] == json!("REFUND.SUCCESS")
                    && text(&d["outcome"]).starts_with("duplicate")
            })
            .count()
            >= 9
    })
    .await;
    // Asking WeChat again agrees and records nothing more.
    let queried = payment::query_refund(&app.db, &app.state.payments, shop.tenant, &accepted[0])
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(queried.status, RefundStatus::Succeeded);
    let paid = payment::get_payment(&app.db, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((paid.refund_reserved_fen, paid.refunded_fen), (900, 900));
    let ledger = ledger_today(&app, &shop).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 4, "{ledger}");
    // Fee 6 on 10.00; three refunds of 30% give back round(1.8)=2, round(3.6)-2=2, round(5.4)-4=1.
    let fees: Vec<i64> = entries
        .iter()
        .filter_map(|e| e["fee_fen"].as_i64())
        .collect();
    assert_eq!(fees.iter().sum::<i64>(), 6 - 5, "{ledger}");
}
