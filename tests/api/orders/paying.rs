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

    // The customer cannot confirm what was not shipped; the merchant cannot cancel a paid order.
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{no}/confirm"),
            json!({}),
        )
        .await
        .expect_error(409, "order.illegal_transition");
    let token = shop.shop.token().to_owned();
    app.post(
        &format!("/api/v1/admin/orders/{no}/cancel"),
        &token,
        json!({"reason": "缺货"}),
    )
    .await
    .expect_error(409, "order.illegal_transition");
    app.post(
        &format!("/api/v1/admin/orders/{no}/ship"),
        &token,
        json!({"carrier": "", "tracking_no": "a b"}),
    )
    .await
    .expect_error(422, "order.invalid_input");

    // WeChat is down while the merchant ships: shipped anyway, the upload recorded as failed.
    let mut settings = app
        .sandbox(reqwest::Method::GET, "/sandbox/settings", None)
        .await;
    settings["error_rate"] = json!(1.0);
    app.sandbox(
        reqwest::Method::PUT,
        "/sandbox/settings",
        Some(settings.clone()),
    )
    .await;
    let shipped = app
        .post(
            &format!("/api/v1/admin/orders/{no}/ship"),
            &token,
            json!({"carrier": "SF", "tracking_no": "SF1234567890"}),
        )
        .await
        .expect(200);
    assert_eq!(shipped["status"], json!("shipped"));
    assert_eq!(
        shipped["shipment"]["upload_status"],
        json!("failed"),
        "{shipped}"
    );
    assert!(shipped["shipment"]["upload_error"].is_string());

    // WeChat is back: the retry uploads it.
    settings["error_rate"] = json!(0.0);
    app.sandbox(reqwest::Method::PUT, "/sandbox/settings", Some(settings))
        .await;
    let retried = gateway::flows::retry_shipping_uploads(&app.state)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(retried, 1);
    let shipped = app
        .get(&format!("/api/v1/admin/orders/{no}"), &token)
        .await
        .expect(200);
    assert_eq!(shipped["status"], json!("shipped"));
    assert_eq!(shipped["shipment"]["tracking_no"], json!("SF1234567890"));
    assert_eq!(
        shipped["shipment"]["upload_status"],
        json!("uploaded"),
        "{shipped}"
    );
    let uploads = app
        .sandbox(
            reqwest::Method::GET,
            "/sandbox/calls?api=upload_shipping_info",
            None,
        )
        .await;
    assert!(uploads.to_string().contains(&shop.shop.appid), "{uploads}");
    assert_eq!(
        gateway::flows::retry_shipping_uploads(&app.state)
            .await
            .unwrap_or_else(|err| panic!("{err}")),
        0,
        "nothing left to retry"
    );
    app.post(
        &format!("/api/v1/admin/orders/{no}/ship"),
        &token,
        json!({"carrier": "SF", "tracking_no": "SF1234567890"}),
    )
    .await
    .expect_error(409, "order.illegal_transition");

    let completed = buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{no}/confirm"),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(completed["status"], json!("completed"));
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{no}/confirm"),
            json!({}),
        )
        .await
        .expect_error(409, "order.illegal_transition");

    // The merchant sees the whole timeline.
    let detail = app
        .get(&format!("/api/v1/admin/orders/{no}"), &token)
        .await
        .expect(200);
    let steps: Vec<(String, String)> = detail["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (text(&t["to"]), text(&t["actor"])))
        .collect();
    let expected = [
        ("pending_payment", "customer"),
        ("paid", "system"),
        ("shipped", "merchant"),
        ("completed", "customer"),
    ]
    .map(|(to, actor)| (to.to_owned(), actor.to_owned()));
    assert_eq!(steps, expected);

    // A second order, cancelled by the merchant with a reason; the list filters.
    let second = buyer
        .submit(
            &app,
            "pay-2",
            &address,
            json!([{"sku_id": shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201);
    let second_no = text(&second["order_no"]);
    buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{second_no}/pay"),
            json!({}),
        )
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/admin/orders/{second_no}/cancel"),
        &token,
        json!({"reason": " "}),
    )
    .await
    .expect_error(422, "order.invalid_input");
    let cancelled = app
        .post(
            &format!("/api/v1/admin/orders/{second_no}/cancel"),
            &token,
            json!({"reason": "缺货"}),
        )
        .await
        .expect(200);
    assert_eq!(cancelled["cancel_reason"], json!("缺货"));
    assert_eq!(cancelled["timeline"][1]["actor"], json!("merchant"));
    let closed = payment::get_payment(&app.db, shop.tenant(), &second_no)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        closed.state,
        payment::PaymentState::Closed,
        "the prepared payment is closed"
    );
    assert_eq!(shop.stock(&app).await, 3);
    let list = |query: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            app.get(&format!("/api/v1/admin/orders{query}"), &token)
                .await
                .expect(200)
                .as_array()
                .map(|orders| {
                    orders
                        .iter()
                        .map(|o| text(&o["order_no"]))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    assert_eq!(list("").await, vec![second_no.clone(), no.clone()]);
    assert_eq!(list("?status=completed").await, vec![no.clone()]);
    assert_eq!(list("?status=cancelled").await, vec![second_no.clone()]);
    assert_eq!(
        list("?from=2100-01-01T00:00:00Z").await,
        Vec::<String>::new()
    );
    assert_eq!(list("?to=2100-01-01T00:00:00Z").await.len(), 2);
    let by_no = app
        .get(&format!("/api/v1/admin/orders?order_no={no}"), &token)
        .await
        .expect(200);
    assert_eq!(by_no.as_array().map(Vec::len), Some(1));
    app.get("/api/v1/admin/orders?status=lost", &token)
        .await
        .expect_error(422, "order.invalid_input");
}
