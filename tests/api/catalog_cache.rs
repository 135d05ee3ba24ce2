//! The hot catalog cache: after a write's response no read sees the old data (really racing),
//! a dead Redis only makes reads slower, and hits and misses are counted per view.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use secrecy::SecretString;
use serde_json::json;

use crate::catalog_helpers::{new_catalog_shop, new_category, on_sale_product};
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::on_every_backend;

on_every_backend!(no_read_after_a_price_change_returns_the_old_price,);

const READERS: usize = 24;
const ROUNDS: i64 = 6;

async fn no_read_after_a_price_change_returns_the_old_price(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "race").await;
    let category = new_category(&app, &shop, json!({"name": "杂货"})).await;
    let (product, sku) = on_sale_product(&app, &shop, &category, "热门商品", 1000).await;
    let detail_path = format!("/api/v1/shop/catalog/products/{product}");
    let list_path = "/api/v1/shop/catalog/products?limit=20".to_owned();

    let app = Arc::new(app);
    // The price every read that starts now must see at least (prices only go up).
    let confirmed_price = Arc::new(AtomicI64::new(1000));
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(tokio::sync::Barrier::new(READERS + 1));
    let mut readers = Vec::new();
    for reader in 0..READERS {
        let (app, confirmed_price, stop, barrier) = (
            app.clone(),
            confirmed_price.clone(),
            stop.clone(),
            barrier.clone(),
        );
        let (appid, path) = (
            shop.appid.clone(),
            if reader % 2 == 0 {
                detail_path.clone()
            } else {
                list_path.clone()
            },
        );
        readers.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut reads = 0;
            while !stop.load(Ordering::SeqCst) {
                let floor = confirmed_price.load(Ordering::SeqCst);
                let body = app.shop_get(&path, &appid).await.expect(200);
                let seen = body["min_price"]
                    .as_i64()
                    .or_else(|| body["items"][0]["min_price"].as_i64())
                    .unwrap_or_default();
                assert!(
                    seen >= floor,
                    "{path}: read {seen} after the write of {floor} had answered"
                );
                reads += 1;
            }
            reads
        }));
    }
    barrier.wait().await;
    for round in 1..=ROUNDS {
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        let price = 1000 + round * 100;
        app.patch(
            &format!("/api/v1/admin/catalog/skus/{sku}"),
            shop.token(),
            json!({"price": price}),
        )
        .await
        .expect(200);
        confirmed_price.store(price, Ordering::SeqCst);
    }
    tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    stop.store(true, Ordering::SeqCst);
    let mut total_reads = 0;
    for reader in readers {
        total_reads += reader
            .await
            .unwrap_or_else(|err| panic!("a reader failed: {err}"));
    }
    assert!(
        total_reads > READERS * 2,
        "the readers barely ran: {total_reads}"
    );

    // The cache was really used: hits per view in /metrics.
    let metrics = app
        .request(reqwest::Method::GET, "/metrics", None, None, &[])
        .await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    let hits = text
        .lines()
        .find(|line| {
            line.starts_with(
                "kaidian_catalog_cache_reads_total{view=\"product_detail\",result=\"hit\"}",
            )
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse::<u64>().ok())
        .unwrap_or_default();
    assert!(hits > 0, "no cache hits recorded:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_a_dead_redis_on_the_embedded_database() {
    reads_survive_a_dead_redis(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_a_dead_redis_on_postgres() {
    if testkit::service_urls().is_none() {
        eprintln!("skipped: PostgreSQL + Redis not configured for tests");
        return;
    }
    reads_survive_a_dead_redis(Backend::Services).await;
}

async fn reads_survive_a_dead_redis(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        // Nothing listens on port 1: every cache call fails at once.
        settings.redis.url = SecretString::from("redis://127.0.0.1:1/0".to_owned());
        settings.redis.timeout_ms = 50;
    })
    .await;
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "deadredis").await;
    let category = new_category(&app, &shop, json!({"name": "杂货"})).await;
    let (product, sku) = on_sale_product(&app, &shop, &category, "毛巾", 1500).await;
    let path = format!("/api/v1/shop/catalog/products/{product}");
    for _ in 0..3 {
        let detail = app.shop_get(&path, &shop.appid).await.expect(200);
        assert_eq!(detail["min_price"], json!(1500));
    }
    app.patch(
        &format!("/api/v1/admin/catalog/skus/{sku}"),
        shop.token(),
        json!({"price": 1800}),
    )
    .await
    .expect(200);
    let detail = app.shop_get(&path, &shop.appid).await.expect(200);
    assert_eq!(detail["min_price"], json!(1800));
    app.shop_get("/api/v1/shop/catalog/products", &shop.appid)
        .await
        .expect(200);
    app.shop_get("/api/v1/shop/catalog/categories", &shop.appid)
        .await
        .expect(200);
    let metrics = app
        .request(reqwest::Method::GET, "/metrics", None, None, &[])
        .await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    assert!(
        text.lines()
            .any(|line| line.starts_with("kaidian_cache_errors_total") && !line.ends_with(" 0")),
        "cache errors were not counted:\n{text}"
    );
}
