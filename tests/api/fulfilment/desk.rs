//! The merchant's order desk: batch ship with good and bad items, the remark, list filters by
//! customer and product, the CSV export, and Idempotency-Key reuse.

use reqwest::Method;
use serde_json::{Value, json};

use super::{fulfilment_shop, paid_order, place_order};
use crate::catalog_helpers::{new_category, new_product, put_on_sale};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;
use crate::orders::Buyer;

on_every_backend!(
    batch_ship_reports_each_item_on_its_own,
    the_merchant_remarks_filters_and_exports_orders,
    an_idempotency_key_belongs_to_one_request,
);

async fn batch_ship_reports_each_item_on_its_own(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = fulfilment_shop(&app, &operator).await;
    let token = shop.token().to_owned();
    let buyer = Buyer::new(&app, shop.appid(), "o_batch_buyer").await;
    let first = paid_order(&app, &shop, &buyer, "batch-1", 1).await;
    let second = paid_order(&app, &shop, &buyer, "batch-2", 1).await;
    let unpaid = place_order(&app, &shop, &buyer, "batch-3", 1).await;

    let reply = app
        .post(
            "/api/v1/admin/orders/batch-ship",
            &token,
            json!({"items": [
                {"order_no": first, "carrier": "SF", "tracking_no": "SF1000000001"},
                {"order_no": "20990101000000NOSUCH", "carrier": "SF", "tracking_no": "SF1000000002"},
                {"order_no": unpaid, "carrier": "SF", "tracking_no": "SF1000000003"},
                {"order_no": second, "waybill": {"carrier_code": "YTO"}},
                {"order_no": first, "carrier": "SF", "tracking_no": "SF1000000004"},
                {"order_no": second, "carrier": "", "tracking_no": "x y"},
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(reply["shipped"], json!(2), "{reply}");
    assert_eq!(reply["failed"], json!(4), "{reply}");
    let results = reply["results"].as_array().cloned().unwrap_or_default();
    let outcome = |result: &Value| {
        if result["ok"] == json!(true) {
            "ok".to_owned()
        } else {
            format!("{} {}", result["error"]["status"], result["error"]["code"]).replace('"', "")
        }
    };
    assert_eq!(
        results.iter().map(outcome).collect::<Vec<_>>(),
        [
            "ok",
            "404 order.not_found",
            "409 order.illegal_transition",
            "ok",
            "409 order.illegal_transition",
            "422 order.invalid_input",
        ],
        "{reply}"
    );
    assert_eq!(
        results[0]["shipped"]["shipment"]["tracking_no"],
        json!("SF1000000001")
    );
    assert_eq!(
        results[0]["shipped"]["shipment"]["upload_status"],
        json!("uploaded")
    );
    assert!(results[2]["error"]["message"].is_string());
    let waybill_no = text(&results[3]["shipped"]["waybill"]["logistic_code"]);
    assert!(waybill_no.starts_with("SIM"), "{reply}");

    // Nothing else changed: the unpaid order is still pending, the first keeps its number.
    let detail = |no: String| {
        let app = &app;
        let token = token.clone();
        async move {
            app.get(&format!("/api/v1/admin/orders/{no}"), &token)
                .await
                .expect(200)
        }
    };
    assert_eq!(
        detail(unpaid.clone()).await["status"],
        json!("pending_payment")
    );
    assert_eq!(
        detail(first.clone()).await["shipment"]["tracking_no"],
        json!("SF1000000001")
    );
    assert_eq!(
        detail(second.clone()).await["shipment"]["tracking_no"],
        json!(waybill_no)
    );

    // Bounded: 51 items are refused as a whole, as is an empty batch.
    let too_many: Vec<Value> = (0..51)
        .map(|i| json!({"order_no": first, "carrier": "SF", "tracking_no": format!("SF{i}")}))
        .collect();
    let refused = app
        .post(
            "/api/v1/admin/orders/batch-ship",
            &token,
            json!({"items": too_many}),
        )
        .await
        .expect_error(422, "order.invalid_input");
    assert_eq!(refused["fields"][0]["field"], json!("items"), "{refused}");
    app.post(
        "/api/v1/admin/orders/batch-ship",
        &token,
        json!({"items": []}),
    )
    .await
    .expect_error(422, "order.invalid_input");
}

/// The CSV body (BOM removed) as rows of cells.
fn parse_csv(body: &Value) -> Vec<Vec<String>> {
    let text = body.as_str().unwrap_or_default();
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or_else(|| panic!("no BOM: {text}"));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .unwrap_or_else(|err| panic!("{err}"))
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

async fn the_merchant_remarks_filters_and_exports_orders(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = fulfilment_shop(&app, &operator).await;
    let token = shop.token().to_owned();
    // A second product, bought by the second customer only.
    let category_id = new_category(&app, &shop.shop.shop, json!({"name": "器"})).await;
    let cup = new_product(
        &app,
        &shop.shop.shop,
        json!({"category_id": category_id, "title": "=茶杯", "skus": [{"price": 1999, "stock": 9}]}),
    )
    .await;
    let cup_id = text(&cup["id"]);
    put_on_sale(&app, &shop.shop.shop, &cup_id).await;
    let cup_sku = text(&cup["skus"][0]["id"]);

    let alice = Buyer::new(&app, shop.appid(), "o_alice").await;
    let bob = Buyer::new(&app, shop.appid(), "o_bob").await;
    let tea = paid_order(&app, &shop, &alice, "alice-1", 2).await;
    let bob_address = bob.address(&app).await;
    let mixed = text(
        &bob.submit(
            &app,
            "bob-1",
            &bob_address,
            json!([{"sku_id": cup_sku, "quantity": 1}, {"sku_id": shop.shop.sku_id, "quantity": 1}]),
        )
        .await
        .expect(201)["order_no"],
    );
    let alice_id = text(
        &app.get(&format!("/api/v1/admin/orders/{tea}"), &token)
            .await
            .expect(200)["customer_id"],
    );

    // The merchant's remark: shown in the detail, never to the customer; bounded; clearable.
    let remarked = app
        .put(
            &format!("/api/v1/admin/orders/{tea}/remark"),
            &token,
            json!({"remark": " 老客户，送小样 "}),
        )
        .await
        .expect(200);
    assert_eq!(remarked["merchant_remark"], json!("老客户，送小样"));
    let detail = app
        .get(&format!("/api/v1/admin/orders/{tea}"), &token)
        .await
        .expect(200);
    assert_eq!(detail["merchant_remark"], json!("老客户，送小样"));
    let seen_by_customer = alice
        .get(&app, &format!("/api/v1/shop/orders/{tea}"))
        .await
        .expect(200);
    assert!(
        !seen_by_customer.to_string().contains("老客户"),
        "{seen_by_customer}"
    );
    app.put(
        &format!("/api/v1/admin/orders/{tea}/remark"),
        &token,
        json!({"remark": "长".repeat(201)}),
    )
    .await
    .expect_error(422, "order.invalid_input");
    app.put(
        "/api/v1/admin/orders/20990101000000NOSUCH/remark",
        &token,
        json!({"remark": "x"}),
    )
    .await
    .expect_error(404, "order.not_found");
    let detail = app
        .get(&format!("/api/v1/admin/orders/{tea}"), &token)
        .await
        .expect(200);
    assert_eq!(
        detail["merchant_remark"],
        json!("老客户，送小样"),
        "a refused remark changes nothing"
    );

    // Filters: by customer, by product (on any line), combined with status.
    let numbers = |reply: Value| -> Vec<String> {
        reply
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|order| text(&order["order_no"]))
            .collect()
    };
    let by_alice = app
        .get(
            &format!("/api/v1/admin/orders?customer_id={alice_id}"),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(numbers(by_alice), std::slice::from_ref(&tea));
    let with_cup = app
        .get(&format!("/api/v1/admin/orders?product_id={cup_id}"), &token)
        .await
        .expect(200);
    assert_eq!(numbers(with_cup), std::slice::from_ref(&mixed));
    let with_tea = app
        .get(
            &format!("/api/v1/admin/orders?product_id={}", shop.shop.product_id),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(numbers(with_tea), [mixed.clone(), tea.clone()]);
    let tea_paid = app
        .get(
            &format!(
                "/api/v1/admin/orders?product_id={}&status=paid",
                shop.shop.product_id
            ),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(numbers(tea_paid), std::slice::from_ref(&tea));
    let nobody = app
        .get(
            &format!("/api/v1/admin/orders?customer_id={}", uuid::Uuid::now_v7()),
            &token,
        )
        .await
        .expect(200);
    assert!(numbers(nobody).is_empty());
    let bad = app
        .get("/api/v1/admin/orders?product_id=not-a-uuid", &token)
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.body);

    // The CSV export: BOM, header, one row per order, newest first, same filters.
    let export = app.get("/api/v1/admin/orders/export", &token).await;
    assert_eq!(export.status.as_u16(), 200, "{}", export.body);
    let rows = parse_csv(&export.body);
    assert_eq!(rows.len(), 3, "header + 2 orders: {rows:?}");
    let header = &rows[0];
    let column = |name: &str| {
        header
            .iter()
            .position(|cell| cell == name)
            .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
    };
    assert_eq!(rows[1][column("订单号")], mixed);
    assert_eq!(rows[2][column("订单号")], tea);
    let tea_row = &rows[2];
    assert_eq!(tea_row[column("状态")], "待发货");
    assert_eq!(tea_row[column("客户ID")], alice_id);
    assert_eq!(tea_row[column("收货人")], "张三");
    assert_eq!(
        tea_row[column("收货地址")],
        "浙江省杭州市西湖区文三路 100 号"
    );
    assert_eq!(tea_row[column("商品")], "龙井×2");
    assert_eq!(tea_row[column("件数")], "2");
    assert_eq!(tea_row[column("商品金额(分)")], "5000");
    assert_eq!(tea_row[column("实付(分)")], "6000");
    assert_eq!(tea_row[column("实付(元)")], "60.00");
    assert_eq!(tea_row[column("商家备注")], "老客户，送小样");
    let placed_at: chrono::DateTime<chrono::Utc> = detail["created_at"]
        .as_str()
        .and_then(|at| at.parse().ok())
        .unwrap_or_else(|| panic!("{detail}"));
    assert_eq!(
        tea_row[column("下单时间(北京时间)")],
        (placed_at + chrono::Duration::hours(8))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    );
    // A product title starting with '=' cannot become a formula in Excel.
    assert_eq!(rows[1][column("商品")], "'=茶杯×1; 龙井×1");
    assert_eq!(rows[1][column("状态")], "待付款");

    let filtered = app
        .get(
            &format!("/api/v1/admin/orders/export?product_id={cup_id}"),
            &token,
        )
        .await;
    let rows = parse_csv(&filtered.body);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], mixed);
    let raw = app
        .request(
            Method::GET,
            "/api/v1/admin/orders/export?status=nonsense",
            Some(&token),
            None,
            &[],
        )
        .await;
    raw.expect_error(422, "order.invalid_input");
}

async fn an_idempotency_key_belongs_to_one_request(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = fulfilment_shop(&app, &operator).await;
    let buyer = Buyer::new(&app, shop.appid(), "o_idem_buyer").await;
    let address = buyer.address(&app).await;
    let lines = json!([{"sku_id": shop.shop.sku_id, "quantity": 1}]);
    let first = buyer
        .submit(&app, "same-key", &address, lines.clone())
        .await
        .expect(201);
    // The same key with the same body: the same order.
    let again = buyer
        .submit(&app, "same-key", &address, lines)
        .await
        .expect(201);
    assert_eq!(again["order_no"], first["order_no"]);
    // The same key with another body: refused, nothing placed, nothing reserved.
    let stock = shop.shop.stock(&app).await;
    buyer
        .submit(
            &app,
            "same-key",
            &address,
            json!([{"sku_id": shop.shop.sku_id, "quantity": 3}]),
        )
        .await
        .expect_error(409, "order.idempotency_key_reused");
    buyer
        .call(
            &app,
            Method::POST,
            "/api/v1/shop/orders",
            Some(json!({"address_id": address, "lines": [{"sku_id": shop.shop.sku_id, "quantity": 1}], "remark": "另一个"})),
            &[("Idempotency-Key", "same-key")],
        )
        .await
        .expect_error(409, "order.idempotency_key_reused");
    assert_eq!(shop.shop.stock(&app).await, stock);
    let mine = buyer.get(&app, "/api/v1/shop/orders").await.expect(200);
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    // Keys are per customer: another customer may use the same key for anything.
    let other = Buyer::new(&app, shop.appid(), "o_idem_other").await;
    let other_address = other.address(&app).await;
    let theirs = other
        .submit(
            &app,
            "same-key",
            &other_address,
            json!([{"sku_id": shop.shop.sku_id, "quantity": 2}]),
        )
        .await
        .expect(201);
    assert_ne!(theirs["order_no"], first["order_no"]);
    shop.shop.assert_redis_agrees(&app).await;
}
