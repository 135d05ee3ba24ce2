//! Reconciliation: the worker's pass recovers a payment whose notification was lost (and several
//! passes racing query it once); a payment that arrives for an order the sweep cancelled is
//! refunded, flagged and noted; WeChat's trade bill is set against the ledger to the fen; and a
//! notification whose order side fails (the orders table is gone) is answered 500, retried by
//! WeChat on its schedule, and completes once the table is back. Failed closes and payments past
//! their deadline are closed by the pass.

use chrono::{Duration, Utc};
use payment::PaymentState;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    eventually, ledger_today, new_trade_no, notify_url, pay_shop, payment_request, user_pays,
};
use crate::catalog_helpers::{CatalogShop, new_category, new_product, put_on_sale};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::orders::{Buyer, OrderShop};

/// A verified shop with WeChat Pay (registered in the sandbox) and one product on sale.
async fn paying_order_shop(app: &TestApp, operator: &str, price: i64) -> OrderShop {
    let paying = pay_shop(app, operator, None).await;
    let shop = CatalogShop {
        appid: paying.appid.clone(),
        shop: paying.shop,
    };
    let category_id = new_category(app, &shop, json!({"name": "茶"})).await;
    let product = new_product(
        app,
        &shop,
        json!({"category_id": category_id, "title": "龙井", "skus": [{"price": price, "stock": 20}]}),
    )
    .await;
    let product_id = text(&product["id"]);
    put_on_sale(app, &shop, &product_id).await;
    OrderShop {
        sku_id: text(&product["skus"][0]["id"]),
        product_id,
        shop,
    }
}

/// Places an order for one unit; its number.
async fn place_order(app: &TestApp, shop: &OrderShop, buyer: &Buyer, key: &str) -> String {
    let address = buyer.address(app).await;
    let placed = buyer
        .submit(
            app,
            key,
            &address,
            json!([{"sku_id": shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    text(&placed["order_no"])
}

async fn prepay(app: &TestApp, buyer: &Buyer, no: &str) -> String {
    let params = buyer
        .post(app, &format!("/api/v1/shop/orders/{no}/pay"), json!({}))
        .await
        .expect(200);
    text(&params["package"])
        .strip_prefix("prepay_id=")
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("package: {params}"))
}

async fn set_sandbox(app: &TestApp, changes: Value) {
    let mut settings = app.sandbox(Method::GET, "/sandbox/settings", None).await;
    if let (Some(settings), Some(changes)) = (settings.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            settings.insert(key.clone(), value.clone());
        }
    }
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings))
        .await;
}

async fn order_status(app: &TestApp, shop: &OrderShop, no: &str) -> Value {
    app.get(&format!("/api/v1/admin/orders/{no}"), shop.shop.token())
        .await
        .expect(200)
}

on_every_backend!(a_dropped_notification_is_recovered_by_the_reconciliation_pass_once);

async fn a_dropped_notification_is_recovered_by_the_reconciliation_pass_once(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = paying_order_shop(&app, &operator, 2_500).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0001").await;
    set_sandbox(&app, json!({"drop_notifications": true})).await;
    let no = place_order(&app, &shop, &buyer, "recon-1").await;
    let prepay_id = prepay(&app, &buyer, &no).await;
    user_pays(&app, &prepay_id).await;
    assert_eq!(
        order_status(&app, &shop, &no).await["status"],
        json!("pending_payment"),
        "the notification was dropped"
    );

    // Too young to be queried: the notification usually comes within seconds.
    let report = gateway::flows::reconcile_payments(&app.state, Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(report.checked, 0);

    // Later, four passes race (as if four gateway processes ran the worker): one claims it.
    let later = Utc::now() + Duration::minutes(10);
    let passes = (0..4).map(|_| {
        let state = app.state.clone();
        tokio::spawn(async move { gateway::flows::reconcile_payments(&state, later).await })
    });
    let mut checked = 0;
    let mut recovered = Vec::new();
    for pass in futures_util::future::join_all(passes).await {
        let report = pass
            .unwrap_or_else(|err| panic!("{err}"))
            .unwrap_or_else(|err| panic!("{err}"));
        checked += report.checked;
        recovered.extend(report.recovered.into_iter().map(|(_, no)| no));
    }
    assert_eq!(checked, 1, "one pass claimed the check");
    assert_eq!(recovered, vec![no.clone()]);

    let paid = buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}"))
        .await
        .expect(200);
    assert_eq!(paid["status"], json!("paid"), "{paid}");
    let timeline = paid["timeline"].as_array().cloned().unwrap_or_default();
    assert_eq!(timeline.len(), 2, "one paid transition: {timeline:?}");

    // A second pass changes nothing: the payment is no longer pending.
    let again = gateway::flows::reconcile_payments(&app.state, later + Duration::hours(2))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((again.checked, again.recovered.len()), (0, 0));
    let ledger = ledger_today_of(&app, &shop).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{ledger}");
    assert_eq!(
        entries[0]["gross_fen"],
        json!(3_500),
        "25 yuan + 10 yuan freight"
    );
    assert_eq!(entries[0]["late_payment_refunded"], json!(false));
    let recorded = payment::get_payment(&app.db, shop.tenant(), &no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(recorded.state, PaymentState::Paid);
}

async fn ledger_today_of(app: &TestApp, shop: &OrderShop) -> Value {
    let today = payment::china_day_of(Utc::now());
    app.get(
        &format!("/api/v1/admin/payments/ledger?date={today}"),
        shop.shop.token(),
    )
    .await
    .expect(200)
}

on_every_backend!(a_payment_after_the_sweep_cancelled_the_order_is_refunded_and_flagged);

async fn a_payment_after_the_sweep_cancelled_the_order_is_refunded_and_flagged(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = paying_order_shop(&app, &operator, 1_990).await;
    let tenant = shop.tenant();
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0002").await;
    set_sandbox(&app, json!({"refund_delay_ms": 20})).await;
    let no = place_order(&app, &shop, &buyer, "late-1").await;
    let prepay_id = prepay(&app, &buyer, &no).await;

    // The sweep cancels the unpaid order; WeChat is down, so closing its payment fails.
    set_sandbox(&app, json!({"error_rate": 1.0})).await;
    let swept = gateway::flows::sweep_unpaid_orders(&app.state, Utc::now() + Duration::hours(2))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(swept.cancelled, vec![no.clone()]);
    let still_open = payment::get_payment(&app.db, tenant, &no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(still_open.state, PaymentState::Pending, "the close failed");

    // The customer still pays at WeChat, and that notification is lost too.
    set_sandbox(&app, json!({"error_rate": 0.0, "drop_notifications": true})).await;
    user_pays(&app, &prepay_id).await;
    set_sandbox(&app, json!({"drop_notifications": false})).await;

    // The close asked for is due at once: the pass queries, finds the money, refunds it.
    let report = gateway::flows::reconcile_payments(&app.state, Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(report.recovered, vec![(tenant, no.clone())], "{report:?}");
    // WeChat repeats the payment notification later: the order side runs again, adds nothing.
    gateway::flows::order_payment_recorded_again(&app.state, tenant, &no)
        .await
        .unwrap_or_else(|err| panic!("{err:?}"));

    eventually("the refund to succeed", || async {
        ledger_today_of(&app, &shop).await["entries"]
            .as_array()
            .map_or(0, Vec::len)
            == 2
    })
    .await;
    let ledger = ledger_today_of(&app, &shop).await;
    let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries[0]["kind"], json!("payment"));
    assert_eq!(
        entries[0]["late_payment_refunded"],
        json!(true),
        "flagged for the merchant: {ledger}"
    );
    assert_eq!(entries[1]["kind"], json!("refund"));
    assert_eq!(entries[1]["out_refund_no"], json!(format!("{no}C")));
    let net: i64 = entries.iter().filter_map(|e| e["net_fen"].as_i64()).sum();
    assert_eq!(net, 0, "the ledger nets to zero: {ledger}");

    let order = order_status(&app, &shop, &no).await;
    assert_eq!(order["status"], json!("cancelled"));
    let notes: Vec<_> = order["timeline"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|step| text(&step["reason"]).starts_with("paid after cancellation"))
        .collect();
    assert_eq!(notes.len(), 1, "noted once: {order}");
    assert!(text(&notes[0]["reason"]).contains(&format!("{no}C")));

    // Nothing is left to reconcile.
    let again = gateway::flows::reconcile_payments(&app.state, Utc::now() + Duration::hours(3))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(again.checked, 0, "{again:?}");
}

on_every_backend!(a_cancelled_orders_failed_close_is_retried_by_the_pass);

async fn a_cancelled_orders_failed_close_is_retried_by_the_pass(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = paying_order_shop(&app, &operator, 800).await;
    let tenant = shop.tenant();
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0003").await;
    let no = place_order(&app, &shop, &buyer, "close-1").await;
    let prepay_id = prepay(&app, &buyer, &no).await;
    set_sandbox(&app, json!({"error_rate": 1.0})).await;
    let swept = gateway::flows::sweep_unpaid_orders(&app.state, Utc::now() + Duration::hours(2))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(swept.cancelled, vec![no.clone()]);
    // Still down: the pass fails and backs off.
    let failed = gateway::flows::reconcile_payments(&app.state, Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((failed.checked, failed.failed), (1, 1));
    set_sandbox(&app, json!({"error_rate": 0.0})).await;
    let too_soon = gateway::flows::reconcile_payments(&app.state, Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(too_soon.checked, 0, "waits its backoff");
    let retried = gateway::flows::reconcile_payments(&app.state, Utc::now() + Duration::minutes(5))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((retried.checked, retried.closed), (1, 1), "{retried:?}");
    let closed = payment::get_payment(&app.db, tenant, &no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(closed.state, PaymentState::Closed);
    // Closed at WeChat: the customer can no longer pay.
    let refused = app
        .client
        .post(format!("{}/sandbox/pay/{prepay_id}", app.sandbox_url))
        .json(&json!({"result": "success"}))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(refused.status().as_u16(), 409);
    let refused: Value = refused.json().await.unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(refused["code"], json!("sandbox.not_payable"), "{refused}");
}

on_every_backend!(the_trade_bill_reconciles_with_the_ledger_to_the_fen);

async fn the_trade_bill_reconciles_with_the_ledger_to_the_fen(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = pay_shop(&app, &operator, None).await;
    let notify = notify_url(&app, &shop);
    let payments = &app.state.payments;
    set_sandbox(&app, json!({"refund_delay_ms": 20})).await;
    let today = payment::china_day_of(Utc::now());
    let path = format!("/api/v1/admin/payments/reconciliation/{today}");

    // Nothing yet: WeChat has no bill for the day, our ledger is empty — balanced.
    let empty = app.get(&path, &shop.shop.owner_token).await.expect(200);
    assert_eq!(empty["balanced"], json!(true), "{empty}");
    assert_eq!(empty["bill_rows"], json!(0));

    // Three payments (fees 12, 0 and 74 fen at 0.6%, rounded half up) and a partial refund.
    let amounts = [2_000_i64, 83, 12_345];
    let mut numbers = Vec::new();
    for amount in amounts {
        let no = new_trade_no();
        let params = payment::prepare_jsapi_payment(
            &app.db,
            payments,
            shop.tenant,
            payment_request(&no, amount, &notify),
        )
        .await
        .unwrap_or_else(|err| panic!("{err}"));
        user_pays(&app, &params.prepay_id).await;
        numbers.push(no);
    }
    for no in &numbers {
        eventually("the payment to be recorded", || async {
            payment::get_payment(&app.db, shop.tenant, no)
                .await
                .is_ok_and(|p| p.state == PaymentState::Paid)
        })
        .await;
    }
    let refund_no = format!("R{}", numbers[2]);
    payment::refund(
        &app.db,
        payments,
        shop.tenant,
        payment::RefundRequest {
            out_trade_no: numbers[2].clone(),
            out_refund_no: refund_no.clone(),
            amount_fen: 5_000,
            total_fen: 12_345,
            reason: None,
            notify_url: Some(notify.clone()),
        },
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    eventually("the refund's ledger entry", || async {
        ledger_today(&app, &shop).await["entries"]
            .as_array()
            .map_or(0, Vec::len)
            == 4
    })
    .await;

    let fees: i64 = amounts
        .iter()
        .map(|a| payment::fees::payment_fee(*a, payment::fees::DEFAULT_FEE_RATE_PPM))
        .sum();
    assert_eq!(fees, 12 + 74);
    let reversal = payment::fees::refund_fee_reversal(12_345, 74, 0, 5_000);
    assert_eq!(reversal, 30);
    let result = app.get(&path, &shop.shop.owner_token).await.expect(200);
    assert_eq!(result["balanced"], json!(true), "{result}");
    assert_eq!(result["bill_summary_consistent"], json!(true));
    assert_eq!(result["bill_rows"], json!(4));
    assert_eq!(result["ledger_entries"], json!(4));
    assert_eq!(
        result["matched"],
        json!({"payment_count": 3, "payments_fen": 14_428, "refund_count": 1,
               "refunds_fen": 5_000, "fee_fen": fees - reversal})
    );
    assert_eq!(result["differences"], json!([]));

    // A payment WeChat has and our ledger lacks: its notification was lost, no pass ran yet.
    set_sandbox(&app, json!({"drop_notifications": true})).await;
    let lost = new_trade_no();
    let params = payment::prepare_jsapi_payment(
        &app.db,
        payments,
        shop.tenant,
        payment_request(&lost, 990, &notify),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    user_pays(&app, &params.prepay_id).await;
    let result = app.get(&path, &shop.shop.owner_token).await.expect(200);
    assert_eq!(result["balanced"], json!(false), "{result}");
    assert_eq!(
        result["differences"],
        json!([{"difference": "missing_in_ledger", "kind": "payment", "out_trade_no": lost,
                "out_refund_no": null, "bill_amount_fen": 990, "ledger_amount_fen": null,
                "bill_fee_fen": 6, "ledger_fee_fen": null}])
    );
    assert_eq!(
        result["matched"]["payment_count"],
        json!(3),
        "the rest still match"
    );

    // Recorded by querying WeChat (as the worker does): balanced again.
    payment::query_payment(&app.db, payments, shop.tenant, &lost)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let result = app.get(&path, &shop.shop.owner_token).await.expect(200);
    assert_eq!(result["balanced"], json!(true), "{result}");

    // Bad input.
    app.get(
        "/api/v1/admin/payments/reconciliation/2026-13-40",
        &shop.shop.owner_token,
    )
    .await
    .expect_error(422, "payment.invalid_input");
    let calls = app
        .sandbox(Method::GET, "/sandbox/calls?api=pay.billdownload", None)
        .await;
    assert!(
        calls.as_array().is_some_and(|calls| calls.len() >= 3),
        "the bill was downloaded: {calls}"
    );
}

on_every_backend!(a_notification_whose_order_side_fails_is_retried_until_it_succeeds);

async fn a_notification_whose_order_side_fails_is_retried_until_it_succeeds(app: TestApp) {
    use sea_orm::ConnectionTrait;

    let operator = app.operator_token().await;
    let shop = paying_order_shop(&app, &operator, 1_200).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0004").await;
    // WeChat's schedule (15 s, 15 s, 30 s, 3 min, …) scaled down to milliseconds.
    set_sandbox(&app, json!({"notify_time_scale": 0.002})).await;
    let no = place_order(&app, &shop, &buyer, "inject-1").await;
    let prepay_id = prepay(&app, &buyer, &no).await;

    // The order side really fails: the tenant's orders table is gone (each test has its own
    // SQLite file or Postgres schema).
    app.db
        .execute_unprepared("ALTER TABLE orders RENAME TO orders_away")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    user_pays(&app, &prepay_id).await;
    let failures = || async {
        app.sandbox(Method::GET, "/sandbox/notifications", None)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|d| {
                d["event_type"] == json!("TRANSACTION.SUCCESS") && d["outcome"] == json!("500")
            })
            .count()
    };
    eventually("two failed deliveries", || async { failures().await >= 2 }).await;
    app.db
        .execute_unprepared("ALTER TABLE orders_away RENAME TO orders")
        .await
        .unwrap_or_else(|err| panic!("{err}"));

    eventually("the retried delivery to pay the order", || async {
        buyer
            .get(&app, &format!("/api/v1/shop/orders/{no}"))
            .await
            .body["status"]
            == json!("paid")
    })
    .await;
    let deliveries = app
        .sandbox(Method::GET, "/sandbox/notifications", None)
        .await;
    let outcomes: Vec<String> = deliveries
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d["event_type"] == json!("TRANSACTION.SUCCESS"))
        .map(|d| text(&d["outcome"]))
        .collect();
    assert!(outcomes.len() >= 3, "{outcomes:?}");
    assert!(
        outcomes.iter().take(2).all(|outcome| outcome == "500"),
        "{outcomes:?}"
    );
    eventually("a delivery answered 204", || async {
        app.sandbox(Method::GET, "/sandbox/notifications", None)
            .await
            .as_array()
            .is_some_and(|all| all.iter().any(|d| d["outcome"] == json!("204")))
    })
    .await;

    let paid = buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}"))
        .await
        .expect(200);
    let timeline = paid["timeline"].as_array().cloned().unwrap_or_default();
    assert_eq!(timeline.len(), 2, "paid once: {timeline:?}");
    let ledger = ledger_today_of(&app, &shop).await;
    assert_eq!(
        ledger["entries"].as_array().map(Vec::len),
        Some(1),
        "{ledger}"
    );
}

on_every_backend!(a_payment_past_its_deadline_is_closed_by_the_pass);

async fn a_payment_past_its_deadline_is_closed_by_the_pass(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = paying_order_shop(&app, &operator, 600).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0005").await;
    let no = place_order(&app, &shop, &buyer, "expired-1").await;
    prepay(&app, &buyer, &no).await;
    // Old enough to query, still within the order's 15 minutes: queried, left open.
    let early = gateway::flows::reconcile_payments(&app.state, Utc::now() + Duration::minutes(6))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((early.checked, early.closed), (1, 0), "{early:?}");
    // Past the deadline (the sweep has not run): the pass closes it at WeChat.
    let late = gateway::flows::reconcile_payments(&app.state, Utc::now() + Duration::hours(1))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((late.checked, late.closed), (1, 1), "{late:?}");
    let closed = payment::get_payment(&app.db, shop.tenant(), &no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(closed.state, PaymentState::Closed);
}

on_every_backend!(a_payment_found_when_closing_a_cancelled_order_is_refunded_and_flagged);

async fn a_payment_found_when_closing_a_cancelled_order_is_refunded_and_flagged(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = paying_order_shop(&app, &operator, 700).await;
    let tenant = shop.tenant();
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0006").await;
    set_sandbox(
        &app,
        json!({"drop_notifications": true, "refund_delay_ms": 20}),
    )
    .await;
    let no = place_order(&app, &shop, &buyer, "paid-lost-1").await;
    let prepay_id = prepay(&app, &buyer, &no).await;
    user_pays(&app, &prepay_id).await;
    set_sandbox(&app, json!({"drop_notifications": false})).await;

    // The customer paid, WeChat's notification was lost, and the sweep cancels the order before
    // any pass: closing finds it paid (ORDERPAID), so it is recorded, refunded and flagged.
    let swept = gateway::flows::sweep_unpaid_orders(&app.state, Utc::now() + Duration::hours(2))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(swept.cancelled, vec![no.clone()]);
    eventually("the refund to succeed", || async {
        ledger_today_of(&app, &shop).await["entries"]
            .as_array()
            .map_or(0, Vec::len)
            == 2
    })
    .await;
    let ledger = ledger_today_of(&app, &shop).await;
    assert_eq!(ledger["entries"][0]["late_payment_refunded"], json!(true));
    let net: i64 = ledger["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["net_fen"].as_i64())
        .sum();
    assert_eq!(net, 0, "{ledger}");
    let recorded = payment::get_payment(&app.db, tenant, &no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        (recorded.state, recorded.refunded_fen),
        (PaymentState::Paid, 1_700)
    );
}

on_every_backend!(an_order_side_that_fails_during_the_pass_is_run_again_by_a_later_pass);

async fn an_order_side_that_fails_during_the_pass_is_run_again_by_a_later_pass(app: TestApp) {
    use sea_orm::ConnectionTrait;

    let operator = app.operator_token().await;
    let shop = paying_order_shop(&app, &operator, 900).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0007").await;
    set_sandbox(&app, json!({"drop_notifications": true})).await;
    let no = place_order(&app, &shop, &buyer, "resettle-1").await;
    let prepay_id = prepay(&app, &buyer, &no).await;
    user_pays(&app, &prepay_id).await;

    // The pass finds the payment and records it, but the order side fails (no orders table).
    app.db
        .execute_unprepared("ALTER TABLE orders RENAME TO orders_away")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let later = Utc::now() + Duration::minutes(10);
    let failed = gateway::flows::reconcile_payments(&app.state, later).await;
    app.db
        .execute_unprepared("ALTER TABLE orders_away RENAME TO orders")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let failed = failed.unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((failed.checked, failed.failed), (1, 1), "{failed:?}");
    let recorded = payment::get_payment(&app.db, shop.tenant(), &no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        recorded.state,
        PaymentState::Paid,
        "the payment itself is recorded"
    );
    assert_eq!(
        order_status(&app, &shop, &no).await["status"],
        json!("pending_payment")
    );

    // A later pass runs the order side again: paid, once.
    let retried = gateway::flows::reconcile_payments(&app.state, later + Duration::minutes(30))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((retried.checked, retried.resettled), (1, 1), "{retried:?}");
    let order = order_status(&app, &shop, &no).await;
    assert_eq!(order["status"], json!("paid"), "{order}");
    assert_eq!(order["timeline"].as_array().map(Vec::len), Some(2));
    let done = gateway::flows::reconcile_payments(&app.state, later + Duration::hours(5))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(done.checked, 0, "settled: {done:?}");
    let ledger = ledger_today_of(&app, &shop).await;
    assert_eq!(ledger["entries"].as_array().map(Vec::len), Some(1));
}
