//! HTTP load: a fixed number of concurrent keep-alive connections, each sending its next request
//! as soon as the previous answers, for a fixed time; latencies into an HDR histogram.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::seed::Target;
use crate::server::BenchServer;

pub struct ScenarioResult {
    pub scenario: String,
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub cache_hit_rate: Option<f64>,
}

const WARM_UP: Duration = Duration::from_secs(1);

async fn drive(
    server: &BenchServer,
    targets: &[Target],
    connections: usize,
    duration: Duration,
) -> anyhow::Result<(Histogram<u64>, u64, Duration)> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::new();
    for worker in 0..connections {
        let client = server.client.clone();
        let address = server.address.clone();
        let targets = targets.to_vec();
        workers.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut errors = 0u64;
            let mut next = worker;
            while Instant::now() < deadline {
                let target = &targets[next % targets.len()];
                next += connections;
                let mut request = client.get(format!("{address}{}", target.path));
                if let Some(appid) = &target.appid {
                    request = request.header("X-WX-Appid", appid);
                }
                let sent = Instant::now();
                let ok = match request.send().await {
                    Ok(response) => {
                        let success = response.status().is_success();
                        success && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                histogram.saturating_record(micros.max(1));
                if !ok {
                    errors += 1;
                }
            }
            anyhow::Ok((histogram, errors))
        }));
    }
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut errors = 0;
    for worker in workers {
        let (histogram, worker_errors) = worker.await??;
        total.add(histogram)?;
        errors += worker_errors;
    }
    Ok((total, errors, started.elapsed()))
}

pub async fn run_scenario(
    server: &BenchServer,
    scenario: &str,
    targets: &[Target],
    connections: usize,
    duration: Duration,
) -> anyhow::Result<ScenarioResult> {
    if targets.is_empty() {
        anyhow::bail!("{scenario}: nothing to request");
    }
    drive(server, targets, connections, WARM_UP).await?;
    let (histogram, errors, elapsed) = drive(server, targets, connections, duration).await?;
    let requests = histogram.len();
    Ok(ScenarioResult {
        scenario: scenario.to_owned(),
        requests,
        requests_per_second: requests as f64 / elapsed.as_secs_f64(),
        p50_ms: histogram.value_at_quantile(0.50) as f64 / 1000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
        errors,
        cache_hit_rate: None,
    })
}
