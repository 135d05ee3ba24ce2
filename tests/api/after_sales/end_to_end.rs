//! Issue #6's main scenario, for two shops with their own merchants and keys: login → cart →
//! order → pay → the sandbox user pays → notification → paid → shipped → the customer asks a
//! refund of part of a line → the merchant approves → WeChat refunds → the refund notification
//! settles the after-sale → the order shows `refunded_fen` → ledger and T+1 statement (JSON and
//! CSV) right to the fen; and each shop sees only its own.

use serde_json::json;

use super::AfterSaleShop;
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(two_shops_refund_part_of_a_line_end_to_end_and_their_books_agree_to_the_fen);

struct Case<'a> {
    shop: &'a AfterSaleShop,
    quantity: i64,
    /// 2 × 19.99 + 10.00 freight; 3 × 33.33, free shipping over 99.00.
    paid: i64,
    /// 0.6%, rounded half up: 29.988 → 30; 59.994 → 60.
    fee: i64,
    refund: i64,
    /// The fee given back, cumulative half-up: 30 × 1999/4998 = 11.998 → 12;
    /// 60 × 3333/9999 = 20.
    fee_back: i64,
}

async fn two_shops_refund_part_of_a_line_end_to_end_and_their_books_agree_to_the_fen(app: TestApp) {
    let operator = app.operator_token().await;
    let a = AfterSaleShop::new(&app, &operator, 1_999, 10, "o_buyer_a").await;
    let b = AfterSaleShop::new(&app, &operator, 3_333, 10, "o_buyer_b").await;
    assert_ne!(a.mchid, b.mchid, "two merchants");
    let cases = [
        Case {
            shop: &a,
            quantity: 2,
            paid: 4_998,
            fee: 30,
            refund: 1_999,
            fee_back: 12,
        },
        Case {
            shop: &b,
            quantity: 3,
            paid: 9_999,
            fee: 60,
            refund: 3_333,
            fee_back: 20,
        },
    ];
    let mut done = Vec::new();
    for case in &cases {
        let shop = case.shop;
        let no = shop.paid_order(&app, case.quantity).await;
        assert_eq!(shop.order(&app, &no).await["payable"], json!(case.paid));
        shop.ship(&app, &no).await;

        // One unit of the line, refund only: the unit price, no freight.
        let applied = shop.apply(&app, &no, "refund_only", 1).await.expect(201);
        assert_eq!(applied["status"], json!("requested"));
        assert_eq!(applied["amount_fen"], json!(case.refund));
        assert_eq!(applied["goods_fen"], json!(case.refund));
        assert_eq!(applied["freight_fen"], json!(0));
        assert_eq!(applied["lines"][0]["quantity"], json!(1));
        let id = text(&applied["id"]);

        // The merchant's queue shows it with its age, within the 30-minute target.
        let queue = app
            .get("/api/v1/admin/after-sales?status=requested", shop.token())
            .await
            .expect(200);
        let queued = queue
            .as_array()
            .into_iter()
            .flatten()
            .find(|item| item["id"] == json!(id))
            .cloned()
            .unwrap_or_else(|| panic!("not queued: {queue}"));
        assert!(queued["age_seconds"].as_i64().is_some_and(|age| age >= 0));
        assert_eq!(queued["over_answer_target"], json!(false));

        let approved = shop
            .admin(&app, &id, "approve", json!({}))
            .await
            .expect(200);
        assert!(
            approved["out_refund_no"].is_string(),
            "the refund was sent: {approved}"
        );
        let refunded = shop.wait_refunded(&app, &id).await;
        let path: Vec<String> = refunded["timeline"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| text(&t["to"]))
            .collect();
        assert_eq!(
            path,
            ["requested", "approved", "refunding", "refunded"],
            "{refunded}"
        );
        assert!(refunded["refunded_at"].is_string());

        // The order reflects it; the customer sees it refunded.
        let order = shop.order(&app, &no).await;
        assert_eq!(
            order["status"],
            json!("shipped"),
            "partly refunded: still shipped"
        );
        assert_eq!(order["refunded_fen"], json!(case.refund));
        assert_eq!(order["after_sales"][0]["status"], json!("refunded"));
        let seen = shop
            .buyer
            .get(&app, &format!("/api/v1/shop/after-sales/{id}"))
            .await
            .expect(200);
        assert_eq!(seen["status"], json!("refunded"));

        // The ledger: the payment and the refund, with the fee given back proportionally.
        let ledger = shop.ledger_today(&app).await;
        let entries = ledger["entries"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 2, "{ledger}");
        let payment = entries
            .iter()
            .find(|e| e["kind"] == json!("payment"))
            .unwrap_or_else(|| panic!("{ledger}"));
        assert_eq!(payment["out_trade_no"], json!(no));
        assert_eq!(payment["gross_fen"], json!(case.paid));
        assert_eq!(payment["fee_fen"], json!(case.fee));
        assert_eq!(payment["net_fen"], json!(case.paid - case.fee));
        let refund = entries
            .iter()
            .find(|e| e["kind"] == json!("refund"))
            .unwrap_or_else(|| panic!("{ledger}"));
        assert_eq!(refund["out_refund_no"], refunded["out_refund_no"]);
        assert_eq!(refund["gross_fen"], json!(-case.refund));
        assert_eq!(refund["fee_fen"], json!(-case.fee_back));
        assert_eq!(refund["net_fen"], json!(-(case.refund - case.fee_back)));

        // The T+1 statement of the day, as JSON and as CSV.
        let today = payment::china_day_of(chrono::Utc::now());
        let statement = app
            .get(
                &format!("/api/v1/admin/payments/statements/{today}"),
                shop.token(),
            )
            .await
            .expect(200);
        let totals = &statement["totals"];
        let (gross, fee) = (case.paid - case.refund, case.fee - case.fee_back);
        assert_eq!(totals["payment_count"], json!(1), "{statement}");
        assert_eq!(totals["refund_count"], json!(1), "{statement}");
        assert_eq!(totals["gross_fen"], json!(gross), "{statement}");
        assert_eq!(totals["fee_fen"], json!(fee), "{statement}");
        assert_eq!(totals["net_fen"], json!(gross - fee), "{statement}");
        let csv = app
            .client
            .get(format!(
                "{}/api/v1/admin/payments/statements/{today}?format=csv",
                app.address
            ))
            .bearer_auth(shop.token())
            .send()
            .await
            .unwrap_or_else(|err| panic!("{err}"))
            .text()
            .await
            .unwrap_or_default();
        assert_eq!(csv.lines().count(), 4, "{csv}");
        assert!(
            csv.trim_end()
                .ends_with(&format!(",total,,,,{gross},{fee},{}", gross - fee)),
            "{csv}"
        );
        done.push((id, no));
    }

    // Each shop sees only its own: after-sales, orders and books.
    let (a_id, a_no) = &done[0];
    let (b_id, b_no) = &done[1];
    app.get(&format!("/api/v1/admin/after-sales/{b_id}"), a.token())
        .await
        .expect_error(404, "order.after_sale_not_found");
    app.post(
        &format!("/api/v1/admin/after-sales/{b_id}/approve"),
        a.token(),
        json!({}),
    )
    .await
    .expect_error(404, "order.after_sale_not_found");
    let a_queue = app
        .get("/api/v1/admin/after-sales", a.token())
        .await
        .expect(200)
        .to_string();
    assert!(a_queue.contains(a_id.as_str()) && !a_queue.contains(b_id.as_str()));
    a.buyer
        .get(&app, &format!("/api/v1/shop/after-sales/{b_id}"))
        .await
        .expect_error(404, "order.after_sale_not_found");
    b.buyer
        .get(&app, &format!("/api/v1/shop/after-sales/{a_id}"))
        .await
        .expect_error(404, "order.after_sale_not_found");
    let b_mine = b
        .buyer
        .get(&app, "/api/v1/shop/after-sales")
        .await
        .expect(200)
        .to_string();
    assert!(b_mine.contains(b_id.as_str()) && !b_mine.contains(a_id.as_str()));
    let a_books = a.ledger_today(&app).await.to_string();
    assert!(a_books.contains(a_no.as_str()) && !a_books.contains(b_no.as_str()));
    let b_books = b.ledger_today(&app).await.to_string();
    assert!(b_books.contains(b_no.as_str()) && !b_books.contains(a_no.as_str()));
}
