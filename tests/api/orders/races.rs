//! Races: the stock invariant (never oversold, never negative, Redis and the database agree),
//! idempotent submits and racing timeout sweeps.

use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::json;
use tokio::sync::Barrier;

use super::{Buyer, order_shop};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(
    two_hundred_concurrent_checkouts_of_fifty_in_stock_sell_exactly_fifty,
    twenty_concurrent_submits_with_one_key_make_one_order,
    two_racing_timeout_sweeps_cancel_each_order_once_and_return_stock_once,
    a_database_refusal_gives_the_redis_reservation_back_and_reconciliation_reports_drift,
);

async fn a_database_refusal_gives_the_redis_reservation_back_and_reconciliation_reports_drift(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "drift", 500, 5).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_drift").await;
    let address = buyer.address(&app).await;
    buyer
        .submit(
            &app,
            "drift-1",
            &address,
            json!([{"sku_id": shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    let services = app.backend == crate::helpers::Backend::Services;
    assert_eq!(shop.redis_stock(&app).await, services.then_some(4));

    // Stock leaves the database behind Redis's back (as an unmirrored write would).
    catalog::adjust_stock(
        &app.db,
        shop.tenant(),
        catalog::StockChange {
            sku_id: shop.sku(),
            delta: -4,
            reason: "damage".to_owned(),
            note: "test".to_owned(),
            actor_id: None,
        },
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));

    // Redis reserves, the database refuses: 409, and Redis gets its reservation back.
    buyer
        .submit(
            &app,
            "drift-2",
            &address,
            json!([{"sku_id": shop.sku_id, "quantity": 2}]),
        )
        .await
        .expect_error(409, "order.insufficient_stock");
    assert_eq!(shop.redis_stock(&app).await, services.then_some(4));
    assert_eq!(shop.stock(&app).await, 0);
    assert_eq!(
        buyer
            .get(&app, "/api/v1/shop/orders")
            .await
            .expect(200)
            .as_array()
            .map(Vec::len),
        Some(1),
        "nothing written"
    );

    let drift = order::reconcile_stock(
        &app.db,
        &app.state.catalog_cache,
        shop.tenant(),
        &[shop.sku()],
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    if services {
        assert_eq!(
            drift,
            vec![order::StockDrift {
                sku_id: shop.sku(),
                redis: 4,
                database: 0
            }]
        );
    } else {
        assert!(drift.is_empty());
    }
    shop.assert_redis_agrees(&app).await;
    // Once repaired, Redis refuses by itself.
    buyer
        .submit(
            &app,
            "drift-3",
            &address,
            json!([{"sku_id": shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect_error(409, "order.insufficient_stock");
}

async fn two_hundred_concurrent_checkouts_of_fifty_in_stock_sell_exactly_fifty(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "race", 500, 50).await;
    let app = Arc::new(app);
    let buyers = join_all((0..200).map(|i| {
        let app = app.clone();
        let appid = shop.shop.appid.clone();
        async move {
            let buyer = Buyer::new(&app, &appid, &format!("o_race_{i}")).await;
            let address = buyer.address(&app).await;
            (buyer, address)
        }
    }))
    .await;
    let barrier = Arc::new(Barrier::new(buyers.len()));
    let tasks = buyers.into_iter().map(|(buyer, address)| {
        let app = app.clone();
        let barrier = barrier.clone();
        let sku = shop.sku_id.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            let reply = buyer
                .submit(
                    &app,
                    "race",
                    &address,
                    json!([{"sku_id": sku, "quantity": 1}]),
                )
                .await;
            (reply.status.as_u16(), reply.code().to_owned())
        })
    });
    let outcomes: Vec<(u16, String)> = join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.unwrap_or_else(|err| panic!("{err}")))
        .collect();
    let placed = outcomes.iter().filter(|(status, _)| *status == 201).count();
    let refused = outcomes
        .iter()
        .filter(|(status, code)| *status == 409 && code == "order.insufficient_stock")
        .count();
    assert_eq!(placed, 50, "outcomes: {outcomes:?}");
    assert_eq!(refused, 150, "outcomes: {outcomes:?}");
    assert_eq!(shop.stock(&app).await, 0);
    if app.backend == crate::helpers::Backend::Services {
        assert_eq!(
            shop.redis_stock(&app).await,
            Some(0),
            "redis was seeded and used"
        );
    }
    shop.assert_redis_agrees(&app).await;
}

async fn twenty_concurrent_submits_with_one_key_make_one_order(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "idem", 500, 50).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_idem").await;
    let address = buyer.address(&app).await;
    let app = Arc::new(app);
    let buyer = Arc::new(buyer);
    let barrier = Arc::new(Barrier::new(20));
    let tasks = (0..20).map(|_| {
        let (app, buyer, barrier) = (app.clone(), buyer.clone(), barrier.clone());
        let (address, sku) = (address.clone(), shop.sku_id.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            let reply = buyer
                .submit(
                    &app,
                    "one-key",
                    &address,
                    json!([{"sku_id": sku, "quantity": 2}]),
                )
                .await;
            assert!(
                reply.status.as_u16() == 201,
                "every submit returns the order: {} {}",
                reply.status,
                reply.body
            );
            text(&reply.body["order_no"])
        })
    });
    let numbers: Vec<String> = join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.unwrap_or_else(|err| panic!("{err}")))
        .collect();
    assert!(numbers.iter().all(|no| no == &numbers[0]), "{numbers:?}");
    let orders = buyer.get(&app, "/api/v1/shop/orders").await.expect(200);
    assert_eq!(orders.as_array().map(Vec::len), Some(1));
    assert_eq!(shop.stock(&app).await, 48, "reserved once");
    shop.assert_redis_agrees(&app).await;
}

async fn two_racing_timeout_sweeps_cancel_each_order_once_and_return_stock_once(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "sweep", 500, 30).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_sweep").await;
    let address = buyer.address(&app).await;
    let mut numbers = Vec::new();
    for i in 0..10 {
        let placed = buyer
            .submit(
                &app,
                &format!("sweep-{i}"),
                &address,
                json!([{"sku_id": shop.sku_id, "quantity": 2}]),
            )
            .await
            .expect(201);
        numbers.push(text(&placed["order_no"]));
    }
    // One is cancelled by the customer first: the sweeps must leave it alone.
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{}/cancel", numbers[0]),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(shop.stock(&app).await, 12);

    // Not yet expired: nothing happens.
    let early = order::cancel_expired_orders(&app.db, &app.state.catalog_cache, chrono::Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(early.cancelled.is_empty());

    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let barrier = Arc::new(Barrier::new(2));
    let app = Arc::new(app);
    let sweeps = (0..2).map(|_| {
        let (app, barrier) = (app.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            order::cancel_expired_orders(&app.db, &app.state.catalog_cache, later)
                .await
                .unwrap_or_else(|err| panic!("{err}"))
        })
    });
    let mut cancelled: Vec<String> = join_all(sweeps)
        .await
        .into_iter()
        .flat_map(|joined| joined.unwrap_or_else(|err| panic!("{err}")).cancelled)
        .collect();
    cancelled.sort();
    let mut expected = numbers[1..].to_vec();
    expected.sort();
    assert_eq!(
        cancelled, expected,
        "each expired order cancelled exactly once"
    );
    assert_eq!(shop.stock(&app).await, 30, "stock returned exactly once");
    shop.assert_redis_agrees(&app).await;
    for no in &numbers[1..] {
        let order = buyer
            .get(&app, &format!("/api/v1/shop/orders/{no}"))
            .await
            .expect(200);
        assert_eq!(order["status"], json!("cancelled"));
        assert_eq!(order["timeline"][1]["actor"], json!("system"));
        assert_eq!(order["timeline"].as_array().map(Vec::len), Some(2));
    }
}
