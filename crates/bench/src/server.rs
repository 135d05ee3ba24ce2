//! The real gateway, started in this process on port 0 with a fresh database.

use std::time::Duration;

use anyhow::Context;
use gateway::Application;
use gateway::settings::Settings;
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;

pub const OPERATOR_EMAIL: &str = "bench@kaidian.test";
pub const OPERATOR_PASSWORD: &str = "bench operator password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchBackend {
    Embedded,
    Services,
}

impl BenchBackend {
    pub fn name(self) -> &'static str {
        match self {
            BenchBackend::Embedded => "sqlite+memory",
            BenchBackend::Services => "postgres+redis",
        }
    }
}

pub struct BenchServer {
    pub address: String,
    pub client: reqwest::Client,
    handle: gateway::ServerHandle,
    data_dir: std::path::PathBuf,
}

/// Hits and misses of the hot catalog cache, read from `/metrics`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CacheCounts {
    hits: u64,
    misses: u64,
}

impl CacheCounts {
    pub fn hit_rate_since(&self, before: &CacheCounts) -> Option<f64> {
        let hits = self.hits.saturating_sub(before.hits);
        let total = hits + self.misses.saturating_sub(before.misses);
        (total > 0).then(|| hits as f64 / total as f64)
    }
}

impl BenchServer {
    pub async fn cache_counts(&self) -> anyhow::Result<CacheCounts> {
        let text = self
            .client
            .get(format!("{}/metrics", self.address))
            .send()
            .await?
            .text()
            .await?;
        let mut counts = CacheCounts::default();
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
                counts.hits += value;
            } else {
                counts.misses += value;
            }
        }
        Ok(counts)
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn service_urls() -> (String, String) {
    let database = std::env::var("KAIDIAN_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let redis = std::env::var("KAIDIAN_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned());
    (database, redis)
}

/// A fresh schema on the benchmark PostgreSQL, or `None` when it does not answer.
async fn fresh_postgres_schema(url: &str, schema: &str) -> Option<()> {
    let connect = tokio::time::timeout(Duration::from_secs(3), Database::connect(url)).await;
    let db = connect.ok()?.ok()?;
    db.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .ok()?;
    Some(())
}

async fn redis_answers(url: &str) -> bool {
    let Some(address) = url
        .strip_prefix("redis://")
        .and_then(|rest| rest.split('/').next())
    else {
        return false;
    };
    let connect = tokio::net::TcpStream::connect(address.to_owned());
    matches!(
        tokio::time::timeout(Duration::from_secs(2), connect).await,
        Ok(Ok(_))
    )
}

pub async fn start_server(backend: BenchBackend) -> anyhow::Result<Option<BenchServer>> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let data_dir = std::env::temp_dir().join("kaidian-bench").join(&run);
    std::fs::create_dir_all(&data_dir)?;
    let mut settings = Settings::defaults().map_err(|err| anyhow::anyhow!("{err}"))?;
    settings.server.listen = "127.0.0.1:0".to_owned();
    settings.security.data_dir = data_dir.clone();
    settings.bootstrap.operator_email = OPERATOR_EMAIL.to_owned();
    settings.bootstrap.operator_password = SecretString::from(OPERATOR_PASSWORD.to_owned());
    settings.media.max_import_bytes = 16 * 1024 * 1024;
    match backend {
        BenchBackend::Embedded => {
            let file = data_dir.join("bench.db");
            settings.database.url =
                SecretString::from(format!("sqlite://{}?mode=rwc", file.display()));
        }
        BenchBackend::Services => {
            let (database, redis) = service_urls();
            let schema = format!("kd_bench_{run}");
            if fresh_postgres_schema(&database, &schema).await.is_none()
                || !redis_answers(&redis).await
            {
                return Ok(None);
            }
            settings.database.url = SecretString::from(database);
            settings.database.schema = schema;
            settings.database.max_connections = 32;
            settings.redis.url = SecretString::from(redis);
            settings.redis.key_prefix = format!("kdbench{}", &run[..12]);
        }
    }
    let application = Application::build(settings)
        .await
        .context("the server did not start")?;
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    Ok(Some(BenchServer {
        address,
        client,
        handle,
        data_dir,
    }))
}
