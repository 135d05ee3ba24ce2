//! Bad shipping input is refused with a clear 4xx (or 502 when KDNiao refuses) and writes nothing:
//! unknown sender address, a waybill for an unpaid order, another shop's order, no KDNiao
//! account, KDNiao refusing the signature, bad sender addresses and KDNiao settings.

use reqwest::Method;
use serde_json::json;

use super::{calls, fulfilment_shop, paid_order, place_order, sender_body};
use crate::helpers::{TestApp, new_code};
use crate::on_every_backend;
use crate::orders::Buyer;

on_every_backend!(
    bad_shipping_requests_are_refused_and_change_nothing,
    sender_addresses_keep_one_default,
);

async fn bad_shipping_requests_are_refused_and_change_nothing(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = fulfilment_shop(&app, &operator).await;
    let token = shop.token().to_owned();
    let buyer = Buyer::new(&app, shop.appid(), "o_bad_ship").await;
    let paid = paid_order(&app, &shop, &buyer, "bad-1", 1).await;
    let unpaid = place_order(&app, &shop, &buyer, "bad-2", 1).await;
    let waybills_before = calls(&app, "kdniao.waybill").await.len();
    let ship = |no: &str, body: serde_json::Value| {
        let path = format!("/api/v1/admin/orders/{no}/ship");
        let token = token.clone();
        let app = &app;
        async move { app.post(&path, &token, body).await }
    };

    // An unknown sender address.
    ship(
        &paid,
        json!({"waybill": {"carrier_code": "SF", "sender_address_id": uuid::Uuid::now_v7()}}),
    )
    .await
    .expect_error(404, "order.sender_address_not_found");
    // A waybill for an unpaid order.
    ship(&unpaid, json!({"waybill": {"carrier_code": "SF"}}))
        .await
        .expect_error(409, "order.illegal_transition");
    // Neither a tracking number nor a waybill, or both; a bad carrier code.
    for body in [
        json!({}),
        json!({"carrier": "SF", "tracking_no": "SF1", "waybill": {"carrier_code": "SF"}}),
        json!({"waybill": {"carrier_code": "顺丰"}}),
        json!({"waybill": {"carrier_code": ""}}),
    ] {
        ship(&paid, body)
            .await
            .expect_error(422, "order.invalid_input");
    }
    // Another shop's order: not found, and the other shop's sender address is not usable either.
    let other = app
        .new_shop(&operator, &new_code("other"), "enterprise")
        .await;
    let other_sender = app
        .post(
            "/api/v1/admin/sender-addresses",
            &other.owner_token,
            sender_body("别家仓"),
        )
        .await
        .expect(201);
    app.post(
        &format!("/api/v1/admin/orders/{paid}/ship"),
        &other.owner_token,
        json!({"waybill": {"carrier_code": "SF"}}),
    )
    .await
    .expect_error(404, "order.not_found");
    app.get(
        &format!("/api/v1/admin/orders/{paid}/waybill"),
        &other.owner_token,
    )
    .await
    .expect_error(404, "order.not_found");
    ship(
        &paid,
        json!({"waybill": {"carrier_code": "SF", "sender_address_id": other_sender["id"]}}),
    )
    .await
    .expect_error(404, "order.sender_address_not_found");
    // The other shop has no KDNiao account: its own paid orders could not get a waybill.
    app.get("/api/v1/admin/kdniao", &other.owner_token)
        .await
        .expect_error(409, "order.kdniao_not_configured");
    assert_eq!(
        calls(&app, "kdniao.waybill").await.len(),
        waybills_before,
        "KDNiao was never asked"
    );

    // KDNiao refuses (the AppKey on file is wrong): 502 with KDNiao's reason, nothing shipped.
    app.put(
        "/api/v1/admin/kdniao",
        &token,
        json!({"ebusiness_id": shop.ebusiness_id, "app_key": "wrong-app-key-000"}),
    )
    .await
    .expect(200);
    let refused = ship(&paid, json!({"waybill": {"carrier_code": "SF"}}))
        .await
        .expect_error(502, "order.kdniao_refused");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("102")),
        "{refused}"
    );
    // KDNiao cannot be reached: 502, nothing shipped.
    app.put(
        "/api/v1/admin/kdniao",
        &token,
        json!({"ebusiness_id": shop.ebusiness_id, "app_key": "wrong-app-key-000",
               "api_base_url": "http://127.0.0.1:9"}),
    )
    .await
    .expect(200);
    ship(&paid, json!({"waybill": {"carrier_code": "SF"}}))
        .await
        .expect_error(502, "order.kdniao_unavailable");

    // Nothing was written: the order is still paid, without shipment or waybill.
    let detail = app
        .get(&format!("/api/v1/admin/orders/{paid}"), &token)
        .await
        .expect(200);
    assert_eq!(detail["status"], json!("paid"), "{detail}");
    assert!(detail["shipment"].is_null(), "{detail}");
    assert_eq!(detail["timeline"].as_array().map(Vec::len), Some(2));
    app.get(&format!("/api/v1/admin/orders/{paid}/waybill"), &token)
        .await
        .expect_error(404, "order.waybill_not_found");
    let unpaid_detail = app
        .get(&format!("/api/v1/admin/orders/{unpaid}"), &token)
        .await
        .expect(200);
    assert_eq!(unpaid_detail["status"], json!("pending_payment"));

    // Bad KDNiao settings are refused field by field; the account on file stays.
    let bad = app
        .put(
            "/api/v1/admin/kdniao",
            &token,
            json!({"ebusiness_id": "", "app_key": "short", "api_base_url": "ftp://x"}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["ebusiness_id", "app_key", "api_base_url"], "{bad}");
    let account = app.get("/api/v1/admin/kdniao", &token).await.expect(200);
    assert_eq!(account["api_base_url"], json!("http://127.0.0.1:9"));
    assert_eq!(account["app_key_masked"], json!("****-000"));
}

async fn sender_addresses_keep_one_default(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = fulfilment_shop(&app, &operator).await;
    let token = shop.token().to_owned();
    // Bad input: every bad field named, nothing written.
    let bad = app
        .post(
            "/api/v1/admin/sender-addresses",
            &token,
            json!({"name": "", "mobile": "123", "province": "浙江省", "city": "", "district": "余杭区", "detail": "x"}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "city", "mobile"], "{bad}");
    assert_eq!(list(&app, &token).await.as_array().map(Vec::len), Some(1));

    // A second address made the default takes the flag; the first loses it.
    let mut body = sender_body("宁波仓");
    body["is_default"] = json!(true);
    let second = app
        .post("/api/v1/admin/sender-addresses", &token, body)
        .await
        .expect(201);
    let second_id = second["id"].as_str().unwrap_or_default().to_owned();
    let all = list(&app, &token).await;
    let defaults: Vec<&str> = all
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["is_default"] == json!(true))
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(defaults, [second_id.as_str()], "{all}");

    // Updating, then deleting the default hands the flag back to the remaining one.
    let updated = app
        .put(
            &format!("/api/v1/admin/sender-addresses/{second_id}"),
            &token,
            sender_body("宁波二仓"),
        )
        .await
        .expect(200);
    assert_eq!(updated["name"], json!("宁波二仓"));
    assert_eq!(updated["is_default"], json!(true), "stays the default");
    app.request(
        Method::DELETE,
        &format!("/api/v1/admin/sender-addresses/{second_id}"),
        Some(&token),
        None,
        &[],
    )
    .await
    .expect(204);
    let all = list(&app, &token).await;
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    assert_eq!(all[0]["id"], json!(shop.sender_id));
    assert_eq!(all[0]["is_default"], json!(true), "{all}");
    app.request(
        Method::DELETE,
        &format!("/api/v1/admin/sender-addresses/{second_id}"),
        Some(&token),
        None,
        &[],
    )
    .await
    .expect_error(404, "order.sender_address_not_found");
    app.put(
        &format!("/api/v1/admin/sender-addresses/{}", uuid::Uuid::now_v7()),
        &token,
        sender_body("无"),
    )
    .await
    .expect_error(404, "order.sender_address_not_found");
}

async fn list(app: &TestApp, token: &str) -> serde_json::Value {
    app.get("/api/v1/admin/sender-addresses", token)
        .await
        .expect(200)
}
