//! Tenant isolation: for every admin route, tenant A's staff token and API key are used on tenant
//! B's resources. Each attempt must be refused (404/403) or answered with A's own data only, and B
//! must be unchanged afterwards. Later crates add their routes to `ADMIN_ROUTES`.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, new_appid, new_code, text};
use crate::on_every_backend;

/// How a cross-tenant attempt must end.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The route names one of B's resources: refused with 404 or 403.
    Refused,
    /// The route has no resource id: it serves the caller's own tenant, so B's data must not appear.
    OwnDataOnly,
    /// A batch naming B's resources: answered item by item, each refused with 404 or 403.
    EachItemRefused,
}

struct Route {
    method: Method,
    /// `{b_staff}`, `{b_key}`, `{b_category}`, `{b_product}`, `{b_sku}`, `{b_order}`,
    /// `{b_after_sale}` and `{b_review}` are replaced by B's ids
    /// (in the body too).
    path: &'static str,
    body: fn() -> Option<Value>,
    expect: Expect,
}

fn none() -> Option<Value> {
    None
}

const ADMIN_ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/api/v1/admin/me",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/shop",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/staff",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/staff",
        body: || {
            Some(
                json!({"name": "intruder", "email": "intruder@evil.test", "role": "admin", "password": "intruder password"}),
            )
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PATCH,
        path: "/api/v1/admin/staff/{b_staff}",
        body: || Some(json!({"name": "hacked", "status": "disabled"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/staff/{b_staff}/password-reset",
        body: || Some(json!({"new_password": "hacked password"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/api-keys",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/api-keys",
        body: || Some(json!({"name": "intruder", "scopes": ["shop:read"]})),
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::DELETE,
        path: "/api/v1/admin/api-keys/{b_key}",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/certification",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/certification",
        body: || {
            Some(
                json!({"legal_name": "x", "licence_number": "bad", "legal_representative": "x", "document_urls": []}),
            )
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/wechat",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/wechat/app",
        body: || {
            Some(
                json!({"appid": "wx0000000000000000", "app_secret": "0123456789abcdef0123456789abcdef"}),
            )
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/wechat/pay",
        body: || {
            Some(
                json!({"mch_id": "1", "apiv3_key": "", "private_key_pem": "", "merchant_cert_serial": "",
            "wechatpay_public_key_id": "", "wechatpay_public_key_pem": ""}),
            )
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/payments/ledger?date=2026-11-26",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/payments/statements/{date}",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/payments/reconciliation/{date}",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/payments/fee-rate",
        body: || Some(json!({"fee_rate_ppm": 99_999})),
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/me/password",
        body: || {
            Some(json!({"current_password": "wrong password", "new_password": "another password"}))
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/catalog/categories",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/catalog/categories",
        body: || Some(json!({"name": "intruder", "parent_id": null})),
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PATCH,
        path: "/api/v1/admin/catalog/categories/{b_category}",
        body: || Some(json!({"name": "hacked", "visible": false})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/catalog/products",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/catalog/products",
        body: || {
            Some(
                json!({"category_id": B_CATEGORY_PLACEHOLDER, "title": "intruder", "skus": [{"price": 1}]}),
            )
        },
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/catalog/products/{b_product}",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::PATCH,
        path: "/api/v1/admin/catalog/products/{b_product}",
        body: || Some(json!({"title": "hacked"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/catalog/products/{b_product}/status",
        body: || Some(json!({"status": "off_shelf"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/catalog/products/batch-status",
        body: || Some(json!({"product_ids": [B_PRODUCT_PLACEHOLDER], "status": "off_shelf"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::PATCH,
        path: "/api/v1/admin/catalog/skus/{b_sku}",
        body: || Some(json!({"price": 1})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/catalog/skus/{b_sku}/stock-adjustments",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/catalog/skus/{b_sku}/stock-adjustments",
        body: || Some(json!({"delta": -5, "reason": "damage"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/catalog/low-stock",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/catalog/low-stock-alerts",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/catalog/import",
        body: || {
            Some(json!(
                "product_ref,category,title,price\nx,B 类目,intruder,100\n"
            ))
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/catalog/export",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/catalog/media",
        body: || Some(json!("GIF89a")),
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/freight-rule",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/freight-rule",
        body: || Some(json!({"flat_fee": 1, "free_over": null})),
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/orders?status=pending_payment",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/orders/{b_order}",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/orders/{b_order}/cancel",
        body: || Some(json!({"reason": "not yours"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/orders/{b_order}/ship",
        body: || Some(json!({"carrier": "SF", "tracking_no": "SF1234567890"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/orders/{b_order}/refunds",
        body: || {
            Some(json!({"reason": "not yours", "lines": [{"sku_id": "{b_sku}", "quantity": 1}]}))
        },
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/after-sales",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/after-sales/{b_after_sale}",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/after-sales/{b_after_sale}/approve",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/after-sales/{b_after_sale}/reject",
        body: || Some(json!({"reason": "not yours"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/after-sales/{b_after_sale}/receive",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/reviews",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/reviews/stats",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/reviews/{b_review}/reply",
        body: || Some(json!({"text": "not yours"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/orders/{b_order}/waybill",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/orders/{b_order}/remark",
        body: || Some(json!({"remark": "hacked"})),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/orders/batch-ship",
        body: || {
            Some(json!({"items": [
                {"order_no": "{b_order}", "carrier": "SF", "tracking_no": "SF1234567890"},
                {"order_no": "{b_order}", "waybill": {"carrier_code": "SF", "sender_address_id": "{b_sender}"}},
            ]}))
        },
        expect: Expect::EachItemRefused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/orders/export?status=pending_payment",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/orders?customer_id={b_customer}",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/sender-addresses",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/sender-addresses",
        body: || {
            Some(
                json!({"name": "intruder", "mobile": "13800138000", "province": "广东省",
                "city": "深圳市", "district": "南山区", "detail": "1 号", "is_default": true}),
            )
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/sender-addresses/{b_sender}",
        body: || {
            Some(
                json!({"name": "hacked", "mobile": "13800138000", "province": "广东省",
                "city": "深圳市", "district": "南山区", "detail": "1 号", "is_default": true}),
            )
        },
        expect: Expect::Refused,
    },
    Route {
        method: Method::DELETE,
        path: "/api/v1/admin/sender-addresses/{b_sender}",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/kdniao",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/kdniao",
        body: || Some(json!({"ebusiness_id": "1999999", "app_key": "intruder-app-key"})),
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/freight-template",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/freight-template",
        body: || {
            Some(
                json!({"charge_by": "piece", "default_rate": {"first": 1, "first_fee": 1, "additional": 1, "additional_fee": 1}, "free_over": null}),
            )
        },
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::DELETE,
        path: "/api/v1/admin/freight-template",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/promo/flash-sales",
        body: none,
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/promo/flash-sales",
        body: || Some(flash_sale_body()),
        expect: Expect::OwnDataOnly,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/admin/promo/flash-sales/{b_flash_sale}",
        body: none,
        expect: Expect::Refused,
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/admin/promo/flash-sales/{b_flash_sale}",
        body: || Some(flash_sale_body()),
        expect: Expect::Refused,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/admin/promo/flash-sales/{b_flash_sale}/stop",
        body: none,
        expect: Expect::Refused,
    },
];

/// A valid flash sale of B's SKU, in the future.
fn flash_sale_body() -> Value {
    json!({"title": "B 秒杀", "starts_at": "2036-01-01T00:00:00Z", "ends_at": "2036-01-02T00:00:00Z",
        "items": [{"sku_id": "{b_sku}", "sale_price_fen": 100, "quantity": 1}]})
}

/// Bodies name B's ids through these placeholders, replaced before sending.
const B_CATEGORY_PLACEHOLDER: &str = "{b_category}";
const B_PRODUCT_PLACEHOLDER: &str = "{b_product}";

/// Replaces every placeholder with B's ids.
fn with_b_ids(text: &str, ids: &[(&str, &str)]) -> String {
    ids.iter().fold(text.to_owned(), |text, (placeholder, id)| {
        text.replace(placeholder, id)
    })
}

/// Routes that need no credential, so have nothing to isolate.
const PUBLIC_ADMIN_ROUTES: &[&str] = &["/api/v1/admin/auth/login"];

on_every_backend!(no_admin_route_lets_one_shop_touch_another,);

/// Everything of B's that an admin route could change, as B's owner sees it.
async fn snapshot(app: &TestApp, b: &Shop) -> Value {
    let mut state = json!({});
    for path in [
        "/api/v1/admin/staff",
        "/api/v1/admin/api-keys",
        "/api/v1/admin/shop",
        "/api/v1/admin/wechat",
        "/api/v1/admin/certification",
        "/api/v1/admin/catalog/categories",
        "/api/v1/admin/catalog/products",
        "/api/v1/admin/catalog/low-stock",
        "/api/v1/admin/orders",
        "/api/v1/admin/freight-rule",
        "/api/v1/admin/freight-template",
        "/api/v1/admin/sender-addresses",
        "/api/v1/admin/kdniao",
        "/api/v1/admin/after-sales",
        "/api/v1/admin/reviews",
        "/api/v1/admin/reviews/stats",
        "/api/v1/admin/promo/flash-sales",
    ] {
        let reply = app.get(path, &b.owner_token).await;
        let mut body = reply.body;
        if let Some(object) = body.as_object_mut() {
            object.remove("request_id");
            object.remove("updated_at");
        }
        // An after-sale's age grows by itself.
        for item in body.as_array_mut().into_iter().flatten() {
            if let Some(object) = item.as_object_mut() {
                object.remove("age_seconds");
            }
        }
        state[path] = body;
    }
    state
}

async fn no_admin_route_lets_one_shop_touch_another(app: TestApp) {
    // Every admin route in the API document is in the table (so new routes cannot be forgotten).
    let document = app
        .request(Method::GET, "/api/openapi.json", None, None, &[])
        .await
        .expect(200);
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| format!("{} {path}", method.to_uppercase()))
        })
        .filter(|route| route.contains(" /api/v1/admin/"))
        .filter(|route| {
            !PUBLIC_ADMIN_ROUTES
                .iter()
                .any(|public| route.ends_with(public))
        })
        .collect();
    let tabled: BTreeSet<String> = ADMIN_ROUTES
        .iter()
        .map(|route| {
            let path = [
                "{b_staff}",
                "{b_key}",
                "{b_category}",
                "{b_product}",
                "{b_sku}",
                "{b_sender}",
                "{b_after_sale}",
                "{b_review}",
                "{b_flash_sale}",
            ]
            .iter()
            .fold(route.path.to_owned(), |path, placeholder| {
                path.replace(placeholder, "{id}")
            })
            .replace("{b_order}", "{no}");
            let path = path.split('?').next().unwrap_or_default();
            format!("{} {path}", route.method)
        })
        .collect();
    assert_eq!(
        documented, tabled,
        "the isolation table and the admin API differ"
    );

    let operator = app.operator_token().await;
    let a = app
        .new_shop(&operator, &new_code("alpha"), "enterprise")
        .await;
    let b = app
        .new_shop(&operator, &new_code("beta"), "enterprise")
        .await;
    let b_appid = new_appid();
    app.put(
        "/api/v1/admin/wechat/app",
        &b.owner_token,
        json!({"appid": b_appid, "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect(200);
    app.certify(&operator, &b).await;
    let b_member = app
        .post(
            "/api/v1/admin/staff",
            &b.owner_token,
            json!({"name": "B member", "email": "member@beta.test", "role": "operator", "password": "member password"}),
        )
        .await
        .expect(201);
    let b_staff = text(&b_member["staff"]["id"]);
    let b_key = text(
        &app.post(
            "/api/v1/admin/api-keys",
            &b.owner_token,
            json!({"name": "B key", "scopes": ["shop:read"]}),
        )
        .await
        .expect(201)["id"],
    );
    let a_key = text(
        &app.post(
            "/api/v1/admin/api-keys",
            &a.owner_token,
            json!({"name": "A key", "scopes": ["shop:read", "catalog:write", "orders:write"]}),
        )
        .await
        .expect(201)["secret"],
    );
    let b_category = text(
        &app.post(
            "/api/v1/admin/catalog/categories",
            &b.owner_token,
            json!({"name": "B 类目"}),
        )
        .await
        .expect(201)["id"],
    );
    let b_product_body = app
        .post(
            "/api/v1/admin/catalog/products",
            &b.owner_token,
            json!({"category_id": b_category, "title": "B 商品", "skus": [{"price": 990, "stock": 3, "low_stock_threshold": 5}]}),
        )
        .await
        .expect(201);
    let b_product = text(&b_product_body["id"]);
    let b_sku = text(&b_product_body["skus"][0]["id"]);
    app.post(
        &format!("/api/v1/admin/catalog/products/{b_product}/status"),
        &b.owner_token,
        json!({"status": "on_sale"}),
    )
    .await
    .expect(200);
    // B runs a flash sale of one unit.
    let b_flash_sale = text(
        &app.post(
            "/api/v1/admin/promo/flash-sales",
            &b.owner_token,
            json!({"title": "B 秒杀", "starts_at": "2036-01-01T00:00:00Z", "ends_at": "2036-01-02T00:00:00Z",
                "items": [{"sku_id": b_sku, "sale_price_fen": 100, "quantity": 1}]}),
        )
        .await
        .expect(201)["id"],
    );
    // B's customer places an order.
    let b_buyer = app.customer_token(&b_appid, "o_b_buyer").await;
    let b_address = text(
        &app.request(
            Method::POST,
            "/api/v1/shop/addresses",
            Some(&b_buyer),
            Some(
                json!({"consignee": "王五", "mobile": "13900139000", "province": "广东省",
                "city": "深圳市", "district": "南山区", "detail": "科技园 1 号"}),
            ),
            &[("X-WX-Appid", b_appid.as_str())],
        )
        .await
        .expect(201)["id"],
    );
    let b_placed = app
        .request(
            Method::POST,
            "/api/v1/shop/orders",
            Some(&b_buyer),
            Some(json!({"address_id": b_address, "lines": [{"sku_id": b_sku, "quantity": 1}]})),
            &[
                ("X-WX-Appid", b_appid.as_str()),
                ("Idempotency-Key", "b-order"),
            ],
        )
        .await
        .expect(201);
    let b_order = text(&b_placed["order_no"]);
    // B's order goes all the way (marked paid directly: B has no WeChat Pay), is reviewed, and
    // has an after-sale waiting for B's merchant.
    let b_tenant = kernel::TenantId::parse(&b.tenant_id).unwrap_or_default();
    order::mark_order_paid(
        &app.db,
        b_tenant,
        &b_order,
        b_placed["payable"].as_i64().unwrap_or_default(),
        chrono::Utc::now(),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    app.post(
        &format!("/api/v1/admin/orders/{b_order}/ship"),
        &b.owner_token,
        json!({"carrier": "SF", "tracking_no": "SF0000000001"}),
    )
    .await
    .expect(200);
    let b_shop_call = |method: Method, path: String, body: Option<Value>| {
        let (b_buyer, b_appid) = (b_buyer.clone(), b_appid.clone());
        let app = &app;
        async move {
            app.request(
                method,
                &path,
                Some(&b_buyer),
                body,
                &[("X-WX-Appid", b_appid.as_str())],
            )
            .await
        }
    };
    b_shop_call(
        Method::POST,
        format!("/api/v1/shop/orders/{b_order}/confirm"),
        None,
    )
    .await
    .expect(200);
    let b_review = text(
        &b_shop_call(
            Method::POST,
            format!("/api/v1/shop/orders/{b_order}/reviews"),
            Some(json!({"sku_id": b_sku, "rating": 2, "text": "一般"})),
        )
        .await
        .expect(201)["id"],
    );
    let b_after_sale = text(
        &b_shop_call(
            Method::POST,
            format!("/api/v1/shop/orders/{b_order}/after-sales"),
            Some(json!({"kind": "refund_only", "reason": "不新鲜",
                "lines": [{"sku_id": b_sku, "quantity": 1}]})),
        )
        .await
        .expect(201)["id"],
    );
    let b_sender = text(
        &app.post(
            "/api/v1/admin/sender-addresses",
            &b.owner_token,
            json!({"name": "B 仓", "mobile": "13900139000", "province": "广东省",
                "city": "深圳市", "district": "南山区", "detail": "B 仓库"}),
        )
        .await
        .expect(201)["id"],
    );
    app.put(
        "/api/v1/admin/kdniao",
        &b.owner_token,
        json!({"ebusiness_id": "1888888", "app_key": "b-shop-app-key-1234"}),
    )
    .await
    .expect(200);
    app.put(
        "/api/v1/admin/freight-template",
        &b.owner_token,
        json!({"charge_by": "weight", "default_rate": {"first": 1000, "first_fee": 900, "additional": 500, "additional_fee": 300}, "free_over": 29900}),
    )
    .await
    .expect(200);
    let b_customer = text(
        &app.get(&format!("/api/v1/admin/orders/{b_order}"), &b.owner_token)
            .await
            .expect(200)["customer_id"],
    );
    let b_ids = [
        ("{b_sender}", b_sender.as_str()),
        ("{b_customer}", b_customer.as_str()),
        ("{b_after_sale}", b_after_sale.as_str()),
        ("{b_review}", b_review.as_str()),
        ("{b_flash_sale}", b_flash_sale.as_str()),
        ("{b_order}", b_order.as_str()),
        ("{b_staff}", b_staff.as_str()),
        ("{b_key}", b_key.as_str()),
        ("{b_category}", b_category.as_str()),
        ("{b_product}", b_product.as_str()),
        ("{b_sku}", b_sku.as_str()),
    ];
    let b_markers = [
        b_sender.clone(),
        b_customer.clone(),
        "1888888".to_owned(),
        b_after_sale.clone(),
        b_review.clone(),
        b_flash_sale.clone(),
        b_order.clone(),
        b_category.clone(),
        b_product.clone(),
        b_sku.clone(),
        b.tenant_id.clone(),
        b.code.clone(),
        b_appid.clone(),
        b_staff.clone(),
        b_key.clone(),
        b.owner_id.clone(),
    ];

    let before = snapshot(&app, &b).await;
    for credential in [&a.owner_token, &a_key] {
        for route in ADMIN_ROUTES {
            let path = with_b_ids(route.path, &b_ids).replace("{date}", "2026-11-26");
            let body = (route.body)()
                .and_then(|body| serde_json::from_str(&with_b_ids(&body.to_string(), &b_ids)).ok());
            let reply = app
                .request(route.method.clone(), &path, Some(credential), body, &[])
                .await;
            let status = reply.status.as_u16();
            match route.expect {
                Expect::Refused => assert!(
                    status == 404 || status == 403,
                    "{} {path}: A reached B's resource ({status}: {})",
                    route.method,
                    reply.body
                ),
                Expect::EachItemRefused => {
                    let results = reply.body["results"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    assert!(
                        status == 200 && !results.is_empty(),
                        "{} {path}: {status} {}",
                        route.method,
                        reply.body
                    );
                    for result in results {
                        let item_status = result["error"]["status"].as_u64().unwrap_or(200);
                        assert!(
                            item_status == 404 || item_status == 403,
                            "{} {path}: an item reached B's resource: {}",
                            route.method,
                            reply.body
                        );
                    }
                }
                Expect::OwnDataOnly => {
                    assert!(
                        status < 500,
                        "{} {path}: {status} {}",
                        route.method,
                        reply.body
                    );
                    let body = reply.body.to_string();
                    for marker in &b_markers {
                        assert!(
                            !body.contains(marker.as_str()),
                            "{} {path}: B's data in A's answer: {body}",
                            route.method
                        );
                    }
                }
            }
        }
    }
    let after = snapshot(&app, &b).await;
    assert_eq!(before, after, "tenant B changed");
    // B's member can still log in with their own password: no reset reached them.
    app.log_in(&b.code, "member@beta.test", "member password")
        .await;
}
