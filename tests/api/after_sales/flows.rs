//! After-sales beyond the happy path: returns with a waybill and receipt, rejection, withdrawal,
//! every illegal move, over-quantity and unpaid applications (nothing written), the merchant's
//! refund by line, an order refunded in full, a refund the payment side refuses (visible and
//! retryable), and races: concurrent approvals refund once; concurrent applications never claim
//! more than was bought.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};

use super::{AfterSaleShop, sandbox_new_refunds};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(
    a_return_is_shipped_back_received_and_refunded_and_nothing_moves_after,
    applications_are_checked_and_rejections_and_withdrawals_free_the_lines,
    merchant_refunds_by_line_and_an_order_refunded_in_full_is_closed,
    a_refund_the_payment_side_refuses_is_left_failed_and_can_be_retried_or_rejected,
    concurrent_approvals_refund_once_and_concurrent_applications_never_exceed_the_line,
    a_lost_refund_notification_is_recovered_by_the_worker_once,
);

fn statuses(after_sale: &Value) -> Vec<String> {
    after_sale["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| text(&t["to"]))
        .collect()
}

async fn a_return_is_shipped_back_received_and_refunded_and_nothing_moves_after(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = AfterSaleShop::new(&app, &operator, 2_000, 10, "o_return").await;
    let no = shop.paid_order(&app, 2).await;
    shop.ship(&app, &no).await;
    let applied = shop
        .apply(&app, &no, "return_and_refund", 1)
        .await
        .expect(201);
    let id = text(&applied["id"]);
    let waybill = format!("/api/v1/shop/after-sales/{id}/return-waybill");
    let good_waybill = json!({"carrier": "YTO", "tracking_no": "YT9876543210"});

    // Not before the merchant approved; the merchant cannot receive what was not sent.
    shop.buyer
        .post(&app, &waybill, good_waybill.clone())
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    shop.admin(&app, &id, "receive", json!({}))
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    let approved = shop
        .admin(&app, &id, "approve", json!({}))
        .await
        .expect(200);
    assert_eq!(approved["status"], json!("awaiting_return"));
    assert!(
        approved["out_refund_no"].is_null(),
        "no refund before the goods are back"
    );
    shop.admin(&app, &id, "receive", json!({}))
        .await
        .expect_error(409, "order.after_sale_illegal_transition");

    // A bad waybill is a 422 naming the fields; a good one moves it.
    let bad = shop
        .buyer
        .post(
            &app,
            &waybill,
            json!({"carrier": "", "tracking_no": "no spaces allowed"}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    assert_eq!(bad["fields"].as_array().map(Vec::len), Some(2), "{bad}");
    let shipped = shop
        .buyer
        .post(&app, &waybill, good_waybill.clone())
        .await
        .expect(200);
    assert_eq!(shipped["status"], json!("return_shipped"));
    assert_eq!(
        shipped["return_shipment"]["tracking_no"],
        json!("YT9876543210")
    );
    shop.buyer
        .post(&app, &waybill, good_waybill.clone())
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    shop.buyer
        .post(
            &app,
            &format!("/api/v1/shop/after-sales/{id}/withdraw"),
            json!({}),
        )
        .await
        .expect_error(409, "order.after_sale_illegal_transition");

    // Received: the refund goes out at once and the notification settles it.
    let received = shop
        .admin(&app, &id, "receive", json!({}))
        .await
        .expect(200);
    assert!(received["out_refund_no"].is_string(), "{received}");
    let refunded = shop.wait_refunded(&app, &id).await;
    assert_eq!(
        statuses(&refunded),
        [
            "requested",
            "awaiting_return",
            "return_shipped",
            "received",
            "refunding",
            "refunded"
        ]
    );
    let actors: Vec<String> = refunded["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| text(&t["actor"]))
        .collect();
    assert_eq!(
        actors,
        [
            "customer", "merchant", "customer", "merchant", "system", "system"
        ]
    );
    assert_eq!(shop.order(&app, &no).await["refunded_fen"], json!(2_000));

    // Refunded is final: every move is refused and nothing changes.
    for action in ["approve", "receive"] {
        shop.admin(&app, &id, action, json!({}))
            .await
            .expect_error(409, "order.after_sale_illegal_transition");
    }
    shop.admin(&app, &id, "reject", json!({"reason": "太迟了"}))
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    shop.buyer
        .post(&app, &waybill, good_waybill)
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    shop.buyer
        .post(
            &app,
            &format!("/api/v1/shop/after-sales/{id}/withdraw"),
            json!({}),
        )
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    let after = shop.after_sale(&app, &id).await;
    assert_eq!(statuses(&after), statuses(&refunded));
    assert_eq!(sandbox_new_refunds(&app, &shop.mchid).await, 1);
}

async fn applications_are_checked_and_rejections_and_withdrawals_free_the_lines(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = AfterSaleShop::new(&app, &operator, 1_500, 10, "o_checks").await;
    let buyer = &shop.buyer;

    // An unpaid order cannot be applied on: a clear 409, nothing written.
    let address = buyer.address(&app).await;
    let unpaid = buyer
        .submit(
            &app,
            "unpaid-1",
            &address,
            json!([{"sku_id": shop.shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    let unpaid_no = text(&unpaid["order_no"]);
    shop.apply(&app, &unpaid_no, "refund_only", 1)
        .await
        .expect_error(409, "order.after_sale_not_allowed");

    let no = shop.paid_order(&app, 2).await;
    let path = format!("/api/v1/shop/orders/{no}/after-sales");
    // Bad input: every bad field named at once.
    let photos: Vec<String> = (0..10)
        .map(|i| format!("https://img.example.com/{i}.jpg"))
        .collect();
    let bad = buyer
        .post(
            &app,
            &path,
            json!({"kind": "exchange", "reason": " ", "photos": photos,
                   "lines": [{"sku_id": shop.shop.sku_id, "quantity": 0}]}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    let fields: Vec<String> = bad["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| text(&f["field"]))
        .collect();
    assert_eq!(
        fields,
        ["kind", "reason", "photos", "lines[0].quantity"],
        "{bad}"
    );
    buyer
        .post(
            &app,
            &path,
            json!({"kind": "refund_only", "reason": "坏了", "photos": ["ftp://x/y.jpg"],
                   "lines": [{"sku_id": shop.shop.sku_id, "quantity": 1}]}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    buyer
        .post(
            &app,
            &path,
            json!({"kind": "refund_only", "reason": "坏了",
                   "lines": [{"sku_id": uuid::Uuid::new_v4(), "quantity": 1}]}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    // More than bought.
    let over = shop
        .apply(&app, &no, "refund_only", 3)
        .await
        .expect_error(409, "order.after_sale_quantity_exceeded");
    assert!(text(&over["message"]).contains("at most 2"), "{over}");
    // Another customer of the same shop does not see the order.
    let stranger = crate::orders::Buyer::new(&app, &shop.shop.shop.appid, "o_stranger").await;
    stranger
        .post(
            &app,
            &path,
            json!({"kind": "refund_only", "reason": "x",
            "lines": [{"sku_id": shop.shop.sku_id, "quantity": 1}]}),
        )
        .await
        .expect_error(404, "order.not_found");
    // Nothing was written by any of these.
    assert_eq!(
        buyer
            .get(&app, "/api/v1/shop/after-sales")
            .await
            .expect(200),
        json!([])
    );

    // All of the order: goods plus freight (the last unit carries the freight).
    let all = shop.apply(&app, &no, "refund_only", 2).await.expect(201);
    assert_eq!(all["goods_fen"], json!(3_000));
    assert_eq!(all["freight_fen"], json!(1_000));
    assert_eq!(all["amount_fen"], json!(4_000));
    let id = text(&all["id"]);
    shop.apply(&app, &no, "refund_only", 1)
        .await
        .expect_error(409, "order.after_sale_quantity_exceeded");
    // Refund-only has no return waybill; the customer's id is not the merchant's to withdraw.
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/after-sales/{id}/return-waybill"),
            json!({"carrier": "SF", "tracking_no": "SF1"}),
        )
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    stranger
        .post(
            &app,
            &format!("/api/v1/shop/after-sales/{id}/withdraw"),
            json!({}),
        )
        .await
        .expect_error(404, "order.after_sale_not_found");

    // Rejected with a reason (required): the lines are free again.
    shop.admin(&app, &id, "reject", json!({"reason": ""}))
        .await
        .expect_error(422, "order.invalid_input");
    let rejected = shop
        .admin(
            &app,
            &id,
            "reject",
            json!({"reason": "商品已签收且无质量问题"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], json!("rejected"));
    assert_eq!(rejected["reject_reason"], json!("商品已签收且无质量问题"));
    for action in ["approve", "receive"] {
        shop.admin(&app, &id, action, json!({}))
            .await
            .expect_error(409, "order.after_sale_illegal_transition");
    }
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/after-sales/{id}/withdraw"),
            json!({}),
        )
        .await
        .expect_error(409, "order.after_sale_illegal_transition");

    // Applied again, then withdrawn by the customer: free again, and final.
    let again = shop
        .apply(&app, &no, "return_and_refund", 1)
        .await
        .expect(201);
    let again_id = text(&again["id"]);
    assert_eq!(again["freight_fen"], json!(0));
    let withdrawn = buyer
        .post(
            &app,
            &format!("/api/v1/shop/after-sales/{again_id}/withdraw"),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(withdrawn["status"], json!("withdrawn"));
    assert_eq!(statuses(&withdrawn), ["requested", "withdrawn"]);
    shop.admin(&app, &again_id, "approve", json!({}))
        .await
        .expect_error(409, "order.after_sale_illegal_transition");
    shop.apply(&app, &no, "refund_only", 2).await.expect(201);

    // The queue filters; the order lists its after-sales; nothing was refunded.
    let rejected_only = app
        .get("/api/v1/admin/after-sales?status=rejected", shop.token())
        .await
        .expect(200);
    assert_eq!(rejected_only.as_array().map(Vec::len), Some(1));
    app.get("/api/v1/admin/after-sales?status=lost", shop.token())
        .await
        .expect_error(422, "order.invalid_input");
    let overdue = app
        .get(
            "/api/v1/admin/after-sales?over_answer_target=true",
            shop.token(),
        )
        .await
        .expect(200);
    assert_eq!(overdue, json!([]));
    let order = shop.order(&app, &no).await;
    assert_eq!(order["after_sales"].as_array().map(Vec::len), Some(3));
    assert_eq!(order["refunded_fen"], json!(0));
    assert_eq!(sandbox_new_refunds(&app, &shop.mchid).await, 0);
}

async fn merchant_refunds_by_line_and_an_order_refunded_in_full_is_closed(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = AfterSaleShop::new(&app, &operator, 1_250, 10, "o_full").await;
    let no = shop.paid_order(&app, 2).await;
    let path = format!("/api/v1/admin/orders/{no}/refunds");
    let sku = shop.shop.sku_id.clone();

    app.post(
        &path,
        shop.token(),
        json!({"reason": "缺货", "lines": [{"sku_id": sku, "quantity": 3}]}),
    )
    .await
    .expect_error(409, "order.after_sale_quantity_exceeded");
    app.post(&path, shop.token(), json!({"reason": "", "lines": []}))
        .await
        .expect_error(422, "order.invalid_input");
    app.post(
        "/api/v1/admin/orders/NO_SUCH_ORDER/refunds",
        shop.token(),
        json!({"reason": "缺货", "lines": [{"sku_id": sku, "quantity": 1}]}),
    )
    .await
    .expect_error(404, "order.not_found");

    // The merchant refunds one unit: made by the merchant, approved at once, refunded.
    let first = app
        .post(
            &path,
            shop.token(),
            json!({"reason": "缺货", "lines": [{"sku_id": sku, "quantity": 1}]}),
        )
        .await
        .expect(201);
    assert_eq!(first["initiated_by"], json!("merchant"));
    assert_eq!(first["amount_fen"], json!(1_250));
    let first_id = text(&first["id"]);
    let first = shop.wait_refunded(&app, &first_id).await;
    assert_eq!(
        statuses(&first),
        ["requested", "approved", "refunding", "refunded"]
    );
    assert_eq!(shop.order(&app, &no).await["status"], json!("paid"));

    // The customer asks for the last unit: it carries the freight; refunded, the order closes.
    let last = shop.apply(&app, &no, "refund_only", 1).await.expect(201);
    assert_eq!(last["amount_fen"], json!(1_250 + 1_000));
    let last_id = text(&last["id"]);
    shop.admin(&app, &last_id, "approve", json!({}))
        .await
        .expect(200);
    shop.wait_refunded(&app, &last_id).await;
    let order = shop.order(&app, &no).await;
    assert_eq!(order["status"], json!("refunded"), "{order}");
    assert_eq!(order["refunded_fen"], json!(3_500));
    assert_eq!(order["payable"], json!(3_500));
    let timeline = order["timeline"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        timeline.last().map(|t| t["to"].clone()),
        Some(json!("refunded"))
    );
    // Nothing is left to refund or to ship.
    app.post(
        &path,
        shop.token(),
        json!({"reason": "再退", "lines": [{"sku_id": sku, "quantity": 1}]}),
    )
    .await
    .expect_error(409, "order.after_sale_not_allowed");
    app.post(
        &format!("/api/v1/admin/orders/{no}/ship"),
        shop.token(),
        json!({"carrier": "SF", "tracking_no": "SF1234567890"}),
    )
    .await
    .expect_error(409, "order.illegal_transition");
    // The books: the payment and two refunds netting to zero.
    let ledger = shop.ledger_today(&app).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 3, "{ledger}");
    let gross: i64 = entries.iter().filter_map(|e| e["gross_fen"].as_i64()).sum();
    let fee: i64 = entries.iter().filter_map(|e| e["fee_fen"].as_i64()).sum();
    assert_eq!(
        (gross, fee),
        (0, 0),
        "a full refund gives the whole fee back: {ledger}"
    );
}

async fn a_refund_the_payment_side_refuses_is_left_failed_and_can_be_retried_or_rejected(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = AfterSaleShop::new(&app, &operator, 2_000, 10, "o_failed").await;
    let no = shop.paid_order(&app, 2).await;
    // Money refunded outside after-sales (e.g. a direct refund call) leaves 3000 of 5000.
    payment::refund(
        &app.db,
        &app.state.payments,
        shop.tenant,
        payment::RefundRequest {
            out_trade_no: no.clone(),
            out_refund_no: format!("{no}X"),
            amount_fen: 2_000,
            total_fen: 5_000,
            reason: None,
            notify_url: None,
        },
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));

    // The customer asks for everything (5000): the payment side refuses; visible, retryable.
    let applied = shop.apply(&app, &no, "refund_only", 2).await.expect(201);
    let id = text(&applied["id"]);
    let failed = shop
        .admin(&app, &id, "approve", json!({}))
        .await
        .expect(200);
    assert_eq!(failed["status"], json!("refund_failed"), "{failed}");
    assert!(text(&failed["refund_error"]).contains("exceed"), "{failed}");
    let first_no = text(&failed["out_refund_no"]);
    let queue = app
        .get(
            "/api/v1/admin/after-sales?status=refund_failed",
            shop.token(),
        )
        .await
        .expect(200);
    assert_eq!(queue.as_array().map(Vec::len), Some(1));

    // Approving again retries with a new refund number; it fails the same way.
    let retried = shop
        .admin(&app, &id, "approve", json!({}))
        .await
        .expect(200);
    assert_eq!(retried["status"], json!("refund_failed"));
    assert_ne!(text(&retried["out_refund_no"]), first_no);
    assert_eq!(
        statuses(&retried),
        [
            "requested",
            "approved",
            "refunding",
            "refund_failed",
            "refunding",
            "refund_failed"
        ]
    );
    // The merchant gives up: rejected, the lines free; a smaller refund then goes through.
    shop.admin(&app, &id, "reject", json!({"reason": "已线下退款"}))
        .await
        .expect(200);
    let smaller = shop.apply(&app, &no, "refund_only", 1).await.expect(201);
    let smaller_id = text(&smaller["id"]);
    shop.admin(&app, &smaller_id, "approve", json!({}))
        .await
        .expect(200);
    shop.wait_refunded(&app, &smaller_id).await;
    assert_eq!(shop.order(&app, &no).await["refunded_fen"], json!(2_000));
}

async fn concurrent_approvals_refund_once_and_concurrent_applications_never_exceed_the_line(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = AfterSaleShop::new(&app, &operator, 1_000, 20, "o_race").await;
    let app = Arc::new(app);
    let shop = Arc::new(shop);

    // Ten applications of one unit at once on a line of three: three pass, seven are refused.
    let no = shop.paid_order(&app, 3).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (app, shop, barrier, no) = (app.clone(), shop.clone(), barrier.clone(), no.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let reply = shop.apply(&app, &no, "refund_only", 1).await;
            (reply.status.as_u16(), reply.body)
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap_or_else(|err| panic!("{err}"));
        match status {
            201 => created.push(body),
            409 => assert_eq!(
                body["code"],
                json!("order.after_sale_quantity_exceeded"),
                "{body}"
            ),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created.len(), 3);
    // Exactly one of them carries the freight: the one that took the last unit.
    let freights: i64 = created
        .iter()
        .filter_map(|c| c["freight_fen"].as_i64())
        .sum();
    assert_eq!(freights, 1_000);

    // Eight approvals of one after-sale at once: one refund, one ledger entry, even with every
    // notification delivered four times.
    let mut settings = app.sandbox(Method::GET, "/sandbox/settings", None).await;
    settings["duplicate_notifications"] = json!(3);
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings))
        .await;
    let id = text(&created[0]["id"]);
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app, shop, barrier, id) = (app.clone(), shop.clone(), barrier.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let reply = shop.admin(&app, &id, "approve", json!({})).await;
            (reply.status.as_u16(), reply.body)
        }));
    }
    for task in tasks {
        let (status, body) = task.await.unwrap_or_else(|err| panic!("{err}"));
        assert!(
            status == 200
                || (status == 409 && body["code"] == json!("order.after_sale_illegal_transition")),
            "{status}: {body}"
        );
    }
    let refunded = shop.wait_refunded(&app, &id).await;
    assert_eq!(
        statuses(&refunded),
        ["requested", "approved", "refunding", "refunded"]
    );
    assert_eq!(sandbox_new_refunds(&app, &shop.mchid).await, 1);
    let ledger = shop.ledger_today(&app).await;
    let refunds = ledger["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == json!("refund"))
        .count();
    assert_eq!(refunds, 1, "{ledger}");
    // Let the duplicate deliveries arrive, then check again: counted once.
    crate::payments::eventually("the duplicate refund notifications", || async {
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
            >= 3
    })
    .await;
    let order = shop.order(&app, &no).await;
    assert_eq!(order["refunded_fen"], refunded["amount_fen"]);
    assert_eq!(
        statuses(&shop.after_sale(&app, &id).await),
        ["requested", "approved", "refunding", "refunded"]
    );
}

async fn a_lost_refund_notification_is_recovered_by_the_worker_once(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = AfterSaleShop::new(&app, &operator, 1_800, 10, "o_lost").await;
    let no = shop.paid_order(&app, 2).await;
    // From now on WeChat's notifications never arrive; refunds complete quickly.
    let mut settings = app.sandbox(Method::GET, "/sandbox/settings", None).await;
    settings["drop_notifications"] = json!(true);
    settings["refund_delay_ms"] = json!(50);
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings))
        .await;

    let applied = shop.apply(&app, &no, "refund_only", 1).await.expect(201);
    let id = text(&applied["id"]);
    let approved = shop
        .admin(&app, &id, "approve", json!({}))
        .await
        .expect(200);
    assert_eq!(approved["status"], json!("refunding"), "{approved}");

    // Not yet stale: the worker leaves it alone.
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    let looked_at = gateway::flows::settle_stale_after_sale_refunds(&app.state, long_ago)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(looked_at, 0);
    // Stale: the worker asks WeChat (until the sandbox has finished the refund).
    crate::payments::eventually("the worker to settle the refund", || async {
        let now = chrono::Utc::now() + chrono::Duration::seconds(1);
        gateway::flows::settle_stale_after_sale_refunds(&app.state, now)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        shop.after_sale(&app, &id).await["status"] == json!("refunded")
    })
    .await;
    // Running it again finds nothing and changes nothing.
    let now = chrono::Utc::now() + chrono::Duration::seconds(1);
    let again = gateway::flows::settle_stale_after_sale_refunds(&app.state, now)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(again, 0);
    let refunded = shop.after_sale(&app, &id).await;
    assert_eq!(
        statuses(&refunded),
        ["requested", "approved", "refunding", "refunded"]
    );
    assert_eq!(shop.order(&app, &no).await["refunded_fen"], json!(1_800));
    let ledger = shop.ledger_today(&app).await;
    let refunds = ledger["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == json!("refund"))
        .count();
    assert_eq!(refunds, 1, "{ledger}");
}
