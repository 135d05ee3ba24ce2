//! Seeds shops through the admin API, exactly as merchants would: provision, log in, bind the
//! mini-program, create categories, import products by CSV, put them on sale in batches; and
//! customers through the WeChat sandbox's login codes, each with a shipping address.

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{Caller, call, text};
use crate::server::{Deployment, OPERATOR_EMAIL, OPERATOR_PASSWORD};

/// One request of a read scenario: a path, and the appid header for shop routes.
#[derive(Clone, Debug)]
pub struct Target {
    pub path: String,
    pub appid: Option<String>,
}

/// A seeded shop.
pub struct Shop {
    pub tenant_id: String,
    pub token: String,
    pub appid: String,
    pub product_ids: Vec<String>,
    /// Every SKU of the imported products (each with 100 in stock).
    pub sku_ids: Vec<String>,
    pub category_id: String,
}

/// A logged-in customer with a default address.
#[derive(Clone)]
pub struct Customer {
    pub appid: String,
    pub token: String,
    pub address_id: String,
    /// The gateway process the customer talks to.
    pub gateway: usize,
}

const HOT_PRODUCTS_PER_SHOP: usize = 20;
/// Requests in flight while seeding.
const SEED_PARALLEL: usize = 32;

pub async fn operator_token(deployment: &Deployment) -> anyhow::Result<String> {
    let login = call(
        &deployment.client,
        &deployment.first().address,
        Method::POST,
        "/api/v1/platform/auth/login",
        Caller::default(),
        Some(&json!({"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})),
        &[],
    )
    .await?
    .expect("operator login", 200)?;
    Ok(text(&login["token"]))
}

/// An admin call on the first gateway that must answer `status`.
pub async fn admin(
    deployment: &Deployment,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    status: u16,
) -> anyhow::Result<Value> {
    call(
        &deployment.client,
        &deployment.first().address,
        method,
        path,
        Caller {
            token: Some(token),
            appid: None,
        },
        body.as_ref(),
        &[],
    )
    .await?
    .expect(path, status)
}

fn catalog_csv(products: usize) -> String {
    let mut csv = String::from(
        "product_ref,category,title,subtitle,tags,spec_names,spec_values,price,list_price,stock,low_stock_threshold\n",
    );
    for index in 0..products {
        let category = if index % 2 == 0 {
            "服装"
        } else {
            "服装/上衣"
        };
        let tags = if index % 5 == 0 {
            "热卖|新品"
        } else {
            "新品"
        };
        let price = 1000 + (index as i64 * 37) % 20000;
        for (colour, extra) in [("红", 0), ("蓝", 500)] {
            csv.push_str(&format!(
                "p{index},{category},基准商品{index} 保湿面霜,第{index}号,{tags},颜色,{colour},{},{},100,5\n",
                price + extra,
                price + extra + 1000
            ));
        }
    }
    csv
}

/// A new shop (tenant, owner, bound mini-program, two categories) with `products` imported and on
/// sale (none when 0).
pub async fn seed_shop(
    deployment: &Deployment,
    operator: &str,
    label: &str,
    products: usize,
) -> anyhow::Result<Shop> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let code = format!("{label}-{}", &run[24..]);
    let email = format!("owner@{code}.test");
    let password = "bench owner password";
    let tenant = admin(
        deployment,
        Method::POST,
        "/api/v1/platform/tenants",
        operator,
        Some(json!({
            "code": code, "name": format!("基准店{label}"), "subject_type": "enterprise",
            "contact_name": "王经理", "contact_phone": "13800138000", "contact_email": email,
            "owner": {"name": "店主", "email": email, "password": password}
        })),
        201,
    )
    .await?;
    let tenant_id = text(&tenant["tenant"]["id"]);
    let login = call(
        &deployment.client,
        &deployment.first().address,
        Method::POST,
        "/api/v1/admin/auth/login",
        Caller::default(),
        Some(&json!({"shop": code, "login": email, "password": password})),
        &[],
    )
    .await?
    .expect("owner login", 200)?;
    let token = text(&login["token"]);
    let appid = format!("wx{}", &uuid::Uuid::now_v7().simple().to_string()[16..]);
    admin(
        deployment,
        Method::PUT,
        "/api/v1/admin/wechat/app",
        &token,
        Some(json!({"appid": appid, "app_secret": "0123456789abcdef0123456789abcdef"})),
        200,
    )
    .await?;
    let clothes = admin(
        deployment,
        Method::POST,
        "/api/v1/admin/catalog/categories",
        &token,
        Some(json!({"name": "服装"})),
        201,
    )
    .await?;
    let category_id = text(&clothes["id"]);
    admin(
        deployment,
        Method::POST,
        "/api/v1/admin/catalog/categories",
        &token,
        Some(json!({"name": "上衣", "parent_id": category_id})),
        201,
    )
    .await?;
    let mut shop = Shop {
        tenant_id,
        token,
        appid,
        product_ids: Vec::new(),
        sku_ids: Vec::new(),
        category_id,
    };
    if products == 0 {
        return Ok(shop);
    }
    let imported = deployment
        .client
        .post(format!(
            "{}/api/v1/admin/catalog/import",
            deployment.first().address
        ))
        .bearer_auth(&shop.token)
        .header("content-type", "text/csv")
        .body(catalog_csv(products))
        .send()
        .await?;
    let status = imported.status();
    let report: Value = imported.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        anyhow::bail!("import: {status} {report}");
    }
    shop.product_ids = report["product_ids"]
        .as_array()
        .context("no product ids")?
        .iter()
        .map(text)
        .collect();
    for batch in shop.product_ids.chunks(200) {
        admin(
            deployment,
            Method::POST,
            "/api/v1/admin/catalog/products/batch-status",
            &shop.token,
            Some(json!({"product_ids": batch, "status": "on_sale"})),
            200,
        )
        .await?;
    }
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/admin/catalog/products?limit=100&cursor={cursor}"),
            None => "/api/v1/admin/catalog/products?limit=100".to_owned(),
        };
        let page = admin(deployment, Method::GET, &path, &shop.token, None, 200).await?;
        for product in page["items"].as_array().into_iter().flatten() {
            for sku in product["skus"].as_array().into_iter().flatten() {
                shop.sku_ids.push(text(&sku["id"]));
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    Ok(shop)
}

/// One product with one SKU of `stock` at `price` fen, on sale; returns (product id, SKU id).
pub async fn single_sku_product(
    deployment: &Deployment,
    shop: &Shop,
    title: &str,
    price: i64,
    stock: i64,
) -> anyhow::Result<(String, String)> {
    let product = admin(
        deployment,
        Method::POST,
        "/api/v1/admin/catalog/products",
        &shop.token,
        Some(json!({"category_id": shop.category_id, "title": title,
            "skus": [{"price": price, "stock": stock}]})),
        201,
    )
    .await?;
    let product_id = text(&product["id"]);
    admin(
        deployment,
        Method::POST,
        &format!("/api/v1/admin/catalog/products/{product_id}/status"),
        &shop.token,
        Some(json!({"status": "on_sale"})),
        200,
    )
    .await?;
    Ok((product_id, text(&product["skus"][0]["id"])))
}

/// `count` customers of `appid` logged in through the sandbox's login codes (customer `i` on
/// gateway `i % gateways`), each with a default address.
pub async fn customers(
    deployment: &Deployment,
    appid: &str,
    count: usize,
) -> anyhow::Result<Vec<Customer>> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    futures_util::stream::iter(0..count)
        .map(|index| {
            let run = &run;
            async move {
                let gateway = index % deployment.gateways.len();
                let process = &deployment.gateways[gateway];
                let code = call(
                    &deployment.client,
                    &process.sandbox,
                    Method::POST,
                    "/sandbox/login-code",
                    Caller::default(),
                    Some(&json!({"appid": appid, "openid": format!("o-bench-{}-{index}", &run[20..])})),
                    &[],
                )
                .await?
                .expect("sandbox login code", 201)?;
                let login = call(
                    &deployment.client,
                    &process.address,
                    Method::POST,
                    "/api/v1/shop/auth/login",
                    Caller {
                        token: None,
                        appid: Some(appid),
                    },
                    Some(&json!({"code": text(&code["code"])})),
                    &[],
                )
                .await?
                .expect("customer login", 200)?;
                let token = text(&login["token"]);
                let address = call(
                    &deployment.client,
                    &process.address,
                    Method::POST,
                    "/api/v1/shop/addresses",
                    Caller {
                        token: Some(&token),
                        appid: Some(appid),
                    },
                    Some(&json!({
                        "consignee": "张三", "mobile": "13800138000", "province": "浙江省",
                        "city": "杭州市", "district": "西湖区", "detail": format!("文三路 {index} 号")
                    })),
                    &[],
                )
                .await?
                .expect("address", 201)?;
                anyhow::Ok(Customer {
                    appid: appid.to_owned(),
                    token,
                    address_id: text(&address["id"]),
                    gateway,
                })
            }
        })
        .buffered(SEED_PARALLEL)
        .try_collect()
        .await
}

/// The catalog read targets of a shop: hot product details and list queries.
pub fn catalog_targets(shop: &Shop, detail: &mut Vec<Target>, list: &mut Vec<Target>) {
    for id in shop
        .product_ids
        .iter()
        .step_by((shop.product_ids.len() / HOT_PRODUCTS_PER_SHOP).max(1))
        .take(HOT_PRODUCTS_PER_SHOP)
    {
        detail.push(Target {
            path: format!("/api/v1/shop/catalog/products/{id}"),
            appid: Some(shop.appid.clone()),
        });
    }
    for query in [
        "limit=20".to_owned(),
        "limit=20&sort=price_asc".to_owned(),
        "limit=20&sort=newest".to_owned(),
        "limit=20&tag=热卖".to_owned(),
        format!("limit=20&category_id={}", shop.category_id),
    ] {
        list.push(Target {
            path: format!("/api/v1/shop/catalog/products?{query}"),
            appid: Some(shop.appid.clone()),
        });
    }
}
