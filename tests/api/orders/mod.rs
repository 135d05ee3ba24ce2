//! Orders: cart, addresses, checkout, the stock invariant under races, the lifecycle.

mod checkout;
mod paying;
mod races;
mod shopping;

use reqwest::Method;
use serde_json::{Value, json};

use crate::catalog_helpers::{
    CatalogShop, new_catalog_shop, new_category, new_product, put_on_sale,
};
use crate::helpers::{Reply, TestApp, text};

/// A customer of one shop.
pub struct Buyer {
    pub appid: String,
    pub token: String,
}

impl Buyer {
    pub async fn new(app: &TestApp, appid: &str, openid: &str) -> Buyer {
        Buyer {
            appid: appid.to_owned(),
            token: app.customer_token(appid, openid).await,
        }
    }

    pub async fn call(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut all = vec![("X-WX-Appid", self.appid.as_str())];
        all.extend_from_slice(headers);
        app.request(method, path, Some(&self.token), body, &all)
            .await
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Reply {
        self.call(app, Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> Reply {
        self.call(app, Method::POST, path, Some(body), &[]).await
    }

    /// Adds a complete address; returns its id.
    pub async fn address(&self, app: &TestApp) -> String {
        text(
            &self
                .post(app, "/api/v1/shop/addresses", address_body())
                .await
                .expect(201)["id"],
        )
    }

    /// Submits an order for `lines` with `key`.
    pub async fn submit(&self, app: &TestApp, key: &str, address_id: &str, lines: Value) -> Reply {
        self.call(
            app,
            Method::POST,
            "/api/v1/shop/orders",
            Some(json!({"address_id": address_id, "lines": lines})),
            &[("Idempotency-Key", key)],
        )
        .await
    }
}

pub fn address_body() -> Value {
    json!({
        "consignee": "张三", "mobile": "13800138000", "province": "浙江省", "city": "杭州市",
        "district": "西湖区", "detail": "文三路 100 号"
    })
}

/// A shop with one product on sale: one SKU at `price` fen with `stock`.
pub struct OrderShop {
    pub shop: CatalogShop,
    pub product_id: String,
    pub sku_id: String,
}

pub async fn order_shop(
    app: &TestApp,
    operator: &str,
    prefix: &str,
    price: i64,
    stock: i64,
) -> OrderShop {
    let shop = new_catalog_shop(app, operator, prefix).await;
    let category_id = new_category(app, &shop, json!({"name": "茶"})).await;
    let product = new_product(
        app,
        &shop,
        json!({"category_id": category_id, "title": "龙井", "skus": [{"price": price, "stock": stock}]}),
    )
    .await;
    let product_id = text(&product["id"]);
    put_on_sale(app, &shop, &product_id).await;
    OrderShop {
        sku_id: text(&product["skus"][0]["id"]),
        product_id,
        shop,
    }
}

impl OrderShop {
    /// The SKU's stock in the database, as the merchant sees it.
    pub async fn stock(&self, app: &TestApp) -> i64 {
        app.get(
            &format!("/api/v1/admin/catalog/products/{}", self.product_id),
            self.shop.token(),
        )
        .await
        .expect(200)["skus"][0]["stock"]
            .as_i64()
            .unwrap_or(-1)
    }

    pub fn tenant(&self) -> kernel::TenantId {
        kernel::TenantId::parse(&self.shop.shop.tenant_id).unwrap_or_default()
    }

    pub fn sku(&self) -> uuid::Uuid {
        self.sku_id.parse().unwrap_or_default()
    }

    /// The SKU's stock in Redis (None without Redis or before the first order).
    pub async fn redis_stock(&self, app: &TestApp) -> Option<i64> {
        order::redis_stock(&app.state.catalog_cache, self.tenant(), self.sku()).await
    }

    /// Asserts Redis (when seeded) agrees with the database, and reconciliation finds no drift.
    pub async fn assert_redis_agrees(&self, app: &TestApp) {
        let database = self.stock(app).await;
        if let Some(redis) = self.redis_stock(app).await {
            assert_eq!(redis, database, "redis and the database disagree");
        }
        let drift = order::reconcile_stock(
            &app.db,
            &app.state.catalog_cache,
            self.tenant(),
            &[self.sku()],
        )
        .await
        .unwrap_or_else(|err| panic!("{err}"));
        assert!(drift.is_empty(), "drift: {drift:?}");
    }
}
