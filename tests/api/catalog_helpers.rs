//! Catalog fixtures: a shop bound to an appid (so its mini-program side answers), categories and
//! products created through the admin API.

use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, new_appid, new_code, text};

/// A shop with a bound mini-program appid.
pub struct CatalogShop {
    pub shop: Shop,
    pub appid: String,
}

impl CatalogShop {
    pub fn token(&self) -> &str {
        &self.shop.owner_token
    }
}

pub async fn new_catalog_shop(app: &TestApp, operator: &str, prefix: &str) -> CatalogShop {
    let shop = app
        .new_shop(operator, &new_code(prefix), "enterprise")
        .await;
    let appid = new_appid();
    app.put(
        "/api/v1/admin/wechat/app",
        &shop.owner_token,
        json!({"appid": appid, "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect(200);
    CatalogShop { shop, appid }
}

pub async fn new_category(app: &TestApp, shop: &CatalogShop, body: Value) -> String {
    text(
        &app.post("/api/v1/admin/catalog/categories", shop.token(), body)
            .await
            .expect(201)["id"],
    )
}

/// A product with one SKU (no specs) at `price` fen with 10 in stock.
pub fn simple_product(category_id: &str, title: &str, price: i64) -> Value {
    json!({
        "category_id": category_id,
        "title": title,
        "skus": [{"price": price, "stock": 10, "low_stock_threshold": 2}]
    })
}

/// Creates a product and returns its body.
pub async fn new_product(app: &TestApp, shop: &CatalogShop, body: Value) -> Value {
    app.post("/api/v1/admin/catalog/products", shop.token(), body)
        .await
        .expect(201)
}

pub async fn put_on_sale(app: &TestApp, shop: &CatalogShop, product_id: &str) {
    app.post(
        &format!("/api/v1/admin/catalog/products/{product_id}/status"),
        shop.token(),
        json!({"status": "on_sale"}),
    )
    .await
    .expect(200);
}

/// A product on sale, returning its id and first SKU id.
pub async fn on_sale_product(
    app: &TestApp,
    shop: &CatalogShop,
    category_id: &str,
    title: &str,
    price: i64,
) -> (String, String) {
    let product = new_product(app, shop, simple_product(category_id, title, price)).await;
    let id = text(&product["id"]);
    put_on_sale(app, shop, &id).await;
    (id, text(&product["skus"][0]["id"]))
}

pub fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| text(&item["title"]))
        .collect()
}
