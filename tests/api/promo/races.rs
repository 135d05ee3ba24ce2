//! The flash-sale race: 2,000 customers, 100 units, two gateway instances sharing the database
//! (and Redis): zero oversell, zero undersell, every customer within the limit, Redis == database.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::future::join_all;
use tokio::sync::Barrier;

use super::{assert_redis_agrees, buy_at, live_sale, sold};
use crate::helpers::{Backend, TestApp, spawn_app_with, text};
use crate::orders::{Buyer, order_shop};

const CUSTOMERS: usize = 2_000;
const UNITS: i64 = 100;
const IN_FLIGHT: usize = 256;

/// A second gateway on the first one's database and Redis namespace.
async fn second_instance(app: &TestApp) -> String {
    let mut settings = (*app.state.settings).clone();
    settings.server.listen = "127.0.0.1:0".to_owned();
    settings.wechat.sandbox_listen = "127.0.0.1:0".to_owned();
    let second = gateway::Application::build(settings)
        .await
        .unwrap_or_else(|err| panic!("cannot start the second gateway: {err:#}"));
    let address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());
    address
}

async fn two_thousand_customers_on_two_gateways_buy_exactly_the_hundred_units(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        // All customers share 127.0.0.1.
        settings.promo.ip_attempts_per_window = 0;
        // The budget sized to the pool, so a busy test machine answers promo.busy (retried)
        // rather than waiting past the pool's acquire timeout.
        settings.promo.tenant_in_flight = 16;
    })
    .await;
    let second = second_instance(&app).await;
    let operator = app.operator_token().await;
    let shop = order_shop(&app, &operator, "promo-race", 1000, 500).await;
    let sale_id = live_sale(&app, &shop, 1, UNITS, 1).await;

    // Customers log in and add an address, many at a time.
    let app = Arc::new(app);
    let customers: Vec<(Buyer, String)> = futures_util::stream::iter(0..CUSTOMERS)
        .map(|i| {
            let (app, appid) = (app.clone(), shop.shop.appid.clone());
            async move {
                let buyer = Buyer::new(&app, &appid, &format!("o_race_{i}")).await;
                let address = buyer.address(&app).await;
                (buyer, address)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;

    // Every customer tries twice at once (limit 1), half through each gateway.
    // At most IN_FLIGHT requests open at once (one test process stands in for thousands of
    // phones; past that, a debug-built SQLite gateway would time out reading request heads).
    let barrier = Arc::new(Barrier::new(CUSTOMERS * 2));
    let in_flight = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    // Fresh connections: none left idle past the server's keep-alive while customers logged in.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_else(|err| panic!("{err}"));
    let customers = Arc::new(customers);
    let attempts = (0..CUSTOMERS * 2).map(|n| {
        let (app, customers, barrier) = (app.clone(), customers.clone(), barrier.clone());
        let (in_flight, client) = (in_flight.clone(), client.clone());
        let base = if n % 2 == 0 {
            app.address.clone()
        } else {
            second.clone()
        };
        let (sale_id, sku_id) = (sale_id.clone(), shop.sku_id.clone());
        tokio::spawn(async move {
            let (buyer, address) = &customers[n / 2];
            barrier.wait().await;
            let key = format!("race-{n}");
            // Like the mini-program: a busy answer (the shop's budget is full) is retried.
            loop {
                let permit = in_flight.acquire().await;
                let reply = buy_at(&client, &base, buyer, &sale_id, &sku_id, address, &key).await;
                drop(permit);
                if reply.code() != "promo.busy" {
                    return reply;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    });
    let mut orders_per_customer: HashMap<String, usize> = HashMap::new();
    let mut refusals: HashMap<String, usize> = HashMap::new();
    for reply in join_all(attempts).await.into_iter().flatten() {
        match reply.status.as_u16() {
            201 => {
                assert_eq!(reply.body["lines"][0]["unit_price"], 1);
                *orders_per_customer
                    .entry(text(&reply.body["customer_id"]))
                    .or_default() += 1;
            }
            409 => *refusals.entry(reply.code().to_owned()).or_default() += 1,
            other => {
                let id = text(&reply.body["request_id"]);
                let logs = testkit::captured_logs();
                let cause: Vec<&str> = logs
                    .lines()
                    .filter(|l| !id.is_empty() && l.contains(&id))
                    .collect();
                panic!("unexpected {other}: {} {cause:?}", reply.body)
            }
        }
    }
    let placed: usize = orders_per_customer.values().sum();
    assert_eq!(
        placed as i64, UNITS,
        "zero oversell, zero undersell; refusals: {refusals:?}"
    );
    assert!(
        orders_per_customer.values().all(|n| *n == 1),
        "a customer over the limit"
    );
    assert!(
        refusals
            .keys()
            .all(|code| code == "promo.sold_out" || code == "promo.limit_reached"),
        "{refusals:?}"
    );
    assert_eq!(sold(&app, &shop, &sale_id).await, UNITS);
    assert_eq!(
        shop.stock(&app).await,
        400,
        "the SKU gave exactly the sale's quantity"
    );
    assert_redis_agrees(&app, &shop, &sale_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_customers_on_two_gateways_buy_exactly_the_hundred_units_embedded() {
    two_thousand_customers_on_two_gateways_buy_exactly_the_hundred_units(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_customers_on_two_gateways_buy_exactly_the_hundred_units_services() {
    if testkit::service_urls().is_none() {
        eprintln!("skipped: PostgreSQL + Redis not configured for tests");
        return;
    }
    two_thousand_customers_on_two_gateways_buy_exactly_the_hundred_units(Backend::Services).await;
}
