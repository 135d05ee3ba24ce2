//! Bad catalog input: each gets a clear 4xx with a stable code, and nothing is written.

use serde_json::{Value, json};

use crate::catalog_helpers::{new_catalog_shop, new_category, new_product, simple_product};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(bad_catalog_input_is_refused_with_a_stable_code_and_nothing_is_written,);

fn with_skus(category: &str, specs: Value, skus: Value) -> Value {
    json!({"category_id": category, "title": "坏商品", "specs": specs, "skus": skus})
}

async fn bad_catalog_input_is_refused_with_a_stable_code_and_nothing_is_written(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "badcat").await;
    let category = new_category(&app, &shop, json!({"name": "服装"})).await;
    let colours = json!([{"name": "颜色", "values": ["红", "蓝"]}]);
    let unknown_category = uuid::Uuid::now_v7().to_string();

    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "negative price",
            simple_product(&category, "x", -100),
            422,
            "catalog.invalid_price",
        ),
        (
            "zero price",
            simple_product(&category, "x", 0),
            422,
            "catalog.invalid_price",
        ),
        (
            "absurd price",
            simple_product(&category, "x", 100_000_000_000),
            422,
            "catalog.invalid_price",
        ),
        (
            "list price below price",
            json!({"category_id": category, "title": "x", "skus": [{"price": 500, "list_price": 400}]}),
            422,
            "catalog.invalid_price",
        ),
        (
            "price as a float",
            json!({"category_id": category, "title": "x", "skus": [{"price": 9.9}]}),
            400,
            "request.invalid_json",
        ),
        (
            "duplicate combination",
            with_skus(
                &category,
                colours.clone(),
                json!([{"spec_values": ["红"], "price": 100}, {"spec_values": ["红"], "price": 200}]),
            ),
            422,
            "catalog.duplicate_sku_combination",
        ),
        (
            "value not in the attribute",
            with_skus(
                &category,
                colours.clone(),
                json!([{"spec_values": ["绿"], "price": 100}]),
            ),
            422,
            "catalog.sku_combination_mismatch",
        ),
        (
            "too few values",
            with_skus(
                &category,
                colours.clone(),
                json!([{"spec_values": [], "price": 100}]),
            ),
            422,
            "catalog.sku_combination_mismatch",
        ),
        (
            "no SKU",
            with_skus(&category, json!([]), json!([])),
            422,
            "catalog.invalid_input",
        ),
        (
            "negative stock",
            json!({"category_id": category, "title": "x", "skus": [{"price": 100, "stock": -1}]}),
            422,
            "catalog.invalid_input",
        ),
        (
            "empty title",
            simple_product(&category, "  ", 100),
            422,
            "catalog.invalid_input",
        ),
        (
            "not an image URL",
            json!({"category_id": category, "title": "x", "images": ["javascript:alert(1)"], "skus": [{"price": 100}]}),
            422,
            "catalog.invalid_input",
        ),
        (
            "unknown category",
            simple_product(&unknown_category, "x", 100),
            404,
            "catalog.category_not_found",
        ),
        (
            "unknown field",
            json!({"category_id": category, "title": "x", "skus": [{"price": 100}], "price": 1}),
            400,
            "request.invalid_json",
        ),
    ];
    for (what, body, status, code) in cases {
        let reply = app
            .post("/api/v1/admin/catalog/products", shop.token(), body)
            .await;
        assert_eq!(reply.status.as_u16(), status, "{what}: {}", reply.body);
        assert_eq!(reply.code(), code, "{what}: {}", reply.body);
        assert!(
            !reply.body["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{what}: no message"
        );
    }
    let products = app
        .get("/api/v1/admin/catalog/products", shop.token())
        .await
        .expect(200);
    assert_eq!(
        products["items"],
        json!([]),
        "a refused product was written"
    );

    // Categories nest three levels at most.
    let second = new_category(&app, &shop, json!({"name": "上衣", "parent_id": category})).await;
    let third = new_category(&app, &shop, json!({"name": "T恤", "parent_id": second})).await;
    app.post(
        "/api/v1/admin/catalog/categories",
        shop.token(),
        json!({"name": "太深", "parent_id": third}),
    )
    .await
    .expect_error(422, "catalog.category_too_deep");
    let categories = app
        .get("/api/v1/admin/catalog/categories", shop.token())
        .await
        .expect(200);
    assert_eq!(categories.as_array().map(Vec::len), Some(3));

    // A refused SKU change leaves the SKU as it was.
    let product = new_product(&app, &shop, simple_product(&category, "好商品", 1000)).await;
    let sku = text(&product["skus"][0]["id"]);
    for (body, code) in [
        (json!({"price": -5}), "catalog.invalid_price"),
        (
            json!({"price": 2000, "list_price": 1500}),
            "catalog.invalid_price",
        ),
        (json!({"low_stock_threshold": -1}), "catalog.invalid_input"),
    ] {
        app.patch(
            &format!("/api/v1/admin/catalog/skus/{sku}"),
            shop.token(),
            body,
        )
        .await
        .expect_error(422, code);
    }
    let path = format!("/api/v1/admin/catalog/skus/{sku}/stock-adjustments");
    app.post(
        &path,
        shop.token(),
        json!({"delta": 0, "reason": "restock"}),
    )
    .await
    .expect_error(422, "catalog.invalid_input");
    let after = app
        .get(
            &format!("/api/v1/admin/catalog/products/{}", text(&product["id"])),
            shop.token(),
        )
        .await
        .expect(200);
    assert_eq!(after["skus"][0]["price"], json!(1000));
    assert_eq!(after["skus"][0]["stock"], json!(10));
    assert_eq!(after["skus"][0]["low_stock_threshold"], json!(2));
    let ledger = app.get(&path, shop.token()).await.expect(200);
    assert_eq!(
        ledger["items"].as_array().map(Vec::len),
        Some(1),
        "only the opening stock"
    );
}
