//! The merchant's side: create, list, get, edit before the start, stop; stock set aside and
//! returned; every bad input answered with a clear 4xx.

use serde_json::json;

use super::sale_body;
use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::orders::order_shop;

on_every_backend!(flash_sales_are_created_edited_before_the_start_stopped_and_refuse_bad_input,);

async fn flash_sales_are_created_edited_before_the_start_stopped_and_refuse_bad_input(
    app: TestApp,
) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "promo-admin", 1000, 10).await;
    let other = order_shop(&app, &operator, "promo-other", 1000, 10).await;
    let token = shop.shop.token();
    let path = "/api/v1/admin/promo/flash-sales";

    // Bad input, each refused with its code and nothing set aside.
    let mut ends_first = sale_body(&shop.sku_id, 500, 1, 1, 3600);
    ends_first["ends_at"] = ends_first["starts_at"].clone();
    let refused = app
        .post(path, token, ends_first)
        .await
        .expect_error(422, "promo.invalid_input");
    assert_eq!(refused["fields"][0]["field"], "ends_at");
    let refused = app
        .post(path, token, sale_body(&shop.sku_id, 0, 1, 1, 3600))
        .await
        .expect_error(422, "promo.invalid_input");
    assert_eq!(refused["fields"][0]["field"], "items[0].sale_price_fen");
    app.post(path, token, sale_body(&shop.sku_id, 500, 11, 1, 3600))
        .await
        .expect_error(409, "promo.insufficient_stock");
    let refused = app
        .post(path, token, sale_body(&other.sku_id, 500, 1, 1, 3600))
        .await
        .expect_error(422, "promo.invalid_input");
    assert_eq!(refused["fields"][0]["field"], "items[0].sku_id");
    app.post(path, token, sale_body(&shop.sku_id, 500, 1, 0, 3600))
        .await
        .expect_error(422, "promo.invalid_input");
    app.post(path, token, json!({"title": "x"}))
        .await
        .expect_error(400, "request.invalid_json");
    assert_eq!(shop.stock(&app).await, 10);
    assert_eq!(other.stock(&app).await, 10);

    // A scheduled sale sets its quantity aside at once; it can be edited before it starts.
    let scheduled = app
        .post(path, token, sale_body(&shop.sku_id, 500, 4, 2, 3600))
        .await
        .expect(201);
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["per_customer_limit"], 2);
    assert_eq!(scheduled["items"][0]["quantity"], 4);
    assert_eq!(scheduled["items"][0]["sold"], 0);
    assert_eq!(shop.stock(&app).await, 6);
    let scheduled_id = text(&scheduled["id"]);
    let edited = app
        .put(
            &format!("{path}/{scheduled_id}"),
            token,
            sale_body(&shop.sku_id, 450, 3, 1, 3600),
        )
        .await
        .expect(200);
    assert_eq!(edited["items"][0]["sale_price_fen"], 450);
    assert_eq!(edited["items"][0]["quantity"], 3);
    assert_eq!(shop.stock(&app).await, 7);
    app.put(
        &format!("{path}/{scheduled_id}"),
        token,
        sale_body(&shop.sku_id, 450, 11, 1, 3600),
    )
    .await
    .expect_error(409, "promo.insufficient_stock");
    assert_eq!(shop.stock(&app).await, 7, "a refused edit changes nothing");

    // A live sale: no edits; the shop sees both with countdowns.
    let live = app
        .post(path, token, sale_body(&shop.sku_id, 300, 2, 1, -1))
        .await
        .expect(201);
    assert_eq!(live["status"], "live");
    let live_id = text(&live["id"]);
    assert_eq!(shop.stock(&app).await, 5);
    app.put(
        &format!("{path}/{live_id}"),
        token,
        sale_body(&shop.sku_id, 300, 2, 1, 60),
    )
    .await
    .expect_error(409, "promo.already_started");
    let listed = app.get(path, token).await.expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    let shop_view = app
        .shop_get("/api/v1/shop/flash-sales", &shop.shop.appid)
        .await
        .expect(200);
    assert!(shop_view["server_time"].is_string());
    let sales = shop_view["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(sales.len(), 2);
    let upcoming = sales.iter().find(|s| s["id"] == scheduled_id.as_str());
    assert!(upcoming.is_some_and(|s| s["status"] == "scheduled"
        && s["seconds_to_start"].as_i64().unwrap_or(0) > 3000
        && s["items"][0]["sold_out"] == false));
    let running = sales.iter().find(|s| s["id"] == live_id.as_str());
    assert!(running.is_some_and(|s| s["status"] == "live" && s["seconds_to_start"] == 0));
    let other_view = app
        .shop_get("/api/v1/shop/flash-sales", &other.shop.appid)
        .await
        .expect(200);
    assert_eq!(
        other_view["items"].as_array().map(Vec::len),
        Some(0),
        "another shop sees none"
    );

    // Stopping returns the unsold remainder once.
    let stopped = app
        .post(&format!("{path}/{live_id}/stop"), token, json!({}))
        .await
        .expect(200);
    assert_eq!(stopped["status"], "stopped");
    assert_eq!(shop.stock(&app).await, 7);
    app.post(&format!("{path}/{live_id}/stop"), token, json!({}))
        .await
        .expect_error(409, "promo.already_ended");
    assert_eq!(shop.stock(&app).await, 7);
    app.post(&format!("{path}/{scheduled_id}/stop"), token, json!({}))
        .await
        .expect(200);
    assert_eq!(shop.stock(&app).await, 10);
    app.put(
        &format!("{path}/{scheduled_id}"),
        token,
        sale_body(&shop.sku_id, 450, 3, 1, 3600),
    )
    .await
    .expect_error(409, "promo.already_ended");

    // Unknown, or another shop's: not found.
    let missing = format!("{path}/{}", uuid::Uuid::now_v7());
    app.get(&missing, token)
        .await
        .expect_error(404, "promo.not_found");
    app.get(&format!("{path}/{live_id}"), other.shop.token())
        .await
        .expect_error(404, "promo.not_found");
    app.post(
        &format!("{path}/{scheduled_id}/stop"),
        other.shop.token(),
        json!({}),
    )
    .await
    .expect_error(404, "promo.not_found");
}
