//! A purchase end to end: login → cart → checkout → pay → the sandbox user pays → notification →
//! the order is paid, exactly once.

use serde_json::json;

use super::{Buyer, OrderShop};
use crate::catalog_helpers::{CatalogShop, new_category, new_product, put_on_sale};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::payments::{eventually, pay_shop, user_pays};

on_every_backend!(a_purchase_is_paid_through_wechat_pay_exactly_once);

async fn a_purchase_is_paid_through_wechat_pay_exactly_once(app: TestApp) {
    let operator = app.operator_token().await;
    let paying = pay_shop(&app, &operator, None).await;
    let shop = CatalogShop {
        appid: paying.appid.clone(),
        shop: paying.shop,
    };
    let category_id = new_category(&app, &shop, json!({"name": "茶"})).await;
    let product = new_product(
        &app,
        &shop,
        json!({"category_id": category_id, "title": "碧螺春", "skus": [{"price": 2500, "stock": 5}]}),
    )
    .await;
    let product_id = text(&product["id"]);
    put_on_sale(&app, &shop, &product_id).await;
    let shop = OrderShop {
        sku_id: text(&product["skus"][0]["id"]),
        product_id,
        shop,
    };

    let buyer = Buyer::new(&app, &shop.shop.appid, "o_buyer_0001").await;
    let address = buyer.address(&app).await;
    buyer
        .post(
            &app,
            "/api/v1/shop/cart/lines",
            json!({"sku_id": shop.sku_id, "quantity": 2}),
        )
        .await
        .expect(200);
    let placed = buyer
        .call(
            &app,
            reqwest::Method::POST,
            "/api/v1/shop/orders",
            Some(json!({"address_id": address})),
            &[("Idempotency-Key", "pay-1")],
        )
        .await
        .expect(201);
    let no = text(&placed["order_no"]);
    assert_eq!(
        placed["payable"],
        json!(6000),
        "2 × 25 yuan + 10 yuan freight"
    );

    let params = buyer
        .post(&app, &format!("/api/v1/shop/orders/{no}/pay"), json!({}))
        .await
        .expect(200);
    let package = text(&params["package"]);
    let prepay_id = package
        .strip_prefix("prepay_id=")
        .unwrap_or_else(|| panic!("package: {package}"));
    assert!(!text(&params["paySign"]).is_empty());

    user_pays(&app, prepay_id).await;
    eventually("the order to be paid", || async {
        buyer
            .get(&app, &format!("/api/v1/shop/orders/{no}"))
            .await
            .body["status"]
            == json!("paid")
    })
    .await;
    let paid = buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}"))
        .await
        .expect(200);
    assert!(paid["paid_at"].is_string());
    let timeline = paid["timeline"].as_array().cloned().unwrap_or_default();
    assert_eq!(timeline.len(), 2, "one paid transition: {timeline:?}");
    assert_eq!(timeline[1]["to"], json!("paid"));

    // Paid: no longer payable, no longer cancellable by the customer; the sweep leaves it alone.
    buyer
        .post(&app, &format!("/api/v1/shop/orders/{no}/pay"), json!({}))
        .await
        .expect_error(409, "order.illegal_transition");
    buyer
        .post(&app, &format!("/api/v1/shop/orders/{no}/cancel"), json!({}))
        .await
        .expect_error(409, "order.illegal_transition");
    let swept = order::cancel_expired_orders(
        &app.db,
        &app.state.catalog_cache,
        chrono::Utc::now() + chrono::Duration::hours(2),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    assert!(swept.cancelled.is_empty());
    assert_eq!(shop.stock(&app).await, 3);
}
