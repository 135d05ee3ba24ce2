//! After-sales, refunds by line and reviews, through the HTTP API against the WeChat sandbox:
//! the customer applies, the merchant decides, WeChat Pay refunds, the refund notification settles
//! the after-sale once, and the ledger and statement agree to the fen.

mod end_to_end;
mod flows;
mod reviews;

use reqwest::Method;
use serde_json::{Value, json};

use crate::catalog_helpers::{CatalogShop, new_category, new_product, put_on_sale};
use crate::helpers::{Reply, TestApp, text};
use crate::orders::{Buyer, OrderShop};
use crate::payments::{PayShop, eventually, pay_shop, user_pays};

/// A verified shop with WeChat Pay, one product on sale, and a buyer.
pub struct AfterSaleShop {
    pub shop: OrderShop,
    pub tenant: kernel::TenantId,
    pub mchid: String,
    pub buyer: Buyer,
}

impl AfterSaleShop {
    pub async fn new(app: &TestApp, operator: &str, price: i64, stock: i64, openid: &str) -> Self {
        let PayShop {
            shop,
            tenant,
            appid,
            mchid,
            ..
        } = pay_shop(app, operator, None).await;
        let shop = CatalogShop { appid, shop };
        let category_id = new_category(app, &shop, json!({"name": "茶"})).await;
        let product = new_product(
            app,
            &shop,
            json!({"category_id": category_id, "title": "龙井", "skus": [{"price": price, "stock": stock}]}),
        )
        .await;
        let product_id = text(&product["id"]);
        put_on_sale(app, &shop, &product_id).await;
        let buyer = Buyer::new(app, &shop.appid, openid).await;
        AfterSaleShop {
            shop: OrderShop {
                sku_id: text(&product["skus"][0]["id"]),
                product_id,
                shop,
            },
            tenant,
            mchid,
            buyer,
        }
    }

    pub fn token(&self) -> &str {
        self.shop.shop.token()
    }

    /// The buyer orders `quantity` and pays through the sandbox; returns the order number once
    /// the notification marked it paid.
    pub async fn paid_order(&self, app: &TestApp, quantity: i64) -> String {
        let buyer = &self.buyer;
        let address = buyer.address(app).await;
        let key = uuid::Uuid::new_v4().simple().to_string();
        let placed = buyer
            .submit(
                app,
                &key,
                &address,
                json!([{"sku_id": self.shop.sku_id, "quantity": quantity}]),
            )
            .await
            .expect(201);
        let no = text(&placed["order_no"]);
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
        no
    }

    pub async fn ship(&self, app: &TestApp, no: &str) {
        app.post(
            &format!("/api/v1/admin/orders/{no}/ship"),
            self.token(),
            json!({"carrier": "SF", "tracking_no": "SF1234567890"}),
        )
        .await
        .expect(200);
    }

    /// The buyer applies on `quantity` of the product's line.
    pub async fn apply(&self, app: &TestApp, no: &str, kind: &str, quantity: i64) -> Reply {
        self.buyer
            .post(
                app,
                &format!("/api/v1/shop/orders/{no}/after-sales"),
                json!({"kind": kind, "reason": "不想要了", "photos": ["https://img.example.com/a.jpg"],
                       "lines": [{"sku_id": self.shop.sku_id, "quantity": quantity}]}),
            )
            .await
    }

    pub async fn admin(&self, app: &TestApp, id: &str, action: &str, body: Value) -> Reply {
        app.post(
            &format!("/api/v1/admin/after-sales/{id}/{action}"),
            self.token(),
            body,
        )
        .await
    }

    pub async fn after_sale(&self, app: &TestApp, id: &str) -> Value {
        app.get(&format!("/api/v1/admin/after-sales/{id}"), self.token())
            .await
            .expect(200)
    }

    pub async fn wait_refunded(&self, app: &TestApp, id: &str) -> Value {
        eventually("the after-sale to be refunded", || async {
            self.after_sale(app, id).await["status"] == json!("refunded")
        })
        .await;
        self.after_sale(app, id).await
    }

    pub async fn ledger_today(&self, app: &TestApp) -> Value {
        let today = payment::china_day_of(chrono::Utc::now());
        app.get(
            &format!("/api/v1/admin/payments/ledger?date={today}"),
            self.token(),
        )
        .await
        .expect(200)
    }

    pub async fn order(&self, app: &TestApp, no: &str) -> Value {
        app.get(&format!("/api/v1/admin/orders/{no}"), self.token())
            .await
            .expect(200)
    }
}

/// How many new refunds WeChat's sandbox made for this merchant.
pub async fn sandbox_new_refunds(app: &TestApp, mchid: &str) -> usize {
    let calls = app.sandbox(Method::GET, "/sandbox/calls", None).await;
    calls
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["api"] == json!("pay.refund")
                && c["subject"] == json!(mchid)
                && c["outcome"] == json!("ok")
        })
        .count()
}
