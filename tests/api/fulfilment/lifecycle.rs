//! A purchase end to end through HTTP: login → cart → checkout → pay (sandbox user pays) → the
//! merchant ships with a KDNiao waybill from the sandbox → the shipment is uploaded to WeChat →
//! the customer tracks the parcel → confirms receipt → completed, with the whole timeline.

use reqwest::Method;
use serde_json::json;

use super::{calls, fulfilment_shop, pay};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::orders::Buyer;

on_every_backend!(an_order_ships_with_a_kdniao_waybill_and_is_tracked_to_completion);

async fn an_order_ships_with_a_kdniao_waybill_and_is_tracked_to_completion(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = fulfilment_shop(&app, &operator).await;
    let token = shop.token().to_owned();

    // The customer logs in through the sandbox, fills the cart and checks out.
    let buyer = Buyer::new(&app, shop.appid(), "o_fulfil_buyer").await;
    let address = buyer.address(&app).await;
    buyer
        .post(
            &app,
            "/api/v1/shop/cart/lines",
            json!({"sku_id": shop.shop.sku_id, "quantity": 2}),
        )
        .await
        .expect(200);
    let placed = buyer
        .call(
            &app,
            Method::POST,
            "/api/v1/shop/orders",
            Some(json!({"address_id": address, "remark": "请用顺丰"})),
            &[("Idempotency-Key", "fulfil-1")],
        )
        .await
        .expect(201);
    let no = text(&placed["order_no"]);

    // Tracking before shipping: nothing to track yet.
    buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}/tracking"))
        .await
        .expect_error(409, "order.not_shipped");

    pay(&app, &buyer, &no).await;

    // The merchant ships with a sandbox waybill from the default sender address.
    let waybills_before = calls(&app, "kdniao.waybill").await.len();
    let shipped = app
        .post(
            &format!("/api/v1/admin/orders/{no}/ship"),
            &token,
            json!({"waybill": {"carrier_code": "ZTO"}}),
        )
        .await
        .expect(200);
    assert_eq!(shipped["status"], json!("shipped"), "{shipped}");
    let waybill = &shipped["waybill"];
    let tracking_no = text(&waybill["logistic_code"]);
    assert!(tracking_no.starts_with("SIM"), "{waybill}");
    assert_eq!(waybill["shipper_code"], json!("ZTO"));
    assert_eq!(waybill["order_no"], json!(no));
    assert_eq!(waybill["sender"]["id"], json!(shop.sender_id));
    assert_eq!(waybill["mark_destination"], json!("沙箱-01"));
    let label = text(&waybill["print_template"]);
    assert!(
        label.contains(&tracking_no) && label.contains("张三"),
        "{label}"
    );
    assert_eq!(shipped["shipment"]["carrier"], json!("ZTO"));
    assert_eq!(shipped["shipment"]["tracking_no"], json!(tracking_no));
    let waybill_calls = calls(&app, "kdniao.waybill").await;
    assert_eq!(waybill_calls.len(), waybills_before + 1);
    assert_eq!(
        waybill_calls[waybill_calls.len() - 1]["subject"],
        json!(shop.ebusiness_id)
    );

    // The shipment went to WeChat: the detail says uploaded, the sandbox has the upload.
    assert_eq!(
        shipped["shipment"]["upload_status"],
        json!("uploaded"),
        "{shipped}"
    );
    let uploads = calls(&app, "upload_shipping_info").await;
    assert!(
        uploads
            .iter()
            .any(|call| call["subject"] == json!(shop.appid()) && call["outcome"] == json!("done")),
        "{uploads:?}"
    );
    let messages = app.sandbox(Method::GET, "/sandbox/messages", None).await;
    let uploaded = messages["shipping_uploads"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        uploaded
            .iter()
            .any(|upload| upload.to_string().contains(&tracking_no)),
        "the waybill's tracking number reached WeChat: {messages}"
    );

    // The label can be fetched again, identical.
    let again = app
        .get(&format!("/api/v1/admin/orders/{no}/waybill"), &token)
        .await
        .expect(200);
    assert_eq!(again["logistic_code"], json!(tracking_no));
    assert_eq!(again["print_template"], json!(label));

    // The customer tracks the parcel (KDNiao 1002 through the sandbox), then from the cache.
    let tracks_before = calls(&app, "kdniao.track").await.len();
    let tracking = buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}/tracking"))
        .await
        .expect(200);
    assert_eq!(tracking["tracking_no"], json!(tracking_no));
    assert_eq!(tracking["carrier"], json!("ZTO"));
    assert_eq!(tracking["state"], json!("2"));
    assert_eq!(tracking["state_text"], json!("运输中"));
    assert_eq!(tracking["traces"].as_array().map(Vec::len), Some(2));
    let cached = buyer
        .get(&app, &format!("/api/v1/shop/orders/{no}/tracking"))
        .await
        .expect(200);
    assert_eq!(cached, tracking, "the second answer comes from the cache");
    assert_eq!(
        calls(&app, "kdniao.track").await.len(),
        tracks_before + 1,
        "one KDNiao query for two customer requests"
    );

    // Another customer of the same shop cannot track it.
    let stranger = Buyer::new(&app, shop.appid(), "o_fulfil_stranger").await;
    stranger
        .get(&app, &format!("/api/v1/shop/orders/{no}/tracking"))
        .await
        .expect_error(404, "order.not_found");

    // The customer confirms receipt: completed, with every step in the timeline.
    let completed = buyer
        .post(
            &app,
            &format!("/api/v1/shop/orders/{no}/confirm"),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(completed["status"], json!("completed"));
    let detail = app
        .get(&format!("/api/v1/admin/orders/{no}"), &token)
        .await
        .expect(200);
    let steps: Vec<(String, String)> = detail["timeline"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|step| (text(&step["to"]), text(&step["actor"])))
        .collect();
    assert_eq!(
        steps,
        [
            ("pending_payment", "customer"),
            ("paid", "system"),
            ("shipped", "merchant"),
            ("completed", "customer"),
        ]
        .map(|(to, actor)| (to.to_owned(), actor.to_owned())),
        "{detail}"
    );
    assert!(
        text(&detail["timeline"][2]["reason"]).contains(&tracking_no),
        "{detail}"
    );
    assert_eq!(detail["remark"], json!("请用顺丰"));

    // Shipped once: a second waybill for the same order is refused before KDNiao is asked.
    let waybills = calls(&app, "kdniao.waybill").await.len();
    app.post(
        &format!("/api/v1/admin/orders/{no}/ship"),
        &token,
        json!({"waybill": {"carrier_code": "ZTO"}}),
    )
    .await
    .expect_error(409, "order.illegal_transition");
    assert_eq!(calls(&app, "kdniao.waybill").await.len(), waybills);
}
