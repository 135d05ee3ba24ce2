#![doc = include_str!("../README.md")]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use sea_orm::{ConnectionTrait, Database};
use tracing_subscriber::fmt::MakeWriter;

pub const DATABASE_URL_VAR: &str = "KAIDIAN_TEST_DATABASE_URL";
pub const REDIS_URL_VAR: &str = "KAIDIAN_TEST_REDIS_URL";
/// When set (CI sets it), a missing PostgreSQL/Redis configuration fails the tests instead of
/// skipping their PostgreSQL + Redis variants.
pub const REQUIRE_SERVICES_VAR: &str = "KAIDIAN_TEST_REQUIRE_SERVICES";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file + in-process cache: the embedded default.
    Embedded,
    /// PostgreSQL + Redis: production.
    Services,
}

/// A database of the test's own. The SQLite file is removed when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub schema: Option<String>,
    file: Option<PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// The service URLs for the `Services` backend, or `None` to skip it. Panics when they are
/// required but missing.
pub fn service_urls() -> Option<(String, String)> {
    let database = std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|v| !v.is_empty());
    let redis = std::env::var(REDIS_URL_VAR).ok().filter(|v| !v.is_empty());
    match (database, redis) {
        (Some(database), Some(redis)) => Some((database, redis)),
        _ => {
            assert!(
                std::env::var(REQUIRE_SERVICES_VAR).is_err(),
                "{REQUIRE_SERVICES_VAR} is set but {DATABASE_URL_VAR} / {REDIS_URL_VAR} are not"
            );
            None
        }
    }
}

fn unique_suffix() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

pub async fn fresh_database(backend: Backend) -> anyhow::Result<TestDatabase> {
    match backend {
        Backend::Embedded => {
            let dir = std::env::temp_dir().join("kaidian-tests");
            std::fs::create_dir_all(&dir)?;
            let file = dir.join(format!("{}.db", unique_suffix()));
            Ok(TestDatabase {
                url: format!("sqlite://{}?mode=rwc", file.display()),
                schema: None,
                file: Some(file),
            })
        }
        Backend::Services => {
            let (url, _) =
                service_urls().ok_or_else(|| anyhow::anyhow!("{DATABASE_URL_VAR} is not set"))?;
            let schema = format!("kd_test_{}", unique_suffix());
            let db = Database::connect(&url).await?;
            db.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                .await?;
            db.close().await?;
            Ok(TestDatabase {
                url,
                schema: Some(schema),
                file: None,
            })
        }
    }
}

/// A Redis key namespace no other test uses.
pub fn fresh_key_prefix() -> String {
    format!("kdt{}", unique_suffix())
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

#[derive(Clone, Copy)]
struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = LOGS.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

/// Installs (once) a global subscriber that keeps every log line of this process in memory,
/// at debug level for Kaidian's own crates.
pub fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        infra::telemetry::init_with_writer(
            infra::telemetry::LogFormat::Json,
            "info,gateway=debug,tenant=debug,infra=debug,sqlx=warn,sea_orm=warn",
            CaptureWriter,
        );
    });
}

/// Everything logged so far by this process.
pub fn captured_logs() -> String {
    LOGS.lock()
        .map(|logs| String::from_utf8_lossy(&logs).into_owned())
        .unwrap_or_default()
}
