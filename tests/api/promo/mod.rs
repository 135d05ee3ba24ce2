//! Flash sales (限时秒杀): admin CRUD and bad input, buying, limits, release on cancel and
//! timeout, rate limits and the per-tenant budget, and the race across two gateway instances.

mod admin;
mod buying;
mod races;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, text};
use crate::orders::{Buyer, OrderShop};

/// A sale body for one SKU, starting `starts_in` seconds from now (negative: already started).
pub fn sale_body(sku_id: &str, price: i64, quantity: i64, limit: i64, starts_in: i64) -> Value {
    let now = Utc::now();
    json!({
        "title": "双十一秒杀",
        "starts_at": (now + Duration::seconds(starts_in)).to_rfc3339(),
        "ends_at": (now + Duration::hours(2)).to_rfc3339(),
        "per_customer_limit": limit,
        "items": [{"sku_id": sku_id, "sale_price_fen": price, "quantity": quantity}],
    })
}

/// Creates a live sale of `quantity` units of the shop's SKU at `price`; returns its id.
pub async fn live_sale(
    app: &TestApp,
    shop: &OrderShop,
    price: i64,
    quantity: i64,
    limit: i64,
) -> String {
    text(
        &app.post(
            "/api/v1/admin/promo/flash-sales",
            shop.shop.token(),
            sale_body(&shop.sku_id, price, quantity, limit, -1),
        )
        .await
        .expect(201)["id"],
    )
}

/// One buy attempt through `base` (an app's address).
pub async fn buy_at(
    client: &reqwest::Client,
    base: &str,
    buyer: &Buyer,
    sale_id: &str,
    sku_id: &str,
    address_id: &str,
    key: &str,
) -> Reply {
    let response = client
        .request(
            Method::POST,
            format!("{base}/api/v1/shop/flash-sales/{sale_id}/orders"),
        )
        .bearer_auth(&buyer.token)
        .header("X-WX-Appid", &buyer.appid)
        .header("Idempotency-Key", key)
        .json(&json!({"sku_id": sku_id, "quantity": 1, "address_id": address_id}))
        .send()
        .await
        .unwrap_or_else(|err| panic!("request failed: {err:?}"));
    let status = response.status();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap_or_default();
    let mut body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if let (Some(retry_after), Some(object)) = (retry_after, body.as_object_mut()) {
        object.insert("retry_after_header".to_owned(), Value::String(retry_after));
    }
    Reply { status, body }
}

pub async fn buy(
    app: &TestApp,
    buyer: &Buyer,
    sale_id: &str,
    sku_id: &str,
    address_id: &str,
    key: &str,
) -> Reply {
    buy_at(
        &app.client,
        &app.address,
        buyer,
        sale_id,
        sku_id,
        address_id,
        key,
    )
    .await
}

/// The sale as the merchant sees it.
pub async fn sale(app: &TestApp, shop: &OrderShop, sale_id: &str) -> Value {
    app.get(
        &format!("/api/v1/admin/promo/flash-sales/{sale_id}"),
        shop.shop.token(),
    )
    .await
    .expect(200)
}

/// `sold` of the sale's first item.
pub async fn sold(app: &TestApp, shop: &OrderShop, sale_id: &str) -> i64 {
    sale(app, shop, sale_id).await["items"][0]["sold"]
        .as_i64()
        .unwrap_or(-1)
}

/// Asserts Redis (when seeded) holds what the database says is left for the sale.
pub async fn assert_redis_agrees(app: &TestApp, shop: &OrderShop, sale_id: &str) {
    let current = sale(app, shop, sale_id).await;
    let left = current["items"][0]["quantity"].as_i64().unwrap_or(-1)
        - current["items"][0]["sold"].as_i64().unwrap_or(-1);
    let redis = promo::redis_remaining(
        &app.state.cache,
        shop.tenant(),
        sale_id.parse().unwrap_or_default(),
        shop.sku(),
    )
    .await;
    if app.backend == crate::helpers::Backend::Services {
        assert_eq!(redis, Some(left), "redis and the database disagree");
    } else {
        assert_eq!(redis, None);
    }
}
