//! Checkout scenarios: orders placed through `POST /api/v1/shop/orders` by logged-in customers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::api::{Caller, call, new_key};
use crate::load::{Job, Measured, Outcome, closed_loop, new_histogram};
use crate::seed::Customer;
use crate::server::Deployment;

/// One buyer of a scenario: a customer and the SKUs they buy in turn.
pub struct Buyer {
    pub customer: Customer,
    pub skus: Vec<String>,
}

/// The outcome of a submit: 201 placed, 409 refused (stock), anything else an error.
fn outcome(status: u16) -> Outcome {
    match status {
        201 => Outcome::Ok,
        409 => Outcome::Refused,
        _ => Outcome::Error,
    }
}

/// Statuses of the submits that failed (0: no HTTP answer), counted.
pub type FailedStatuses = Arc<std::sync::Mutex<std::collections::BTreeMap<u16, u64>>>;

/// Worker `w` places orders as buyer `w % buyers.len()` … rotating through `per_worker` buyers,
/// one unit of the buyer's next SKU each.
pub fn submit_job(
    deployment: &Deployment,
    buyers: Vec<Buyer>,
    workers: usize,
) -> (Job, FailedStatuses) {
    let failed: FailedStatuses = Arc::default();
    let failures = failed.clone();
    let client = deployment.client.clone();
    let addresses: Vec<String> = deployment
        .gateways
        .iter()
        .map(|g| g.address.clone())
        .collect();
    let buyers = Arc::new(buyers);
    let job: Job = Arc::new(move |worker, iteration| {
        let client = client.clone();
        let buyers = buyers.clone();
        let addresses = addresses.clone();
        let failures = failures.clone();
        Box::pin(async move {
            let per_worker = (buyers.len() / workers).max(1);
            let index = (worker + workers * (iteration as usize % per_worker)) % buyers.len();
            let buyer = &buyers[index];
            let sku = &buyer.skus[(iteration as usize / per_worker) % buyer.skus.len()];
            let body = json!({"address_id": buyer.customer.address_id,
                "lines": [{"sku_id": sku, "quantity": 1}]});
            let key = new_key();
            let reply = call(
                &client,
                &addresses[buyer.customer.gateway],
                Method::POST,
                "/api/v1/shop/orders",
                Caller {
                    token: Some(&buyer.customer.token),
                    appid: Some(&buyer.customer.appid),
                },
                Some(&body),
                &[("Idempotency-Key", &key)],
            )
            .await;
            let status = reply.map_or(0, |reply| reply.status);
            let result = outcome(status);
            if result == Outcome::Error
                && let Ok(mut failures) = failures.lock()
            {
                *failures.entry(status).or_default() += 1;
            }
            result
        })
    });
    (job, failed)
}

/// Mean and p99 (ms) of each step of the sequential purchase.
pub struct SequentialSteps {
    pub cart_mean_ms: f64,
    pub address_mean_ms: f64,
    pub submit_mean_ms: f64,
    pub submit_p99_ms: f64,
}

/// One customer places `orders` orders one after another, each as a person would: add the SKU to
/// the cart, read the addresses (the default first), submit the cart. One sample per order.
pub async fn sequential(
    deployment: &Deployment,
    customer: &Customer,
    sku: &str,
    orders: u64,
) -> anyhow::Result<(Measured, SequentialSteps)> {
    let gateway = &deployment.gateways[customer.gateway].address;
    let caller = Caller {
        token: Some(&customer.token),
        appid: Some(&customer.appid),
    };
    let mut cart = new_histogram()?;
    let mut address = new_histogram()?;
    let mut submit = new_histogram()?;
    let mut measured = Measured {
        histogram: new_histogram()?,
        ok: 0,
        refused: 0,
        errors: 0,
        elapsed: Duration::ZERO,
    };
    let started = Instant::now();
    let micros = |since: Instant| u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
    for _ in 0..orders {
        let order_started = Instant::now();
        let step = Instant::now();
        let added = call(
            &deployment.client,
            gateway,
            Method::POST,
            "/api/v1/shop/cart/lines",
            caller,
            Some(&json!({"sku_id": sku, "quantity": 1})),
            &[],
        )
        .await?;
        cart.saturating_record(micros(step).max(1));
        let step = Instant::now();
        let listed = call(
            &deployment.client,
            gateway,
            Method::GET,
            "/api/v1/shop/addresses",
            caller,
            None,
            &[],
        )
        .await?;
        address.saturating_record(micros(step).max(1));
        let address_id = listed.body[0]["id"].as_str().map(str::to_owned);
        let step = Instant::now();
        let placed = match (added.status, address_id) {
            (200, Some(address_id)) => {
                let key = new_key();
                let reply = call(
                    &deployment.client,
                    gateway,
                    Method::POST,
                    "/api/v1/shop/orders",
                    caller,
                    Some(&json!({"address_id": address_id})),
                    &[("Idempotency-Key", &key)],
                )
                .await?;
                submit.saturating_record(micros(step).max(1));
                outcome(reply.status)
            }
            _ => Outcome::Error,
        };
        measured
            .histogram
            .saturating_record(micros(order_started).max(1));
        match placed {
            Outcome::Ok => measured.ok += 1,
            Outcome::Refused => measured.refused += 1,
            Outcome::Error => measured.errors += 1,
        }
    }
    measured.elapsed = started.elapsed();
    let steps = SequentialSteps {
        cart_mean_ms: cart.mean() / 1000.0,
        address_mean_ms: address.mean() / 1000.0,
        submit_mean_ms: submit.mean() / 1000.0,
        submit_p99_ms: submit.value_at_quantile(0.99) as f64 / 1000.0,
    };
    Ok((measured, steps))
}

/// Runs a concurrent checkout scenario for `duration` after a one-second warm-up.
pub async fn concurrent(job: Job, workers: usize, duration: Duration) -> anyhow::Result<Measured> {
    closed_loop(workers, Duration::from_secs(1), None, job.clone()).await?;
    closed_loop(workers, duration, None, job).await
}
