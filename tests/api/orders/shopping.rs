//! The cart and the addresses of one customer.

use reqwest::Method;
use serde_json::json;

use super::{Buyer, address_body, order_shop};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(
    the_cart_rechecks_price_stock_and_status_and_says_what_changed,
    addresses_have_one_default_and_refuse_missing_fields,
);

async fn the_cart_rechecks_price_stock_and_status_and_says_what_changed(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "cart", 1200, 5).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_cart_1").await;

    let cart = buyer
        .post(
            &app,
            "/api/v1/shop/cart/lines",
            json!({"sku_id": shop.sku_id, "quantity": 2}),
        )
        .await
        .expect(200);
    assert_eq!(cart["goods_total"], json!(2400));
    let cart = buyer
        .post(
            &app,
            "/api/v1/shop/cart/lines",
            json!({"sku_id": shop.sku_id, "quantity": 1}),
        )
        .await
        .expect(200);
    assert_eq!(
        cart["lines"].as_array().map(Vec::len),
        Some(1),
        "one line per SKU"
    );
    assert_eq!(cart["lines"][0]["quantity"], json!(3));
    let line_id = text(&cart["lines"][0]["id"]);

    for quantity in [0, -1, 1000, 1_000_000_000_000_i64] {
        buyer
            .post(
                &app,
                "/api/v1/shop/cart/lines",
                json!({"sku_id": shop.sku_id, "quantity": quantity}),
            )
            .await
            .expect_error(422, "order.invalid_input");
    }
    buyer
        .post(
            &app,
            "/api/v1/shop/cart/lines",
            json!({"sku_id": uuid::Uuid::now_v7(), "quantity": 1}),
        )
        .await
        .expect_error(404, "order.sku_not_found");

    // The merchant raises the price and the stock drops below the line.
    app.patch(
        &format!("/api/v1/admin/catalog/skus/{}", shop.sku_id),
        shop.shop.token(),
        json!({"price": 1500}),
    )
    .await
    .expect(200);
    app.post(
        &format!(
            "/api/v1/admin/catalog/skus/{}/stock-adjustments",
            shop.sku_id
        ),
        shop.shop.token(),
        json!({"delta": -3, "reason": "damage"}),
    )
    .await
    .expect(201);
    let cart = buyer.get(&app, "/api/v1/shop/cart").await.expect(200);
    let line = &cart["lines"][0];
    assert_eq!(line["unit_price"], json!(1500));
    assert_eq!(line["available"], json!(false));
    let notices = line["notices"].to_string();
    assert!(
        notices.contains("price_changed") && notices.contains("\"was\":1200"),
        "{notices}"
    );
    assert!(
        notices.contains("not_enough_stock") && notices.contains("\"available\":2"),
        "{notices}"
    );
    assert_eq!(cart["goods_total"], json!(0));

    let cart = buyer
        .call(
            &app,
            Method::PATCH,
            &format!("/api/v1/shop/cart/lines/{line_id}"),
            Some(json!({"quantity": 2})),
            &[],
        )
        .await
        .expect(200);
    assert_eq!(cart["lines"][0]["available"], json!(true));
    assert_eq!(cart["goods_total"], json!(3000));

    // Off the shelf: the line stays, marked.
    app.post(
        &format!("/api/v1/admin/catalog/products/{}/status", shop.product_id),
        shop.shop.token(),
        json!({"status": "off_shelf"}),
    )
    .await
    .expect(200);
    let cart = buyer.get(&app, "/api/v1/shop/cart").await.expect(200);
    assert!(
        cart["lines"][0]["notices"]
            .to_string()
            .contains("off_shelf")
    );

    // Another customer cannot touch this line.
    let other = Buyer::new(&app, &shop.shop.appid, "o_cart_2").await;
    other
        .call(
            &app,
            Method::DELETE,
            &format!("/api/v1/shop/cart/lines/{line_id}"),
            None,
            &[],
        )
        .await
        .expect_error(404, "order.cart_line_not_found");
    let cart = buyer
        .call(
            &app,
            Method::DELETE,
            &format!("/api/v1/shop/cart/lines/{line_id}"),
            None,
            &[],
        )
        .await
        .expect(200);
    assert_eq!(cart["lines"], json!([]));
}

async fn addresses_have_one_default_and_refuse_missing_fields(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "addr", 1200, 5).await;
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_addr_1").await;

    let mut missing = address_body();
    missing["detail"] = json!(" ");
    missing["mobile"] = json!("12345");
    let body = buyer
        .post(&app, "/api/v1/shop/addresses", missing)
        .await
        .expect_error(422, "order.invalid_input");
    let fields = body["fields"].to_string();
    assert!(
        fields.contains("detail") && fields.contains("mobile"),
        "{fields}"
    );
    assert_eq!(
        buyer.get(&app, "/api/v1/shop/addresses").await.expect(200),
        json!([])
    );

    let first = buyer.address(&app).await;
    let mut second_body = address_body();
    second_body["is_default"] = json!(true);
    second_body["consignee"] = json!("李四");
    let second = text(
        &buyer
            .post(&app, "/api/v1/shop/addresses", second_body)
            .await
            .expect(201)["id"],
    );
    let list = buyer.get(&app, "/api/v1/shop/addresses").await.expect(200);
    assert_eq!(text(&list[0]["id"]), second, "the default comes first");
    assert_eq!(list[0]["is_default"], json!(true));
    assert_eq!(list[1]["is_default"], json!(false));

    let mut changed = address_body();
    changed["is_default"] = json!(true);
    buyer
        .call(
            &app,
            Method::PUT,
            &format!("/api/v1/shop/addresses/{first}"),
            Some(changed),
            &[],
        )
        .await
        .expect(200);
    let list = buyer.get(&app, "/api/v1/shop/addresses").await.expect(200);
    assert_eq!(text(&list[0]["id"]), first);
    assert_eq!(list[1]["is_default"], json!(false));

    let other = Buyer::new(&app, &shop.shop.appid, "o_addr_2").await;
    other
        .call(
            &app,
            Method::DELETE,
            &format!("/api/v1/shop/addresses/{first}"),
            None,
            &[],
        )
        .await
        .expect_error(404, "order.address_not_found");
    buyer
        .call(
            &app,
            Method::DELETE,
            &format!("/api/v1/shop/addresses/{first}"),
            None,
            &[],
        )
        .await
        .expect(204);
}
