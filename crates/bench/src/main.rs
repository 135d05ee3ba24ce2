#![doc = include_str!("../README.md")]
#![expect(
    clippy::print_stdout,
    reason = "the harness prints its report table on stdout"
)]

mod load;
mod seed;
mod server;

use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use crate::load::{ScenarioResult, run_scenario};
use crate::server::{BenchBackend, start_server};

pub struct Options {
    pub suite: String,
    pub seconds: u64,
    pub connections: usize,
    pub products_per_shop: usize,
    pub shops: usize,
    pub backends: Vec<BenchBackend>,
}

fn parse_options() -> anyhow::Result<Options> {
    let mut options = Options {
        suite: "catalog".to_owned(),
        seconds: 10,
        connections: 64,
        products_per_shop: 1000,
        shops: 3,
        backends: vec![BenchBackend::Embedded, BenchBackend::Services],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--seconds" => options.seconds = value("--seconds")?.parse()?,
            "--connections" => options.connections = value("--connections")?.parse()?,
            "--products" => options.products_per_shop = value("--products")?.parse()?,
            "--shops" => options.shops = value("--shops")?.parse()?,
            "--backend" => {
                options.backends = match value("--backend")?.as_str() {
                    "embedded" => vec![BenchBackend::Embedded],
                    "services" => vec![BenchBackend::Services],
                    "all" => vec![BenchBackend::Embedded, BenchBackend::Services],
                    other => anyhow::bail!("unknown backend {other}: embedded, services or all"),
                }
            }
            "catalog" => options.suite = arg,
            other => anyhow::bail!(
                "unknown argument {other}; usage: bench catalog [--seconds N] [--connections N] [--products N] [--shops N] [--backend embedded|services|all]"
            ),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = parse_options()?;
    let out_dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let out_dir = std::path::Path::new(&out_dir).join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "bench {}: {} cores, {} connections, {} s per scenario, {} shops x {} products",
        options.suite,
        cores,
        options.connections,
        options.seconds,
        options.shops,
        options.products_per_shop
    );
    println!(
        "{:<16} {:<16} {:>10} {:>9} {:>9} {:>7} {:>9} {:>9}",
        "scenario", "backend", "req/s", "p50 ms", "p99 ms", "errors", "/healthz", "hit rate"
    );
    for backend in &options.backends {
        let Some(server) = start_server(*backend).await? else {
            eprintln!(
                "{}: skipped (PostgreSQL or Redis not reachable)",
                backend.name()
            );
            continue;
        };
        let targets = seed::seed(&server, options.shops, options.products_per_shop).await?;
        let duration = Duration::from_secs(options.seconds);
        let mut results: Vec<ScenarioResult> = Vec::new();
        let healthz = run_scenario(
            &server,
            "healthz",
            &targets.healthz,
            options.connections,
            duration,
        )
        .await?;
        for (name, requests) in [
            ("catalog-detail", &targets.detail),
            ("catalog-list", &targets.list),
        ] {
            let before = server.cache_counts().await?;
            let mut result =
                run_scenario(&server, name, requests, options.connections, duration).await?;
            let after = server.cache_counts().await?;
            result.cache_hit_rate = after.hit_rate_since(&before);
            results.push(result);
        }
        results.insert(0, healthz);
        let ceiling = results[0].requests_per_second;
        for result in &results {
            let ratio = if ceiling > 0.0 {
                result.requests_per_second / ceiling
            } else {
                0.0
            };
            println!(
                "{:<16} {:<16} {:>10.0} {:>9.2} {:>9.2} {:>7} {:>8.0}% {:>9}",
                result.scenario,
                backend.name(),
                result.requests_per_second,
                result.p50_ms,
                result.p99_ms,
                result.errors,
                ratio * 100.0,
                result
                    .cache_hit_rate
                    .map_or("-".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
            );
        }
        let report = json!({
            "suite": options.suite,
            "backend": backend.name(),
            "cores": cores,
            "connections": options.connections,
            "seconds": options.seconds,
            "shops": options.shops,
            "products_per_shop": options.products_per_shop,
            "scenarios": results.iter().map(|r| json!({
                "scenario": r.scenario,
                "requests": r.requests,
                "requests_per_second": r.requests_per_second,
                "p50_ms": r.p50_ms,
                "p99_ms": r.p99_ms,
                "errors": r.errors,
                "ratio_to_healthz": if ceiling > 0.0 { r.requests_per_second / ceiling } else { 0.0 },
                "cache_hit_rate": r.cache_hit_rate,
            })).collect::<Vec<_>>(),
        });
        let path = out_dir.join(format!("{}-{}.json", options.suite, backend.name()));
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
        eprintln!("wrote {}", path.display());
        server.stop().await;
    }
    Ok(())
}
