//! HTTP load: a fixed number of concurrent workers (keep-alive connections), each starting its next
//! operation as soon as the previous one answers, for a fixed time; latencies into an HDR histogram.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// How one operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// An expected refusal (e.g. sold out): not an error, not a success.
    Refused,
    Error,
}

pub type Operation = Pin<Box<dyn Future<Output = Outcome> + Send>>;
/// Makes the operation number `iteration` of worker `worker`.
pub type Job = Arc<dyn Fn(usize, u64) -> Operation + Send + Sync>;

/// What a scenario measured.
pub struct Measured {
    pub histogram: Histogram<u64>,
    pub ok: u64,
    pub refused: u64,
    pub errors: u64,
    pub elapsed: Duration,
}

impl Measured {
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    pub fn rate(&self, of: u64) -> f64 {
        of as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        self.histogram.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn mean_ms(&self) -> f64 {
        self.histogram.mean() / 1000.0
    }
}

pub fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?)
}

/// Runs `job` on `workers` concurrent workers until `duration` has passed, or until each worker
/// has done `max_per_worker` operations.
pub async fn closed_loop(
    workers: usize,
    duration: Duration,
    max_per_worker: Option<u64>,
    job: Job,
) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let job = job.clone();
        tasks.push(tokio::spawn(async move {
            let mut histogram = new_histogram()?;
            let (mut ok, mut refused, mut errors) = (0u64, 0u64, 0u64);
            let mut iteration = 0u64;
            while Instant::now() < deadline && max_per_worker.is_none_or(|max| iteration < max) {
                let sent = Instant::now();
                let outcome = job(worker, iteration).await;
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                histogram.saturating_record(micros.max(1));
                match outcome {
                    Outcome::Ok => ok += 1,
                    Outcome::Refused => refused += 1,
                    Outcome::Error => errors += 1,
                }
                iteration += 1;
            }
            anyhow::Ok((histogram, ok, refused, errors))
        }));
    }
    let mut measured = Measured {
        histogram: new_histogram()?,
        ok: 0,
        refused: 0,
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (histogram, ok, refused, errors) = task.await??;
        measured.histogram.add(histogram)?;
        measured.ok += ok;
        measured.refused += refused;
        measured.errors += errors;
    }
    measured.elapsed = started.elapsed();
    Ok(measured)
}

/// A GET of one of `targets` (round robin), successful on 2xx.
pub fn get_job(client: reqwest::Client, base: String, targets: Vec<crate::seed::Target>) -> Job {
    let targets = Arc::new(targets);
    Arc::new(move |worker, iteration| {
        let client = client.clone();
        let base = base.clone();
        let targets = targets.clone();
        Box::pin(async move {
            let index = (worker + iteration as usize * 7919) % targets.len();
            let target = &targets[index];
            let mut request = client.get(format!("{base}{}", target.path));
            if let Some(appid) = &target.appid {
                request = request.header("X-WX-Appid", appid);
            }
            match request.send().await {
                Ok(response) => {
                    let success = response.status().is_success();
                    if success && response.bytes().await.is_ok() {
                        Outcome::Ok
                    } else {
                        Outcome::Error
                    }
                }
                Err(_) => Outcome::Error,
            }
        })
    })
}
