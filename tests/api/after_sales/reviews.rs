//! Reviews: only after completion, each line once; the merchant replies once; the reply rate;
//! shoppers see a product's reviews; other shops and customers see nothing of them.

use serde_json::json;

use super::AfterSaleShop;
use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::orders::Buyer;

on_every_backend!(a_completed_order_is_reviewed_once_per_line_and_replied_once);

async fn a_completed_order_is_reviewed_once_per_line_and_replied_once(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = AfterSaleShop::new(&app, &operator, 990, 10, "o_reviewer").await;
    let other = AfterSaleShop::new(&app, &operator, 990, 10, "o_other_shop").await;
    let no = shop.paid_order(&app, 1).await;
    let path = format!("/api/v1/shop/orders/{no}/reviews");
    let review = json!({"sku_id": shop.shop.sku_id, "rating": 5, "text": "好茶，回购",
        "photos": ["https://img.example.com/tea.jpg"]});

    // Not before completion.
    shop.buyer
        .post(&app, &path, review.clone())
        .await
        .expect_error(409, "order.review_not_allowed");
    shop.ship(&app, &no).await;
    shop.buyer
        .post(&app, &path, review.clone())
        .await
        .expect_error(409, "order.review_not_allowed");
    shop.buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{no}/confirm"),
            json!({}),
        )
        .await
        .expect(200);

    // Bad input is named field by field.
    let long = "好".repeat(501);
    let bad = shop
        .buyer
        .post(
            &app,
            &path,
            json!({"sku_id": shop.shop.sku_id, "rating": 6, "text": long}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    assert_eq!(bad["fields"].as_array().map(Vec::len), Some(2), "{bad}");
    // Another customer of the shop cannot review this order.
    let stranger = Buyer::new(&app, &shop.shop.shop.appid, "o_not_the_buyer").await;
    stranger
        .post(&app, &path, review.clone())
        .await
        .expect_error(404, "order.not_found");

    let created = shop
        .buyer
        .post(&app, &path, review.clone())
        .await
        .expect(201);
    assert_eq!(created["rating"], json!(5));
    let review_id = text(&created["id"]);
    shop.buyer
        .post(&app, &path, review.clone())
        .await
        .expect_error(409, "order.review_exists");

    // Shoppers see it under the product, without the order number.
    let product_path = format!("/api/v1/shop/products/{}/reviews", shop.shop.product_id);
    let listed = app
        .shop_get(&product_path, &shop.shop.shop.appid)
        .await
        .expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["text"], json!("好茶，回购"));
    assert!(listed[0]["order_no"].is_null());
    // Through another shop's mini-program, the product has no reviews.
    let elsewhere = app
        .shop_get(&product_path, &other.shop.shop.appid)
        .await
        .expect(200);
    assert_eq!(elsewhere, json!([]));

    // The merchant: unreplied, then replied once; the rate follows.
    let stats = app
        .get("/api/v1/admin/reviews/stats", shop.token())
        .await
        .expect(200);
    assert_eq!(
        (
            stats["total"].clone(),
            stats["replied"].clone(),
            stats["reply_rate_bp"].clone(),
            stats["meets_target"].clone()
        ),
        (json!(1), json!(0), json!(0), json!(false)),
        "{stats}"
    );
    let unreplied = app
        .get("/api/v1/admin/reviews?replied=false", shop.token())
        .await
        .expect(200);
    assert_eq!(unreplied[0]["id"], json!(review_id));
    assert_eq!(unreplied[0]["order_no"], json!(no));
    app.post(
        &format!("/api/v1/admin/reviews/{review_id}/reply"),
        shop.token(),
        json!({"text": ""}),
    )
    .await
    .expect_error(422, "order.invalid_input");
    // Another shop's merchant cannot reply to it, nor see it.
    app.post(
        &format!("/api/v1/admin/reviews/{review_id}/reply"),
        other.token(),
        json!({"text": "?"}),
    )
    .await
    .expect_error(404, "order.review_not_found");
    assert_eq!(
        app.get("/api/v1/admin/reviews", other.token())
            .await
            .expect(200),
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/admin/reviews/stats", other.token())
            .await
            .expect(200)["total"],
        json!(0)
    );

    let replied = app
        .post(
            &format!("/api/v1/admin/reviews/{review_id}/reply"),
            shop.token(),
            json!({"text": "谢谢惠顾"}),
        )
        .await
        .expect(200);
    assert_eq!(replied["reply"], json!("谢谢惠顾"));
    assert!(replied["replied_at"].is_string());
    app.post(
        &format!("/api/v1/admin/reviews/{review_id}/reply"),
        shop.token(),
        json!({"text": "改一下"}),
    )
    .await
    .expect_error(409, "order.review_already_replied");
    let stats = app
        .get("/api/v1/admin/reviews/stats", shop.token())
        .await
        .expect(200);
    assert_eq!(stats["replied"], json!(1));
    assert_eq!(stats["reply_rate_bp"], json!(10_000));
    assert_eq!(stats["meets_target"], json!(true));
    assert_eq!(
        app.get("/api/v1/admin/reviews?replied=false", shop.token())
            .await
            .expect(200),
        json!([])
    );
    let with_reply = app
        .get("/api/v1/admin/reviews?replied=true", shop.token())
        .await
        .expect(200);
    assert_eq!(with_reply[0]["reply"], json!("谢谢惠顾"));
    let listed = app
        .shop_get(&product_path, &shop.shop.shop.appid)
        .await
        .expect(200);
    assert_eq!(listed[0]["reply"], json!("谢谢惠顾"));

    // A bad review counts towards the seed's 差评 target: one unreplied bad review of two.
    let second = shop.paid_order(&app, 1).await;
    shop.ship(&app, &second).await;
    shop.buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{second}/confirm"),
            json!({}),
        )
        .await
        .expect(200);
    shop.buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{second}/reviews"),
            json!({"sku_id": shop.shop.sku_id, "rating": 1, "text": "包装破了"}),
        )
        .await
        .expect(201);
    let stats = app
        .get("/api/v1/admin/reviews/stats", shop.token())
        .await
        .expect(200);
    assert_eq!(stats["total"], json!(2));
    assert_eq!(stats["reply_rate_bp"], json!(5_000));
    assert_eq!(stats["negative_total"], json!(1));
    assert_eq!(stats["negative_replied"], json!(0));
    assert_eq!(stats["negative_meets_target"], json!(false));
    assert_eq!(stats["meets_target"], json!(false));
}
