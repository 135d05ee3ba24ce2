//! Lost notifications: WeChat never delivers, and querying records the payment and the refund,
//! once.

use payment::{PaymentState, RefundRequest, RefundStatus};
use reqwest::Method;
use serde_json::json;

use super::{ledger_today, new_trade_no, notify_url, pay_shop, payment_request, user_pays};
use crate::helpers::TestApp;
use crate::on_every_backend;

on_every_backend!(a_lost_notification_is_recovered_by_querying_wechat);

async fn a_lost_notification_is_recovered_by_querying_wechat(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let notify = notify_url(&app, &shop);
    let payments = &app.state.payments;
    let mut settings = app.sandbox(Method::GET, "/sandbox/settings", None).await;
    settings["drop_notifications"] = json!(true);
    settings["refund_delay_ms"] = json!(50);
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings))
        .await;

    let out_trade_no = new_trade_no();
    let params = payment::prepare_jsapi_payment(
        &app.db,
        payments,
        shop.tenant,
        payment_request(&out_trade_no, 2_000, &notify),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    user_pays(&app, &params.prepay_id).await;
    let pending = payment::get_payment(&app.db, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(pending.state, PaymentState::Pending, "no notification came");

    // The reconciliation worker's call: the first query records the payment, the second nothing.
    let first = payment::query_payment(&app.db, payments, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let recorded = first.recorded.unwrap_or_else(|| panic!("not recorded"));
    assert_eq!((recorded.amount_fen, recorded.was_closed), (2_000, false));
    let second = payment::query_payment(&app.db, payments, shop.tenant, &out_trade_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(second.recorded, None);

    let refund = payment::refund(
        &app.db,
        payments,
        shop.tenant,
        RefundRequest {
            out_trade_no: out_trade_no.clone(),
            out_refund_no: format!("R{out_trade_no}"),
            amount_fen: 2_000,
            total_fen: 2_000,
            reason: None,
            notify_url: Some(notify),
        },
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(refund.status, RefundStatus::Processing);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let refund = payment::query_refund(&app.db, payments, shop.tenant, &refund.out_refund_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(refund.status, RefundStatus::Succeeded);

    // One entry each; the full refund gives the whole fee back.
    let ledger = ledger_today(&app, &shop).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2, "{ledger}");
    let net: i64 = entries.iter().filter_map(|e| e["net_fen"].as_i64()).sum();
    assert_eq!(net, 0, "{ledger}");
}
