//! Buying: the per-customer limit under parallel requests, idempotent retries, the unit given back
//! once on timeout or cancel, rate limits and the per-tenant budget.

use std::sync::Arc;

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;
use tokio::sync::Barrier;

use super::{assert_redis_agrees, buy, live_sale, sold};
use crate::helpers::{Backend, TestApp, spawn_app_with, text};
use crate::on_every_backend;
use crate::orders::{Buyer, order_shop};

on_every_backend!(
    one_customer_firing_fifty_parallel_buys_with_limit_one_gets_one_order,
    an_unpaid_flash_sale_order_timing_out_returns_its_unit_once_to_a_later_buyer,
    a_customer_who_cancels_gets_the_limit_back_and_a_retried_key_gives_the_same_order,
    an_ended_sale_returns_its_remainder_once_and_a_later_cancellation_goes_to_the_sku,
);

async fn an_ended_sale_returns_its_remainder_once_and_a_later_cancellation_goes_to_the_sku(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "promo-end", 1000, 10).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_ender").await;
    let address = buyer.address(&app).await;
    // A regular order first, so the order crate's Redis stock of the SKU is seeded (9).
    buyer
        .submit(
            &app,
            "plain-1",
            &address,
            json!([{"sku_id": shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    let sale_id = live_sale(&app, &shop, 500, 3, 1).await;
    let order = buy(&app, &buyer, &sale_id, &shop.sku_id, &address, "e-1")
        .await
        .expect(201);
    assert_eq!(shop.stock(&app).await, 6);
    shop.assert_redis_agrees(&app).await;

    // The worker's settlement after the end, twice at once: the two unsold units return once.
    let after_end = chrono::Utc::now() + chrono::Duration::hours(3);
    let (one, two) = tokio::join!(
        gateway::flows::settle_ended_flash_sales(&app.state, after_end),
        gateway::flows::settle_ended_flash_sales(&app.state, after_end),
    );
    assert!(one.is_ok() && two.is_ok());
    assert_eq!(shop.stock(&app).await, 8);
    shop.assert_redis_agrees(&app).await;
    let settled = super::sale(&app, &shop, &sale_id).await;
    assert!(settled["settled_at"].is_string());
    assert_eq!(settled["items"][0]["quantity"], 1);
    buy(&app, &buyer, &sale_id, &shop.sku_id, &address, "e-2")
        .await
        .expect_error(409, "promo.not_live");

    // Its order cancelled afterwards: the unit goes to the SKU, once.
    let no = text(&order["order_no"]);
    buyer
        .post(&app, &format!("/api/v1/shop/orders/{no}/cancel"), json!({}))
        .await
        .expect(200);
    assert_eq!(shop.stock(&app).await, 9);
    // The sweep then cancels only the plain order (its unit to the SKU); the flash one is done.
    let swept = gateway::flows::sweep_unpaid_orders(&app.state, after_end).await;
    assert!(swept.is_ok_and(|r| r.cancelled.len() == 1 && r.promo_cancelled.is_empty()));
    assert_eq!(shop.stock(&app).await, 10);
    assert_eq!(sold(&app, &shop, &sale_id).await, 0);
    shop.assert_redis_agrees(&app).await;
    assert_eq!(
        shop.redis_stock(&app).await.is_some(),
        app.backend == Backend::Services
    );
}

async fn one_customer_firing_fifty_parallel_buys_with_limit_one_gets_one_order(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "promo-one", 1000, 100).await;
    let sale_id = live_sale(&app, &shop, 100, 20, 1).await;
    let buyer = Arc::new(Buyer::new(&app, &shop.shop.appid, "o_greedy").await);
    let address = buyer.address(&app).await;
    let app = Arc::new(app);
    let barrier = Arc::new(Barrier::new(50));
    let attempts = (0..50).map(|i| {
        let (app, buyer, barrier) = (app.clone(), buyer.clone(), barrier.clone());
        let (sale_id, sku_id, address) = (sale_id.clone(), shop.sku_id.clone(), address.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            buy(
                &app,
                &buyer,
                &sale_id,
                &sku_id,
                &address,
                &format!("greedy-{i}"),
            )
            .await
        })
    });
    let mut placed = 0;
    for reply in join_all(attempts).await.into_iter().flatten() {
        match reply.status.as_u16() {
            201 => placed += 1,
            409 => assert_eq!(reply.code(), "promo.limit_reached", "{}", reply.body),
            429 => assert_eq!(reply.code(), "promo.rate_limited", "{}", reply.body),
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(placed, 1, "exactly one order");
    let orders = buyer.get(&app, "/api/v1/shop/orders").await.expect(200);
    assert_eq!(orders.as_array().map(Vec::len), Some(1));
    assert_eq!(
        orders[0]["lines"][0]["unit_price"], 100,
        "the sale price is snapshotted"
    );
    assert_eq!(orders[0]["promo_activity_id"], sale_id.as_str());
    assert_eq!(sold(&app, &shop, &sale_id).await, 1);
    assert_eq!(
        shop.stock(&app).await,
        80,
        "the order does not touch the SKU's stock"
    );
    assert_redis_agrees(&app, &shop, &sale_id).await;
}

async fn an_unpaid_flash_sale_order_timing_out_returns_its_unit_once_to_a_later_buyer(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "promo-timeout", 1000, 10).await;
    let sale_id = live_sale(&app, &shop, 500, 1, 1).await;
    let first = Buyer::new(&app, &shop.shop.appid, "o_first").await;
    let later = Buyer::new(&app, &shop.shop.appid, "o_later").await;
    let (first_address, later_address) = (first.address(&app).await, later.address(&app).await);
    let order = buy(&app, &first, &sale_id, &shop.sku_id, &first_address, "t-1")
        .await
        .expect(201);
    assert_eq!(order["status"], "pending_payment");
    buy(&app, &later, &sale_id, &shop.sku_id, &later_address, "t-2")
        .await
        .expect_error(409, "promo.sold_out");
    let sold_out = app
        .shop_get("/api/v1/shop/flash-sales", &shop.shop.appid)
        .await
        .expect(200);
    assert_eq!(sold_out["items"][0]["items"][0]["sold_out"], true);
    assert_eq!(shop.stock(&app).await, 9);

    // Two sweeps past the deadline (racing): the order is cancelled and its unit returned once.
    let later_than_deadline = chrono::Utc::now() + chrono::Duration::days(1);
    let (one, two) = tokio::join!(
        gateway::flows::sweep_unpaid_orders(&app.state, later_than_deadline),
        gateway::flows::sweep_unpaid_orders(&app.state, later_than_deadline),
    );
    let cancelled =
        one.map(|r| r.cancelled.len()).unwrap_or(99) + two.map(|r| r.cancelled.len()).unwrap_or(99);
    assert_eq!(cancelled, 1);
    let again = gateway::flows::sweep_unpaid_orders(&app.state, later_than_deadline).await;
    assert!(again.is_ok_and(|r| r.cancelled.is_empty()));
    assert_eq!(
        sold(&app, &shop, &sale_id).await,
        0,
        "the unit is back once"
    );
    assert_eq!(
        shop.stock(&app).await,
        9,
        "the unit went back to the sale, not the SKU"
    );
    let no = text(&order["order_no"]);
    assert_eq!(
        first
            .get(&app, &format!("/api/v1/shop/orders/{no}"))
            .await
            .expect(200)["status"],
        "cancelled"
    );
    assert_redis_agrees(&app, &shop, &sale_id).await;

    // A later buyer gets it.
    buy(&app, &later, &sale_id, &shop.sku_id, &later_address, "t-3")
        .await
        .expect(201);
    assert_eq!(sold(&app, &shop, &sale_id).await, 1);
    assert_redis_agrees(&app, &shop, &sale_id).await;
}

async fn a_customer_who_cancels_gets_the_limit_back_and_a_retried_key_gives_the_same_order(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "promo-cancel", 1000, 10).await;
    let sale_id = live_sale(&app, &shop, 700, 5, 1).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_canceller").await;
    let address = buyer.address(&app).await;
    let placed = buy(&app, &buyer, &sale_id, &shop.sku_id, &address, "c-1")
        .await
        .expect(201);
    let no = text(&placed["order_no"]);
    let retried = buy(&app, &buyer, &sale_id, &shop.sku_id, &address, "c-1")
        .await
        .expect(201);
    assert_eq!(
        text(&retried["order_no"]),
        no,
        "the same key gives the same order"
    );
    buy(&app, &buyer, &sale_id, &shop.sku_id, &address, "c-2")
        .await
        .expect_error(409, "promo.limit_reached");
    assert_eq!(sold(&app, &shop, &sale_id).await, 1);

    // Bad input and unknown sales.
    buyer
        .call(
            &app,
            Method::POST,
            &format!("/api/v1/shop/flash-sales/{sale_id}/orders"),
            Some(json!({"sku_id": shop.sku_id, "quantity": 0, "address_id": address})),
            &[("Idempotency-Key", "c-3")],
        )
        .await
        .expect_error(422, "promo.invalid_input");
    buyer
        .call(
            &app,
            Method::POST,
            &format!("/api/v1/shop/flash-sales/{sale_id}/orders"),
            Some(json!({"sku_id": shop.sku_id, "quantity": 1, "address_id": address})),
            &[],
        )
        .await
        .expect_error(422, "promo.invalid_input");
    buy(
        &app,
        &buyer,
        &uuid::Uuid::now_v7().to_string(),
        &shop.sku_id,
        &address,
        "c-4",
    )
    .await
    .expect_error(404, "promo.not_found");

    buyer
        .post(&app, &format!("/api/v1/shop/orders/{no}/cancel"), json!({}))
        .await
        .expect(200);
    assert_eq!(sold(&app, &shop, &sale_id).await, 0);
    buy(&app, &buyer, &sale_id, &shop.sku_id, &address, "c-5")
        .await
        .expect(201);
    assert_eq!(sold(&app, &shop, &sale_id).await, 1);
    assert_eq!(shop.stock(&app).await, 5);
    assert_redis_agrees(&app, &shop, &sale_id).await;

    // Stopping: the unsold 4 go back; cancelling the remaining order then returns its unit to
    // the SKU (the sale is settled), once.
    let stopped = app
        .post(
            &format!("/api/v1/admin/promo/flash-sales/{sale_id}/stop"),
            shop.shop.token(),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(stopped["items"][0]["quantity"], 1);
    assert_eq!(shop.stock(&app).await, 9);
    buy(&app, &buyer, &sale_id, &shop.sku_id, &address, "c-6")
        .await
        .expect_error(409, "promo.not_live");
    let orders = buyer.get(&app, "/api/v1/shop/orders").await.expect(200);
    let pending = orders
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["status"] == "pending_payment")
        .map(|o| text(&o["order_no"]))
        .unwrap_or_default();
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{pending}/cancel"),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(shop.stock(&app).await, 10);
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{pending}/cancel"),
            json!({}),
        )
        .await
        .expect_error(409, "order.illegal_transition");
    assert_eq!(shop.stock(&app).await, 10);
}

/// Rate limits (per customer, per IP) and the per-tenant budget, on a gateway configured tight.
async fn limits_and_the_budget(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.promo.customer_attempts_per_window = 3;
        settings.promo.ip_attempts_per_window = 5;
        settings.promo.rate_window_secs = 3600;
        settings.promo.tenant_in_flight = 2;
    })
    .await;
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "promo-hot", 1000, 50).await;
    let calm = order_shop(&app, &operator, "promo-calm", 1000, 50).await;
    let sale_id = live_sale(&app, &shop, 100, 10, 5).await;
    let calm_sale = live_sale(&app, &calm, 100, 10, 5).await;
    let one = Buyer::new(&app, &shop.shop.appid, "o_rl_one").await;
    let two = Buyer::new(&app, &shop.shop.appid, "o_rl_two").await;
    let calm_buyer = Buyer::new(&app, &calm.shop.appid, "o_calm").await;
    let (one_address, two_address) = (one.address(&app).await, two.address(&app).await);
    let calm_address = calm_buyer.address(&app).await;

    // The per-tenant budget: with the hot shop's two slots held, its buys are refused at once;
    // the calm shop's reads and buys are untouched.
    let held = (
        app.state.promo_budget.try_enter(shop.tenant()),
        app.state.promo_budget.try_enter(shop.tenant()),
    );
    assert!(held.0.is_ok() && held.1.is_ok());
    let busy = buy(&app, &one, &sale_id, &shop.sku_id, &one_address, "b-0").await;
    assert_eq!(busy.body["retry_after_header"], "1", "{}", busy.body);
    busy.expect_error(429, "promo.busy");
    for _ in 0..5 {
        app.shop_get("/api/v1/shop/catalog/products", &calm.shop.appid)
            .await
            .expect(200);
        app.shop_get(
            &format!("/api/v1/shop/catalog/products/{}", calm.product_id),
            &calm.shop.appid,
        )
        .await
        .expect(200);
    }
    buy(
        &app,
        &calm_buyer,
        &calm_sale,
        &calm.sku_id,
        &calm_address,
        "calm-1",
    )
    .await
    .expect(201);
    drop(held);

    // Per customer: three attempts per window, then 429 with Retry-After.
    for key in ["r-1", "r-2", "r-3"] {
        let reply = buy(&app, &one, &sale_id, &shop.sku_id, &one_address, key).await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.body);
    }
    let limited = buy(&app, &one, &sale_id, &shop.sku_id, &one_address, "r-4").await;
    let retry_after: u64 = limited.body["retry_after_header"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=3600).contains(&retry_after), "{}", limited.body);
    limited.expect_error(429, "promo.rate_limited");
    // Per IP (all from 127.0.0.1): the fifth attempt passes, the sixth is refused.
    buy(&app, &two, &sale_id, &shop.sku_id, &two_address, "ip-1")
        .await
        .expect(201);
    buy(&app, &two, &sale_id, &shop.sku_id, &two_address, "ip-2")
        .await
        .expect_error(429, "promo.rate_limited");
    assert_eq!(sold(&app, &shop, &sale_id).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_the_tenant_budget_answer_429_embedded() {
    limits_and_the_budget(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_the_tenant_budget_answer_429_services() {
    if testkit::service_urls().is_none() {
        eprintln!("skipped: PostgreSQL + Redis not configured for tests");
        return;
    }
    limits_and_the_budget(Backend::Services).await;
}
