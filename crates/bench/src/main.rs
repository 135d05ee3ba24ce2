#![doc = include_str!("../README.md")]
#![expect(
    clippy::print_stdout,
    reason = "the harness prints its report table on stdout"
)]

mod api;
mod checkout;
mod flash;
mod load;
mod seed;
mod server;

use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

use crate::checkout::Buyer;
use crate::flash::FlashOptions;
use crate::load::{Job, Measured, closed_loop, get_job};
use crate::seed::{Shop, Target};
use crate::server::{BenchBackend, Deployment, Memory};

const SCENARIOS: [&str; 6] = [
    "catalog-detail",
    "catalog-list",
    "checkout",
    "checkout-hot",
    "checkout-seq",
    "flash-sale",
];

const USAGE: &str = "usage: bench [all|catalog|catalog-detail|catalog-list|checkout|checkout-hot|checkout-seq|flash-sale] \
[--seconds N] [--connections N] [--checkout-connections N] [--products N] [--shops N] \
[--orders N] [--customers N] [--units N] [--flash-connections N] [--http-workers N] \
[--backend embedded|services|all]";

pub struct Options {
    /// What was asked for (names the result file).
    pub label: String,
    pub scenarios: Vec<&'static str>,
    pub seconds: u64,
    pub connections: usize,
    pub checkout_connections: usize,
    pub products_per_shop: usize,
    pub shops: usize,
    pub sequential_orders: u64,
    pub flash: FlashOptions,
    pub http_workers: usize,
    pub backends: Vec<BenchBackend>,
}

fn parse_options() -> anyhow::Result<Options> {
    let mut options = Options {
        label: "all".to_owned(),
        scenarios: SCENARIOS.to_vec(),
        seconds: 10,
        connections: 64,
        checkout_connections: 32,
        products_per_shop: 1000,
        shops: 3,
        sequential_orders: 200,
        flash: FlashOptions {
            customers: 10_000,
            units: 500,
            // Twice the promo default `tenant_in_flight` (64 per process): the budget is not the limit.
            workers: 128,
            per_customer_limit: 1,
        },
        http_workers: 0,
        backends: vec![BenchBackend::Embedded, BenchBackend::Services],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--seconds" => options.seconds = value("--seconds")?.parse()?,
            "--connections" => options.connections = value("--connections")?.parse()?,
            "--checkout-connections" => {
                options.checkout_connections = value("--checkout-connections")?.parse()?;
            }
            "--products" => options.products_per_shop = value("--products")?.parse()?,
            "--shops" => options.shops = value("--shops")?.parse()?,
            "--orders" => options.sequential_orders = value("--orders")?.parse()?,
            "--customers" => options.flash.customers = value("--customers")?.parse()?,
            "--units" => options.flash.units = value("--units")?.parse()?,
            "--flash-connections" => {
                options.flash.workers = value("--flash-connections")?.parse()?
            }
            "--http-workers" => options.http_workers = value("--http-workers")?.parse()?,
            "--backend" => {
                options.backends = match value("--backend")?.as_str() {
                    "embedded" => vec![BenchBackend::Embedded],
                    "services" => vec![BenchBackend::Services],
                    "all" => vec![BenchBackend::Embedded, BenchBackend::Services],
                    other => anyhow::bail!("unknown backend {other}: embedded, services or all"),
                }
            }
            "all" => {
                options.label = arg;
                options.scenarios = SCENARIOS.to_vec();
            }
            "catalog" => {
                options.label = arg;
                options.scenarios = vec!["catalog-detail", "catalog-list"];
            }
            other => match SCENARIOS.iter().find(|name| **name == other) {
                Some(name) => {
                    options.label = arg.clone();
                    options.scenarios = vec![name];
                }
                None => anyhow::bail!("unknown argument {other}; {USAGE}"),
            },
        }
    }
    if options.shops == 0 || options.products_per_shop == 0 || options.checkout_connections == 0 {
        anyhow::bail!("--shops, --products and --checkout-connections must be at least 1");
    }
    Ok(options)
}

/// One line of the report.
#[derive(Serialize)]
struct Row {
    scenario: String,
    backend: &'static str,
    /// What `rate` counts per second: requests, orders or attempts.
    unit: &'static str,
    count: u64,
    ok: u64,
    refused: u64,
    errors: u64,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    seconds: f64,
    /// `rate` over the `/healthz` req/s of the same server in the same run.
    ratio_to_healthz: Option<f64>,
    /// Largest over the gateway processes: RSS after start + seed, and peak during the scenario.
    rss_idle_mb: f64,
    rss_peak_mb: f64,
    /// Largest RSS over the processes right after start, before seeding.
    rss_start_mb: f64,
    processes: Vec<Memory>,
    details: Value,
}

impl Row {
    fn new(
        scenario: &str,
        backend: BenchBackend,
        unit: &'static str,
        measured: &Measured,
        idle: &[Memory],
        during: &[Memory],
    ) -> Row {
        // Orders count only when placed; requests and attempts count whatever their answer.
        let rate_of = if unit == "orders/s" {
            measured.ok
        } else {
            measured.count()
        };
        Row {
            scenario: scenario.to_owned(),
            backend: backend.name(),
            unit,
            count: measured.count(),
            ok: measured.ok,
            refused: measured.refused,
            errors: measured.errors,
            rate: measured.rate(rate_of),
            p50_ms: measured.quantile_ms(0.50),
            p99_ms: measured.quantile_ms(0.99),
            mean_ms: measured.mean_ms(),
            seconds: measured.elapsed.as_secs_f64(),
            ratio_to_healthz: None,
            rss_idle_mb: idle.iter().map(|m| m.rss_mb).fold(0.0, f64::max),
            rss_peak_mb: during.iter().map(|m| m.peak_mb).fold(0.0, f64::max),
            rss_start_mb: 0.0,
            processes: during.to_vec(),
            details: Value::Null,
        }
    }
}

/// Runs a read scenario: a one-second warm-up, then `seconds` of measurement.
async fn read_scenario(
    deployment: &Deployment,
    targets: Vec<Target>,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Measured> {
    let job: Job = get_job(
        deployment.client.clone(),
        deployment.first().address.clone(),
        targets,
    );
    closed_loop(connections, Duration::from_secs(1), None, job.clone()).await?;
    closed_loop(connections, Duration::from_secs(seconds), None, job).await
}

/// Hits and misses of the hot catalog cache, read from `/metrics`.
async fn cache_counts(deployment: &Deployment) -> anyhow::Result<(u64, u64)> {
    let text = deployment
        .client
        .get(format!("{}/metrics", deployment.first().address))
        .send()
        .await?
        .text()
        .await?;
    let (mut hits, mut misses) = (0, 0);
    for line in text
        .lines()
        .filter(|l| l.starts_with("kaidian_catalog_cache_reads_total{"))
    {
        let value: u64 = line
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if line.contains("result=\"hit\"") {
            hits += value;
        } else {
            misses += value;
        }
    }
    Ok((hits, misses))
}

/// Every scenario but the flash sale, on one gateway process of `backend`.
async fn run_backend(
    deployment: &Deployment,
    options: &Options,
    scenarios: &[&'static str],
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let backend = deployment.backend;
    let start_rss = largest_rss(deployment);
    let operator = seed::operator_token(deployment).await?;
    let mut shops: Vec<Shop> = Vec::new();
    let (mut detail, mut list) = (Vec::new(), Vec::new());
    for index in 0..options.shops {
        let started = std::time::Instant::now();
        let shop = seed::seed_shop(
            deployment,
            &operator,
            &format!("bench{index}"),
            options.products_per_shop,
        )
        .await?;
        eprintln!(
            "{}: seeded shop {index}: {} products, {} SKUs in {:.1} s",
            backend.name(),
            shop.product_ids.len(),
            shop.sku_ids.len(),
            started.elapsed().as_secs_f64()
        );
        seed::catalog_targets(&shop, &mut detail, &mut list);
        shops.push(shop);
    }
    let wants = |name: &str| scenarios.contains(&name);
    let checkout_wanted = wants("checkout") || wants("checkout-hot") || wants("checkout-seq");
    let connections = options.checkout_connections;
    let mut distinct: Vec<Buyer> = Vec::new();
    let mut hot: Vec<Buyer> = Vec::new();
    let mut sequential = None;
    if checkout_wanted {
        let started = std::time::Instant::now();
        let (_, hot_sku) =
            seed::single_sku_product(deployment, &shops[0], "爆款 保湿面霜", 9_900, 10_000_000)
                .await?;
        if wants("checkout") {
            // Customer k of a shop's m buys the shop's SKUs k, k+m, k+2m… in turn: no two share one.
            for (index, shop) in shops.iter().enumerate() {
                let count = (index..connections).step_by(options.shops).count();
                let customers = seed::customers(deployment, &shop.appid, count).await?;
                for (k, customer) in customers.into_iter().enumerate() {
                    let skus: Vec<String> = shop
                        .sku_ids
                        .iter()
                        .skip(k)
                        .step_by(count)
                        .cloned()
                        .collect();
                    distinct.push(Buyer { customer, skus });
                }
            }
        }
        if wants("checkout-hot") {
            for customer in seed::customers(deployment, &shops[0].appid, connections * 4).await? {
                hot.push(Buyer {
                    customer,
                    skus: vec![hot_sku.clone()],
                });
            }
        }
        if wants("checkout-seq") {
            let customer = seed::customers(deployment, &shops[0].appid, 1).await?;
            sequential = customer.into_iter().next().map(|c| (c, hot_sku.clone()));
        }
        eprintln!(
            "{}: checkout customers logged in in {:.1} s",
            backend.name(),
            started.elapsed().as_secs_f64()
        );
    }
    let idle = deployment.memory();
    let peaks_reset = deployment.reset_peaks();
    if !peaks_reset {
        eprintln!("note: cannot reset VmHWM (/proc/<pid>/clear_refs); peaks are since start");
    }
    let healthz_targets = vec![Target {
        path: "/healthz".to_owned(),
        appid: None,
    }];
    let measured = read_scenario(
        deployment,
        healthz_targets,
        options.connections,
        options.seconds,
    )
    .await?;
    let mut healthz = Row::new(
        "healthz",
        backend,
        "req/s",
        &measured,
        &idle,
        &deployment.memory(),
    );
    healthz.ratio_to_healthz = Some(1.0);
    let ceiling = healthz.rate;
    rows.push(healthz);
    let duration = Duration::from_secs(options.seconds);
    for name in scenarios {
        eprintln!("{}: running {name}", backend.name());
        deployment.reset_peaks();
        let (unit, measured, details) = match *name {
            "catalog-detail" | "catalog-list" => {
                let targets = if *name == "catalog-detail" {
                    detail.clone()
                } else {
                    list.clone()
                };
                let before = cache_counts(deployment).await?;
                let measured =
                    read_scenario(deployment, targets, options.connections, options.seconds)
                        .await?;
                let after = cache_counts(deployment).await?;
                let hits = after.0.saturating_sub(before.0);
                let total = hits + after.1.saturating_sub(before.1);
                let hit_rate = (total > 0).then(|| hits as f64 / total as f64);
                (
                    "req/s",
                    measured,
                    json!({"connections": options.connections, "cache_hit_rate": hit_rate}),
                )
            }
            "checkout" => {
                let (job, failed) =
                    checkout::submit_job(deployment, std::mem::take(&mut distinct), connections);
                let measured = checkout::concurrent(job, connections, duration).await?;
                (
                    "orders/s",
                    measured,
                    json!({"connections": connections, "customers": connections,
                        "skus": "distinct per customer", "failed_statuses": statuses(&failed)}),
                )
            }
            "checkout-hot" => {
                let buyers = hot.len();
                let (job, failed) =
                    checkout::submit_job(deployment, std::mem::take(&mut hot), connections);
                let measured = checkout::concurrent(job, connections, duration).await?;
                (
                    "orders/s",
                    measured,
                    json!({"connections": connections, "customers": buyers, "skus": 1,
                        "failed_statuses": statuses(&failed)}),
                )
            }
            "checkout-seq" => {
                let (customer, sku) = sequential.clone().context("no customer for checkout-seq")?;
                let (measured, steps) =
                    checkout::sequential(deployment, &customer, &sku, options.sequential_orders)
                        .await?;
                (
                    "orders/s",
                    measured,
                    json!({
                        "orders": options.sequential_orders,
                        "per_order": "add to cart + list addresses + submit the cart",
                        "cart_mean_ms": steps.cart_mean_ms,
                        "addresses_mean_ms": steps.address_mean_ms,
                        "submit_mean_ms": steps.submit_mean_ms,
                        "submit_p99_ms": steps.submit_p99_ms,
                    }),
                )
            }
            _ => continue,
        };
        let mut row = Row::new(name, backend, unit, &measured, &idle, &deployment.memory());
        row.ratio_to_healthz = (ceiling > 0.0).then(|| row.rate / ceiling);
        row.details = details;
        rows.push(row);
    }
    for row in rows.iter_mut().filter(|row| row.backend == backend.name()) {
        row.rss_start_mb = start_rss;
    }
    Ok(())
}

/// The flash sale on two gateway processes sharing PostgreSQL + Redis.
async fn run_flash(
    deployment: &Deployment,
    options: &Options,
    rows: &mut Vec<Row>,
) -> anyhow::Result<bool> {
    let backend = deployment.backend;
    let start_rss = largest_rss(deployment);
    let operator = seed::operator_token(deployment).await?;
    let setup = flash::prepare(deployment, &operator, &options.flash).await?;
    let idle = deployment.memory();
    deployment.reset_peaks();
    // The ceiling: /healthz spread over both processes, as the race is.
    let job = get_job(
        deployment.client.clone(),
        deployment.first().address.clone(),
        vec![Target {
            path: "/healthz".to_owned(),
            appid: None,
        }],
    );
    let second = get_job(
        deployment.client.clone(),
        deployment.gateways[deployment.gateways.len() - 1]
            .address
            .clone(),
        vec![Target {
            path: "/healthz".to_owned(),
            appid: None,
        }],
    );
    let both: Job = std::sync::Arc::new(move |worker, iteration| {
        if worker % 2 == 0 {
            job(worker, iteration)
        } else {
            second(worker, iteration)
        }
    });
    closed_loop(
        options.connections,
        Duration::from_secs(1),
        None,
        both.clone(),
    )
    .await?;
    let measured = closed_loop(
        options.connections,
        Duration::from_secs(options.seconds),
        None,
        both,
    )
    .await?;
    let mut healthz = Row::new(
        "healthz",
        backend,
        "req/s",
        &measured,
        &idle,
        &deployment.memory(),
    );
    healthz.ratio_to_healthz = Some(1.0);
    healthz.details = json!({"processes": deployment.gateways.len()});
    let ceiling = healthz.rate;
    rows.push(healthz);
    deployment.reset_peaks();
    let run = flash::race(deployment, &setup, &options.flash).await?;
    let mut row = Row::new(
        "flash-sale",
        backend,
        "attempts/s",
        &run.measured,
        &idle,
        &deployment.memory(),
    );
    row.ratio_to_healthz = (ceiling > 0.0).then(|| row.rate / ceiling);
    row.details = json!({
        "processes": deployment.gateways.len(),
        "customers": options.flash.customers,
        "units": options.flash.units,
        "connections": options.flash.workers,
        "answers": run.answers,
        "checks": run.checks,
    });
    rows.push(row);
    for row in rows.iter_mut().rev().take(2) {
        row.rss_start_mb = start_rss;
    }
    Ok(run.passed)
}

/// Failed submits by HTTP status ("0": no answer), e.g. `{"500": 2}`.
fn statuses(failed: &checkout::FailedStatuses) -> Value {
    failed.lock().map_or(Value::Null, |failed| {
        failed
            .iter()
            .map(|(status, count)| (status.to_string(), json!(count)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    })
}

fn largest_rss(deployment: &Deployment) -> f64 {
    deployment
        .memory()
        .iter()
        .map(|m| m.rss_mb)
        .fold(0.0, f64::max)
}

fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let memory = read("/proc/meminfo")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "cpu": cpu,
        "memory": memory,
        "commit": commit,
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<15} {:<15} {:>10} {:<10} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8}",
        "scenario",
        "backend",
        "rate",
        "unit",
        "p50 ms",
        "p99 ms",
        "errors",
        "/healthz",
        "RSS idle",
        "RSS peak"
    );
    for row in rows {
        println!(
            "{:<15} {:<15} {:>10.0} {:<10} {:>8.2} {:>8.2} {:>7} {:>7.0}% {:>5.1} MB {:>5.1} MB",
            row.scenario,
            row.backend,
            row.rate,
            row.unit,
            row.p50_ms,
            row.p99_ms,
            row.errors,
            row.ratio_to_healthz.unwrap_or(0.0) * 100.0,
            row.rss_idle_mb,
            row.rss_peak_mb
        );
    }
    for row in rows {
        match row.scenario.as_str() {
            "catalog-detail" | "catalog-list" => {
                if let Some(rate) = row.details["cache_hit_rate"].as_f64() {
                    println!(
                        "  {} {}: cache hit rate {:.1}%",
                        row.scenario,
                        row.backend,
                        rate * 100.0
                    );
                }
            }
            "checkout" | "checkout-hot" => println!(
                "  {} {}: {} orders placed, {} refused (409), {} errors {}; {} concurrent customers of {}",
                row.scenario,
                row.backend,
                row.ok,
                row.refused,
                row.errors,
                row.details["failed_statuses"],
                row.details["connections"],
                row.details["customers"]
            ),
            "checkout-seq" => println!(
                "  checkout-seq {}: {} orders one after another, per order mean {:.2} ms p99 {:.2} ms \
                 (cart {:.2} + addresses {:.2} + submit {:.2} ms mean)",
                row.backend,
                row.ok,
                row.mean_ms,
                row.p99_ms,
                row.details["cart_mean_ms"].as_f64().unwrap_or(0.0),
                row.details["addresses_mean_ms"].as_f64().unwrap_or(0.0),
                row.details["submit_mean_ms"].as_f64().unwrap_or(0.0)
            ),
            "flash-sale" => {
                println!(
                    "  flash-sale {}: {} attempts by {} customers on {} processes: {}",
                    row.backend,
                    row.count,
                    row.details["customers"],
                    row.details["processes"],
                    row.details["answers"]
                );
                for line in flash::describe(&row.details["checks"]) {
                    println!("    {line}");
                }
            }
            _ => {}
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = parse_options()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let out_dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let out_dir = std::path::Path::new(&out_dir).join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let machine = machine();
    let load_before = load_average();
    eprintln!(
        "bench {}: {} on {} cores (load {load_before}); {} s per scenario, {} connections ({} for checkout), {} shops x {} products",
        options.label,
        options.scenarios.join(", "),
        machine["cores"],
        options.seconds,
        options.connections,
        options.checkout_connections,
        options.shops,
        options.products_per_shop
    );
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut rows: Vec<Row> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let single: Vec<&'static str> = options
        .scenarios
        .iter()
        .copied()
        .filter(|name| *name != "flash-sale")
        .collect();
    if !single.is_empty() {
        for backend in &options.backends {
            let Some(deployment) =
                Deployment::start(*backend, 1, options.http_workers, &[]).await?
            else {
                problems.push(format!(
                    "{}: skipped (PostgreSQL or Redis not reachable)",
                    backend.name()
                ));
                continue;
            };
            let outcome = run_backend(&deployment, &options, &single, &mut rows).await;
            deployment.keep_logs(&out_dir.join("logs"));
            deployment.stop().await;
            if let Err(err) = outcome {
                problems.push(format!("{}: {err:#}", backend.name()));
            }
        }
    }
    if options.scenarios.contains(&"flash-sale") {
        if !options.backends.contains(&BenchBackend::Services) {
            problems
                .push("flash-sale: needs PostgreSQL + Redis (--backend services or all)".into());
        } else {
            // The customers' addresses come in X-Forwarded-For (one per customer, as behind the
            // platform's proxy), so the per-IP limit applies per customer, not to the one host.
            let started = Deployment::start(
                BenchBackend::Services,
                2,
                options.http_workers,
                &[("PROMO__TRUST_FORWARDED_FOR", "true")],
            )
            .await;
            match started {
                Err(err) if format!("{err:#}").contains("promo") => problems.push(format!(
                    "flash-sale: the flash-sale API is absent (this kaidian has no [promo] \
                     settings): merge branch `promo` first ({err:#})"
                )),
                Err(err) => return Err(err),
                Ok(None) => problems
                    .push("flash-sale: skipped (PostgreSQL or Redis not reachable)".to_owned()),
                Ok(Some(deployment)) => {
                    let outcome = run_flash(&deployment, &options, &mut rows).await;
                    deployment.keep_logs(&out_dir.join("logs").join("flash-sale"));
                    deployment.stop().await;
                    match outcome {
                        Ok(true) => {}
                        Ok(false) => problems.push(
                            "flash-sale: the checks after the race FAILED (see above)".to_owned(),
                        ),
                        Err(err) => problems.push(format!("flash-sale: {err:#}")),
                    }
                }
            }
        }
    }
    let load_after = load_average();
    print_table(&rows);
    for row in rows.iter().filter(|row| row.scenario == "healthz") {
        println!(
            "  RSS {} (largest process): {:.1} MB after start, {:.1} MB after seeding",
            row.backend, row.rss_start_mb, row.rss_idle_mb
        );
    }
    println!("load average before {load_before}, after {load_after}");
    let report = json!({
        "run": options.label,
        "started_at": started_at,
        "machine": machine,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "seconds_per_scenario": options.seconds,
        "shops": options.shops,
        "products_per_shop": options.products_per_shop,
        "results": rows,
        "problems": problems,
    });
    let text = serde_json::to_string_pretty(&report)?;
    let path = out_dir.join(format!("{}-{started_at}.json", options.label));
    std::fs::write(&path, &text)?;
    std::fs::write(out_dir.join("latest.json"), &text)?;
    eprintln!("wrote {} and latest.json", path.display());
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("problem: {problem}");
        }
        std::process::exit(1);
    }
    Ok(())
}
