//! Fulfilment and the merchant's order desk: sender addresses, KDNiao waybills through the sandbox,
//! the WeChat shipping upload of waybill shipments, customer tracking, batch ship, remarks, list
//! filters, the CSV export, and Idempotency-Key reuse.

mod bad_input;
mod desk;
mod freight;
mod lifecycle;
mod races;

use reqwest::Method;
use serde_json::{Value, json};

use crate::catalog_helpers::{CatalogShop, new_category, new_product, put_on_sale};
use crate::helpers::{TestApp, text};
use crate::orders::{Buyer, OrderShop};
use crate::payments::{eventually, pay_shop, user_pays};

/// A shop that takes WeChat Pay, sells one product (2500 fen, stock 50), has a KDNiao account
/// registered in the sandbox and a default sender address.
pub struct FulfilmentShop {
    pub shop: OrderShop,
    pub sender_id: String,
    pub ebusiness_id: String,
}

impl FulfilmentShop {
    pub fn token(&self) -> &str {
        self.shop.shop.token()
    }

    pub fn appid(&self) -> &str {
        &self.shop.shop.appid
    }
}

pub fn sender_body(name: &str) -> Value {
    json!({
        "name": name, "mobile": "13900139000", "province": "浙江省", "city": "杭州市",
        "district": "余杭区", "detail": "仓前街道 8 号仓库"
    })
}

pub async fn fulfilment_shop(app: &TestApp, operator: &str) -> FulfilmentShop {
    let paying = pay_shop(app, operator, None).await;
    let shop = CatalogShop {
        appid: paying.appid.clone(),
        shop: paying.shop,
    };
    let category_id = new_category(app, &shop, json!({"name": "茶"})).await;
    let product = new_product(
        app,
        &shop,
        json!({"category_id": category_id, "title": "龙井", "skus": [{"price": 2500, "stock": 50}]}),
    )
    .await;
    let product_id = text(&product["id"]);
    put_on_sale(app, &shop, &product_id).await;
    let shop = OrderShop {
        sku_id: text(&product["skus"][0]["id"]),
        product_id,
        shop,
    };
    let ebusiness_id = format!("1{}", &uuid::Uuid::new_v4().as_u128().to_string()[..6]);
    let app_key = uuid::Uuid::new_v4().to_string();
    app.sandbox(
        Method::POST,
        "/sandbox/kdniao/accounts",
        Some(json!({"ebusiness_id": ebusiness_id, "app_key": app_key})),
    )
    .await;
    let account = app
        .put(
            "/api/v1/admin/kdniao",
            shop.shop.token(),
            json!({"ebusiness_id": ebusiness_id, "app_key": app_key}),
        )
        .await
        .expect(200);
    assert_eq!(account["ebusiness_id"], json!(ebusiness_id));
    assert!(!account.to_string().contains(&app_key), "{account}");
    let sender = app
        .post(
            "/api/v1/admin/sender-addresses",
            shop.shop.token(),
            sender_body("杭州仓"),
        )
        .await
        .expect(201);
    assert_eq!(
        sender["is_default"],
        json!(true),
        "the first is the default"
    );
    FulfilmentShop {
        sender_id: text(&sender["id"]),
        shop,
        ebusiness_id,
    }
}

/// Places an order of `quantity` with `key` (not paid).
pub async fn place_order(
    app: &TestApp,
    shop: &FulfilmentShop,
    buyer: &Buyer,
    key: &str,
    quantity: i64,
) -> String {
    let address = buyer.address(app).await;
    text(
        &buyer
            .submit(
                app,
                key,
                &address,
                json!([{"sku_id": shop.shop.sku_id, "quantity": quantity}]),
            )
            .await
            .expect(201)["order_no"],
    )
}

/// The customer pays the order through the sandbox; returns once the order is paid.
pub async fn pay(app: &TestApp, buyer: &Buyer, no: &str) {
    let params = buyer
        .post(app, &format!("/api/v1/shop/orders/{no}/pay"), json!({}))
        .await
        .expect(200);
    let package = text(&params["package"]);
    let prepay_id = package
        .strip_prefix("prepay_id=")
        .unwrap_or_else(|| panic!("package: {package}"));
    user_pays(app, prepay_id).await;
    eventually("the order to be paid", || async {
        buyer
            .get(app, &format!("/api/v1/shop/orders/{no}"))
            .await
            .body["status"]
            == json!("paid")
    })
    .await;
}

/// A placed and paid order.
pub async fn paid_order(
    app: &TestApp,
    shop: &FulfilmentShop,
    buyer: &Buyer,
    key: &str,
    quantity: i64,
) -> String {
    let no = place_order(app, shop, buyer, key, quantity).await;
    pay(app, buyer, &no).await;
    no
}

/// The sandbox's call log for one API.
pub async fn calls(app: &TestApp, api: &str) -> Vec<Value> {
    app.sandbox(Method::GET, &format!("/sandbox/calls?api={api}"), None)
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}
