//! Freight templates at checkout: by piece, by region (province), by weight, 满X包邮, and back to
//! the flat rule when the template is removed.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::orders::{Buyer, address_body, order_shop};

on_every_backend!(checkout_charges_freight_by_the_shops_template);

async fn freight(app: &TestApp, buyer: &Buyer, address: &str, sku: &str, quantity: i64) -> Value {
    buyer
        .post(
            app,
            "/api/v1/shop/checkout/preview",
            json!({"address_id": address, "lines": [{"sku_id": sku, "quantity": quantity}]}),
        )
        .await
        .expect(200)["freight"]
        .clone()
}

async fn checkout_charges_freight_by_the_shops_template(app: TestApp) {
    let operator = app.operator_token().await;
    // 1000 fen a piece; the catalog's default shipping weight applies.
    let shop = order_shop(&app, &operator, "freight", 1000, 100).await;
    let token = shop.shop.token().to_owned();
    let buyer = Buyer::new(&app, &shop.shop.appid, "o_freight").await;
    let zhejiang = buyer.address(&app).await;
    let mut far = address_body();
    far["province"] = json!("新疆维吾尔自治区");
    far["city"] = json!("乌鲁木齐市");
    far["district"] = json!("天山区");
    let xinjiang = text(
        &buyer
            .post(&app, "/api/v1/shop/addresses", far)
            .await
            .expect(201)["id"],
    );
    let sku = shop.sku_id.clone();

    app.get("/api/v1/admin/freight-template", &token)
        .await
        .expect_error(404, "order.freight_template_not_found");
    // Bad templates: every bad field named, nothing stored.
    let bad = app
        .put(
            "/api/v1/admin/freight-template",
            &token,
            json!({"charge_by": "piece", "default_rate": {"first": 0, "first_fee": 800, "additional": 1, "additional_fee": -5},
                   "regions": [{"provinces": [], "rate": {"first": 1, "first_fee": 1, "additional": 1, "additional_fee": 1}}],
                   "free_over": 0}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "default_rate.first",
            "default_rate.additional_fee",
            "regions[0].provinces",
            "free_over"
        ],
        "{bad}"
    );
    app.get("/api/v1/admin/freight-template", &token)
        .await
        .expect_error(404, "order.freight_template_not_found");

    // By piece: 8 yuan the first, 2 yuan each more; Xinjiang 20 + 10; free from 199 yuan.
    app.put(
        "/api/v1/admin/freight-template",
        &token,
        json!({"charge_by": "piece",
               "default_rate": {"first": 1, "first_fee": 800, "additional": 1, "additional_fee": 200},
               "regions": [{"provinces": ["新疆维吾尔自治区", "西藏自治区"],
                            "rate": {"first": 1, "first_fee": 2000, "additional": 1, "additional_fee": 1000}}],
               "free_over": 19900}),
    )
    .await
    .expect(200);
    assert_eq!(
        freight(&app, &buyer, &zhejiang, &sku, 1).await["amount"],
        json!(800)
    );
    assert_eq!(
        freight(&app, &buyer, &zhejiang, &sku, 3).await["amount"],
        json!(1200)
    );
    let far_fee = freight(&app, &buyer, &xinjiang, &sku, 2).await;
    assert_eq!(far_fee["amount"], json!(3000), "{far_fee}");
    assert!(text(&far_fee["rule"]).contains("新疆"), "{far_fee}");
    assert_eq!(
        freight(&app, &buyer, &xinjiang, &sku, 20).await["amount"],
        json!(0)
    );

    // The order is charged what the preview said.
    let placed = buyer
        .submit(
            &app,
            "freight-1",
            &xinjiang,
            json!([{"sku_id": sku, "quantity": 2}]),
        )
        .await
        .expect(201);
    assert_eq!(placed["freight"], json!(3000));
    assert_eq!(placed["payable"], json!(2000 + 3000));

    // By weight: the product's shipping weight × quantity, per started 500 g after the first kg.
    let grams = 350;
    app.patch(
        &format!("/api/v1/admin/catalog/products/{}", shop.product_id),
        &token,
        json!({"shipping_weight_grams": grams}),
    )
    .await
    .expect(200);
    app.put(
        "/api/v1/admin/freight-template",
        &token,
        json!({"charge_by": "weight",
               "default_rate": {"first": 1000, "first_fee": 1000, "additional": 500, "additional_fee": 300},
               "free_over": null}),
    )
    .await
    .expect(200);
    // 2 × 350 g = 700 g: the first kg only; 4 × 350 g = 1400 g: + one 500 g step;
    // 6 × 350 g = 2100 g: + three steps (1100 g started in 500 g steps).
    assert_eq!(
        freight(&app, &buyer, &zhejiang, &sku, 2).await["amount"],
        json!(1000)
    );
    assert_eq!(
        freight(&app, &buyer, &zhejiang, &sku, 4).await["amount"],
        json!(1300)
    );
    let heavy = freight(&app, &buyer, &zhejiang, &sku, 6).await;
    assert_eq!(heavy["amount"], json!(1900), "{heavy}");
    assert!(text(&heavy["rule"]).contains("2100 g"), "{heavy}");

    // Removed: back to the flat rule (¥10, free from ¥99).
    app.request(
        Method::DELETE,
        "/api/v1/admin/freight-template",
        Some(&token),
        None,
        &[],
    )
    .await
    .expect(204);
    assert_eq!(
        freight(&app, &buyer, &xinjiang, &sku, 2).await["amount"],
        json!(1000)
    );
}
