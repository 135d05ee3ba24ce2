//! Merchants double-clicking "ship": concurrent ship requests for one paid order, with waybills
//! and with tracking numbers, ship it exactly once, with one label and one timeline entry.

use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::json;
use tokio::sync::Barrier;

use super::{fulfilment_shop, paid_order};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::orders::Buyer;

on_every_backend!(concurrent_ship_requests_ship_an_order_once);

async fn concurrent_ship_requests_ship_an_order_once(app: TestApp) {
    let app = Arc::new(app);
    let operator = app.operator_token().await;
    let shop = fulfilment_shop(&app, &operator).await;
    let token = shop.token().to_owned();
    let buyer = Buyer::new(&app, shop.appid(), "o_race_ship").await;
    let no = paid_order(&app, &shop, &buyer, "race-ship", 1).await;

    let attempts = 8;
    let barrier = Arc::new(Barrier::new(attempts));
    let tasks = (0..attempts).map(|i| {
        let (app, barrier, token, no) = (app.clone(), barrier.clone(), token.clone(), no.clone());
        tokio::spawn(async move {
            let body = if i % 2 == 0 {
                json!({"waybill": {"carrier_code": "ZTO"}})
            } else {
                json!({"carrier": "SF", "tracking_no": format!("SF20000000{i}")})
            };
            barrier.wait().await;
            let reply = app
                .post(&format!("/api/v1/admin/orders/{no}/ship"), &token, body)
                .await;
            (reply.status.as_u16(), reply.body)
        })
    });
    let outcomes: Vec<(u16, serde_json::Value)> = join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.unwrap_or_else(|err| panic!("{err}")))
        .collect();
    let shipped: Vec<&serde_json::Value> = outcomes
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(shipped.len(), 1, "{outcomes:?}");
    for (status, body) in &outcomes {
        if *status != 200 {
            assert_eq!(*status, 409, "{body}");
            assert_eq!(body["code"], json!("order.illegal_transition"), "{body}");
        }
    }

    let detail = app
        .get(&format!("/api/v1/admin/orders/{no}"), &token)
        .await
        .expect(200);
    let tracking_no = text(&detail["shipment"]["tracking_no"]);
    assert_eq!(
        tracking_no,
        text(&shipped[0]["shipment"]["tracking_no"]),
        "the winner's shipment is the one kept"
    );
    let shipped_steps = detail["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|step| step["to"] == json!("shipped"))
        .count();
    assert_eq!(shipped_steps, 1, "{detail}");
    // A label exists exactly when the winner asked for a waybill, and it is the shipment's.
    let label = app
        .get(&format!("/api/v1/admin/orders/{no}/waybill"), &token)
        .await;
    if shipped[0]["waybill"].is_null() {
        assert_eq!(label.status.as_u16(), 404, "{}", label.body);
    } else {
        assert_eq!(label.expect(200)["logistic_code"], json!(tracking_no));
    }
}
