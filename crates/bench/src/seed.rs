//! Seeds shops through the admin API, exactly as merchants would: provision, log in, bind the
//! mini-program, create categories, import products by CSV, put them on sale in batches.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::server::{BenchServer, OPERATOR_EMAIL, OPERATOR_PASSWORD};

/// One request of a scenario: a path, and the appid header for shop routes.
#[derive(Clone, Debug)]
pub struct Target {
    pub path: String,
    pub appid: Option<String>,
}

pub struct Targets {
    pub healthz: Vec<Target>,
    pub detail: Vec<Target>,
    pub list: Vec<Target>,
}

const HOT_PRODUCTS_PER_SHOP: usize = 20;

async fn call(
    server: &BenchServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{path}: {status} {body}");
    }
    Ok(body)
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
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

async fn seed_shop(
    server: &BenchServer,
    operator: &str,
    index: usize,
    products: usize,
) -> anyhow::Result<(String, Vec<String>, String)> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let code = format!("bench{index}-{}", &run[24..]);
    let email = format!("owner@{code}.test");
    let password = "bench owner password";
    call(
        server,
        reqwest::Method::POST,
        "/api/v1/platform/tenants",
        Some(operator),
        Some(json!({
            "code": code, "name": format!("基准店{index}"), "subject_type": "enterprise",
            "contact_name": "王经理", "contact_phone": "13800138000", "contact_email": email,
            "owner": {"name": "店主", "email": email, "password": password}
        })),
    )
    .await?;
    let login = call(
        server,
        reqwest::Method::POST,
        "/api/v1/admin/auth/login",
        None,
        Some(json!({"shop": code, "login": email, "password": password})),
    )
    .await?;
    let token = text(&login["token"]);
    let appid = format!("wx{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    call(
        server,
        reqwest::Method::PUT,
        "/api/v1/admin/wechat/app",
        Some(&token),
        Some(json!({"appid": appid, "app_secret": "0123456789abcdef0123456789abcdef"})),
    )
    .await?;
    let clothes = call(
        server,
        reqwest::Method::POST,
        "/api/v1/admin/catalog/categories",
        Some(&token),
        Some(json!({"name": "服装"})),
    )
    .await?;
    let clothes = text(&clothes["id"]);
    call(
        server,
        reqwest::Method::POST,
        "/api/v1/admin/catalog/categories",
        Some(&token),
        Some(json!({"name": "上衣", "parent_id": clothes})),
    )
    .await?;
    let imported = server
        .client
        .post(format!("{}/api/v1/admin/catalog/import", server.address))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(catalog_csv(products))
        .send()
        .await?;
    let status = imported.status();
    let report: Value = imported.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("import: {status} {report}");
    }
    let ids: Vec<String> = report["product_ids"]
        .as_array()
        .context("no product ids")?
        .iter()
        .map(text)
        .collect();
    for batch in ids.chunks(200) {
        call(
            server,
            reqwest::Method::POST,
            "/api/v1/admin/catalog/products/batch-status",
            Some(&token),
            Some(json!({"product_ids": batch, "status": "on_sale"})),
        )
        .await?;
    }
    Ok((appid, ids, clothes))
}

pub async fn seed(server: &BenchServer, shops: usize, products: usize) -> anyhow::Result<Targets> {
    let login = call(
        server,
        reqwest::Method::POST,
        "/api/v1/platform/auth/login",
        None,
        Some(json!({"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})),
    )
    .await?;
    let operator = text(&login["token"]);
    let mut targets = Targets {
        healthz: vec![Target {
            path: "/healthz".to_owned(),
            appid: None,
        }],
        detail: Vec::new(),
        list: Vec::new(),
    };
    for index in 0..shops {
        let started = std::time::Instant::now();
        let (appid, ids, category) = seed_shop(server, &operator, index, products).await?;
        eprintln!(
            "seeded shop {index}: {} products in {:.1} s",
            ids.len(),
            started.elapsed().as_secs_f64()
        );
        for id in ids
            .iter()
            .step_by((ids.len() / HOT_PRODUCTS_PER_SHOP).max(1))
            .take(HOT_PRODUCTS_PER_SHOP)
        {
            targets.detail.push(Target {
                path: format!("/api/v1/shop/catalog/products/{id}"),
                appid: Some(appid.clone()),
            });
        }
        for query in [
            "limit=20".to_owned(),
            "limit=20&sort=price_asc".to_owned(),
            "limit=20&sort=newest".to_owned(),
            "limit=20&tag=热卖".to_owned(),
            format!("limit=20&category_id={category}"),
        ] {
            targets.list.push(Target {
                path: format!("/api/v1/shop/catalog/products?{query}"),
                appid: Some(appid.clone()),
            });
        }
    }
    Ok(targets)
}
