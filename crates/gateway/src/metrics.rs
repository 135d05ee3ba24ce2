//! Prometheus metrics in the text format: requests by route and status, a latency histogram,
//! the database pool and the cache's hits, misses and errors.

use std::sync::atomic::Ordering;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use sea_orm::{DatabaseConnection, DbBackend};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "kaidian_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "kaidian_http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
        })
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// The whole exposition: registered metrics plus the pool and cache figures read now.
    pub fn render(
        &self,
        db: &DatabaseConnection,
        cache: &infra::Cache,
        catalog_cache: &catalog::CatalogCache,
    ) -> String {
        let mut buffer = Vec::new();
        let encoded = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        let mut text = if encoded.is_ok() {
            String::from_utf8(buffer).unwrap_or_default()
        } else {
            String::new()
        };
        let (size, idle) = pool_figures(db);
        text.push_str("# HELP kaidian_db_pool_connections Database pool connections by state\n");
        text.push_str("# TYPE kaidian_db_pool_connections gauge\n");
        text.push_str(&format!(
            "kaidian_db_pool_connections{{state=\"open\"}} {size}\nkaidian_db_pool_connections{{state=\"idle\"}} {idle}\n"
        ));
        let stats = cache.stats();
        let backend = cache.backend_name();
        for (name, help, value) in [
            (
                "kaidian_cache_hits_total",
                "Cache reads answered by the cache",
                &stats.hits,
            ),
            (
                "kaidian_cache_misses_total",
                "Cache reads that went to the database",
                &stats.misses,
            ),
            (
                "kaidian_cache_errors_total",
                "Cache calls that failed or timed out",
                &stats.errors,
            ),
        ] {
            text.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name}{{backend=\"{backend}\"}} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        text.push_str(&catalog_cache_figures(catalog_cache));
        text
    }
}

/// Hits and misses of the hot catalog cache per cached view (the routes that read it).
fn catalog_cache_figures(catalog_cache: &catalog::CatalogCache) -> String {
    let name = "kaidian_catalog_cache_reads_total";
    let mut text = format!(
        "# HELP {name} Hot catalog cache reads by view and result\n# TYPE {name} counter\n"
    );
    for counts in catalog_cache.counts() {
        let view = counts.view.as_str();
        for (result, value) in [("hit", counts.hits), ("miss", counts.misses)] {
            text.push_str(&format!(
                "{name}{{view=\"{view}\",result=\"{result}\"}} {value}\n"
            ));
        }
    }
    text
}

fn pool_figures(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}
