//! Checkout through HTTP: the preview's figures, the snapshot, cancel, bad input, isolation.

use reqwest::Method;
use serde_json::json;

use super::{Buyer, order_shop};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(
    an_order_snapshots_the_cart_reserves_stock_and_a_cancel_returns_it_once,
    bad_checkout_input_is_a_clear_4xx_and_reserves_and_writes_nothing,
    customers_see_only_their_own_orders_of_their_own_shop,
    shipped_orders_complete_by_themselves_after_the_receipt_window,
);

async fn shipped_orders_complete_by_themselves_after_the_receipt_window(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "auto", 1000, 5).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_auto").await;
    let address = buyer.address(&app).await;
    let placed = buyer
        .submit(
            &app,
            "auto-1",
            &address,
            json!([{"sku_id": shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    let no = text(&placed["order_no"]);
    // Paid as the notification would mark it (the payment itself is tested in `paying`).
    let marked = order::mark_order_paid(&app.db, shop.tenant(), &no, 2000, chrono::Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(marked, order::PaidOutcome::MarkedPaid);
    let again = order::mark_order_paid(&app.db, shop.tenant(), &no, 2000, chrono::Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(again, order::PaidOutcome::AlreadyPaid);
    app.post(
        &format!("/api/v1/admin/orders/{no}/ship"),
        shop.shop.token(),
        json!({"carrier": "YTO", "tracking_no": "YT0001"}),
    )
    .await
    .expect(200);

    let now = chrono::Utc::now();
    let none = order::complete_shipped_orders(&app.db, now - chrono::Duration::days(10))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(none.is_empty(), "not yet due");
    let later = now + chrono::Duration::seconds(1);
    let (first, second) = tokio::join!(
        order::complete_shipped_orders(&app.db, later),
        order::complete_shipped_orders(&app.db, later)
    );
    let mut done = first.unwrap_or_else(|err| panic!("{err}"));
    done.extend(second.unwrap_or_else(|err| panic!("{err}")));
    assert_eq!(done, vec![no.clone()], "completed once");
    let completed = buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}"))
        .await
        .expect(200);
    assert_eq!(completed["status"], json!("completed"));
    let last = completed["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["actor"], json!("system"));
    assert_eq!(completed["timeline"].as_array().map(Vec::len), Some(4));
}

async fn an_order_snapshots_the_cart_reserves_stock_and_a_cancel_returns_it_once(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "chk", 4000, 10).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_chk_1").await;
    let address_id = buyer.address(&app).await;
    buyer
        .post(
            &app,
            "/api/v1/shop/cart/lines",
            json!({"sku_id": shop.sku_id, "quantity": 2}),
        )
        .await
        .expect(200);

    // 2 × 40 yuan = 80 < 99: the flat fee applies.
    let preview = buyer
        .post(
            &app,
            "/api/v1/shop/checkout/preview",
            json!({"address_id": address_id}),
        )
        .await
        .expect(200);
    assert_eq!(preview["goods_total"]["amount"], json!(8000));
    assert_eq!(preview["freight"]["amount"], json!(1000));
    assert_eq!(preview["payable"]["amount"], json!(9000));
    assert_eq!(preview["discounts"], json!([]));
    assert!(text(&preview["freight"]["rule"]).contains("flat fee"));
    assert_eq!(shop.stock(&app).await, 10, "a preview reserves nothing");

    // Three: free shipping.
    let preview = buyer
        .post(
            &app,
            "/api/v1/shop/checkout/preview",
            json!({"address_id": address_id, "lines": [{"sku_id": shop.sku_id, "quantity": 3}]}),
        )
        .await
        .expect(200);
    assert_eq!(preview["freight"]["amount"], json!(0));
    assert_eq!(preview["payable"]["amount"], json!(12000));

    // The shop's own rule: ¥6, free from ¥200; bad figures refused.
    let token = shop.shop.token().to_owned();
    app.put(
        "/api/v1/admin/freight-rule",
        &token,
        json!({"flat_fee": -1, "free_over": 0}),
    )
    .await
    .expect_error(422, "order.invalid_input");
    app.put(
        "/api/v1/admin/freight-rule",
        &token,
        json!({"flat_fee": 600, "free_over": 20000}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get("/api/v1/admin/freight-rule", &token)
            .await
            .expect(200),
        json!({"flat_fee": 600, "free_over": 20000})
    );
    let preview = buyer
        .post(
            &app,
            "/api/v1/shop/checkout/preview",
            json!({"address_id": address_id, "lines": [{"sku_id": shop.sku_id, "quantity": 3}]}),
        )
        .await
        .expect(200);
    assert_eq!(preview["freight"]["amount"], json!(600));
    assert_eq!(preview["payable"]["amount"], json!(12600));
    app.put(
        "/api/v1/admin/freight-rule",
        &token,
        json!({"flat_fee": 1000, "free_over": 9900}),
    )
    .await
    .expect(200);

    let placed = buyer
        .call(
            &app,
            Method::POST,
            "/api/v1/shop/orders",
            Some(json!({"address_id": address_id, "remark": "请尽快发货"})),
            &[("Idempotency-Key", "cart-order-1")],
        )
        .await
        .expect(201);
    let no = text(&placed["order_no"]);
    assert!(
        no.len() <= 32 && no.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{no}"
    );
    assert_eq!(placed["status"], json!("pending_payment"));
    assert_eq!(placed["payable"], json!(9000));
    assert_eq!(placed["lines"][0]["title"], json!("龙井"));
    assert_eq!(placed["lines"][0]["unit_price"], json!(4000));
    assert_eq!(placed["address"]["consignee"], json!("张三"));
    assert_eq!(placed["timeline"][0]["to"], json!("pending_payment"));
    assert_eq!(shop.stock(&app).await, 8);
    shop.assert_redis_agrees(&app).await;
    let cart = buyer.get(&app, "/api/v1/shop/cart").await.expect(200);
    assert_eq!(cart["lines"], json!([]), "ordered lines leave the cart");

    // The snapshot does not follow later catalog changes.
    app.patch(
        &format!("/api/v1/admin/catalog/skus/{}", shop.sku_id),
        shop.shop.token(),
        json!({"price": 5000}),
    )
    .await
    .expect(200);
    let detail = buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}"))
        .await
        .expect(200);
    assert_eq!(detail["lines"][0]["unit_price"], json!(4000));

    // Unpaid: it cannot be shipped or confirmed. Customer service may look but not ship.
    let ship = json!({"carrier": "SF", "tracking_no": "SF1"});
    app.post(
        &format!("/api/v1/admin/orders/{no}/ship"),
        &token,
        ship.clone(),
    )
    .await
    .expect_error(409, "order.illegal_transition");
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{no}/confirm"),
            json!({}),
        )
        .await
        .expect_error(409, "order.illegal_transition");
    app.post(
        "/api/v1/admin/staff",
        &token,
        json!({"name": "客服", "email": "service@chk.test", "role": "service", "password": "service password"}),
    )
    .await
    .expect(201);
    let service = app
        .log_in(&shop.shop.shop.code, "service@chk.test", "service password")
        .await;
    app.get(&format!("/api/v1/admin/orders/{no}"), &service)
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/admin/orders/{no}/cancel"),
        &service,
        json!({"reason": "x"}),
    )
    .await
    .expect_error(403, "auth.forbidden");

    let cancelled = buyer
        .post(&app, &format!("/api/v1/shop/orders/{no}/cancel"), json!({}))
        .await
        .expect(200);
    assert_eq!(cancelled["status"], json!("cancelled"));
    assert_eq!(cancelled["timeline"][1]["from"], json!("pending_payment"));
    assert_eq!(cancelled["timeline"][1]["actor"], json!("customer"));
    assert_eq!(shop.stock(&app).await, 10);
    buyer
        .post(&app, &format!("/api/v1/shop/orders/{no}/cancel"), json!({}))
        .await
        .expect_error(409, "order.illegal_transition");
    assert_eq!(shop.stock(&app).await, 10, "stock is returned once");
    // Cancelled is final.
    for path in ["pay", "confirm", "cancel"] {
        buyer
            .post(&app, &format!("/api/v1/shop/orders/{no}/{path}"), json!({}))
            .await
            .expect_error(409, "order.illegal_transition");
    }
    app.post(&format!("/api/v1/admin/orders/{no}/ship"), &token, ship)
        .await
        .expect_error(409, "order.illegal_transition");
    app.post(
        &format!("/api/v1/admin/orders/{no}/cancel"),
        &token,
        json!({"reason": "again"}),
    )
    .await
    .expect_error(409, "order.illegal_transition");
    shop.assert_redis_agrees(&app).await;
}

async fn bad_checkout_input_is_a_clear_4xx_and_reserves_and_writes_nothing(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "badchk", 1000, 5).await;
    let other_shop = order_shop(&app, &operator, "badchk2", 1000, 5).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_bad_1").await;
    let address_id = buyer.address(&app).await;
    let sku = shop.sku_id.clone();

    for quantity in [0, -1, 1000, 9_007_199_254_740_991_i64] {
        buyer
            .submit(
                &app,
                "bad-q",
                &address_id,
                json!([{"sku_id": sku, "quantity": quantity}]),
            )
            .await
            .expect_error(422, "order.invalid_input");
    }
    buyer
        .submit(
            &app,
            "bad-stock",
            &address_id,
            json!([{"sku_id": sku, "quantity": 6}]),
        )
        .await
        .expect_error(409, "order.insufficient_stock");
    buyer
        .submit(
            &app,
            "bad-unknown",
            &address_id,
            json!([{"sku_id": uuid::Uuid::now_v7(), "quantity": 1}]),
        )
        .await
        .expect_error(404, "order.sku_not_found");
    buyer
        .submit(
            &app,
            "bad-other",
            &address_id,
            json!([{"sku_id": other_shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect_error(404, "order.sku_not_found");
    buyer
        .submit(&app, "bad-empty", &address_id, json!([]))
        .await
        .expect_error(422, "order.nothing_to_check_out");
    buyer
        .submit(
            &app,
            "bad-address",
            &uuid::Uuid::now_v7().to_string(),
            json!([{"sku_id": sku, "quantity": 1}]),
        )
        .await
        .expect_error(404, "order.address_not_found");
    for key in ["", "has space", &"k".repeat(65)] {
        buyer
            .submit(
                &app,
                key,
                &address_id,
                json!([{"sku_id": sku, "quantity": 1}]),
            )
            .await
            .expect_error(400, "order.invalid_idempotency_key");
    }
    app.post(
        &format!("/api/v1/admin/catalog/products/{}/status", shop.product_id),
        shop.shop.token(),
        json!({"status": "off_shelf"}),
    )
    .await
    .expect(200);
    buyer
        .submit(
            &app,
            "bad-off",
            &address_id,
            json!([{"sku_id": sku, "quantity": 1}]),
        )
        .await
        .expect_error(422, "order.sku_not_on_sale");

    assert_eq!(shop.stock(&app).await, 5);
    assert_eq!(other_shop.stock(&app).await, 5);
    assert_eq!(
        buyer.get(&app, "/api/v1/shop/orders").await.expect(200),
        json!([])
    );
    shop.assert_redis_agrees(&app).await;
}

async fn customers_see_only_their_own_orders_of_their_own_shop(app: TestApp) {
    let operator = app.operator_token().await;
    let a = order_shop(&app, &operator, "isoa", 1000, 5).await;
    let b = order_shop(&app, &operator, "isob", 1000, 5).await;
    let alice = Buyer::new(&app, &a.shop.appid, "o_iso_alice").await;
    let bob = Buyer::new(&app, &a.shop.appid, "o_iso_bob").await;
    let alice_in_b = Buyer::new(&app, &b.shop.appid, "o_iso_alice").await;
    let address = alice.address(&app).await;
    let placed = alice
        .submit(
            &app,
            "iso-1",
            &address,
            json!([{"sku_id": a.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    let no = text(&placed["order_no"]);

    bob.get(&app, &format!("/api/v1/shop/orders/{no}"))
        .await
        .expect_error(404, "order.not_found");
    bob.post(&app, &format!("/api/v1/shop/orders/{no}/cancel"), json!({}))
        .await
        .expect_error(404, "order.not_found");
    assert_eq!(
        bob.get(&app, "/api/v1/shop/orders").await.expect(200),
        json!([])
    );
    alice_in_b
        .get(&app, &format!("/api/v1/shop/orders/{no}"))
        .await
        .expect_error(404, "order.not_found");
    assert_eq!(
        alice_in_b
            .get(&app, "/api/v1/shop/orders")
            .await
            .expect(200),
        json!([])
    );
    // Alice's shop-A token is refused by shop B.
    app.request(
        Method::GET,
        "/api/v1/shop/orders",
        Some(&alice.token),
        None,
        &[("X-WX-Appid", b.shop.appid.as_str())],
    )
    .await
    .expect_error(401, "customer.wrong_shop");
    // Bob's same key is his own.
    let bob_address = bob.address(&app).await;
    let bobs = bob
        .submit(
            &app,
            "iso-1",
            &bob_address,
            json!([{"sku_id": a.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    assert_ne!(text(&bobs["order_no"]), no);
    assert_eq!(
        alice
            .get(&app, "/api/v1/shop/orders")
            .await
            .expect(200)
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
