//! The real gateway: `kaidian serve` processes configured by `KAIDIAN__*` environment variables,
//! each with its own port and in-process WeChat sandbox, sharing one fresh database (and Redis
//! namespace). Their resident memory is read from `/proc/<pid>/status`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

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

/// One `kaidian serve` process.
pub struct Gateway {
    pub pid: u32,
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// Its in-process WeChat sandbox (`/sandbox/login-code` and friends).
    pub sandbox: String,
    child: std::process::Child,
    log: PathBuf,
}

/// Resident memory of one process, in MB.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Memory {
    pub rss_mb: f64,
    pub peak_mb: f64,
}

impl Gateway {
    /// `VmRSS` (now) and `VmHWM` (peak since start or since [`Gateway::reset_peak`]).
    pub fn memory(&self) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        Memory {
            rss_mb: field("VmRSS:"),
            peak_mb: field("VmHWM:"),
        }
    }

    /// Resets `VmHWM` to the current RSS (Linux ≥ 4.0: `echo 5 > /proc/<pid>/clear_refs`), so the
    /// peak read after a scenario is that scenario's.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "kaidian exited ({status}); its log {}:\n{}",
                self.log.display(),
                tail(&self.log)
            )),
            _ => None,
        }
    }
}

impl Drop for Gateway {
    /// No gateway outlives the harness, whatever ends it.
    fn drop(&mut self) {
        self.kill();
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The gateway processes of one backend and what they share.
pub struct Deployment {
    pub backend: BenchBackend,
    pub gateways: Vec<Gateway>,
    pub client: reqwest::Client,
    /// PostgreSQL (services backend): the shared database, for the checks that read it directly
    /// (tables qualified with `schema`).
    pub database: Option<DatabaseConnection>,
    pub schema: String,
    pub redis_url: String,
    pub key_prefix: String,
    data_dir: PathBuf,
}

fn service_urls() -> (String, String) {
    let database = std::env::var("KAIDIAN_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let redis = std::env::var("KAIDIAN_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned());
    (database, redis)
}

async fn redis_answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let ping = async {
        let mut connection = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), ping).await,
        Ok(Some(_))
    )
}

/// The `kaidian` binary: `KAIDIAN_BENCH_BIN`, else next to this executable (same profile).
fn kaidian_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("KAIDIAN_BENCH_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let binary = exe
        .parent()
        .context("no directory for the bench executable")?
        .join("kaidian");
    if !binary.exists() {
        bail!(
            "{} not found: build the server first (`cargo build --release -p gateway`, which \
             `just bench` does) or point KAIDIAN_BENCH_BIN at a kaidian binary",
            binary.display()
        );
    }
    Ok(binary)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn random_master_key() -> String {
    // A throw-away key for a throw-away database: v7 UUIDs carry 74 random bits each.
    let bytes: Vec<u8> = uuid::Uuid::now_v7()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::now_v7().as_bytes())
        .copied()
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Deployment {
    /// Starts `processes` gateways on `backend` (the first one migrates the fresh database, then
    /// the others join), or `None` when PostgreSQL or Redis does not answer.
    pub async fn start(
        backend: BenchBackend,
        processes: usize,
        http_workers: usize,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<Option<Deployment>> {
        let binary = kaidian_binary()?;
        let run = uuid::Uuid::now_v7().simple().to_string();
        let data_dir = std::env::temp_dir().join("kaidian-bench").join(&run);
        std::fs::create_dir_all(&data_dir)?;
        let master_key = random_master_key();
        let mut env: Vec<(String, String)> = vec![
            ("SECURITY__MASTER_KEY".into(), master_key),
            ("BOOTSTRAP__OPERATOR_EMAIL".into(), OPERATOR_EMAIL.into()),
            (
                "BOOTSTRAP__OPERATOR_PASSWORD".into(),
                OPERATOR_PASSWORD.into(),
            ),
            (
                "MEDIA__MAX_IMPORT_BYTES".into(),
                (16 * 1024 * 1024).to_string(),
            ),
            ("SERVER__WORKERS".into(), http_workers.to_string()),
            ("LOG__FORMAT".into(), "pretty".into()),
        ];
        env.extend(
            extra_env
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
        );
        if std::env::var("KAIDIAN__LOG__LEVEL").is_err() {
            env.push(("LOG__LEVEL".into(), "warn".into()));
        }
        let mut deployment = Deployment {
            backend,
            gateways: Vec::new(),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(1024)
                .build()?,
            database: None,
            schema: String::new(),
            redis_url: String::new(),
            key_prefix: String::new(),
            data_dir: data_dir.clone(),
        };
        match backend {
            BenchBackend::Embedded => {
                let file = data_dir.join("bench.db");
                env.push((
                    "DATABASE__URL".into(),
                    format!("sqlite://{}?mode=rwc", file.display()),
                ));
            }
            BenchBackend::Services => {
                let (database, redis) = service_urls();
                let schema = format!("kd_bench_{run}");
                let connect =
                    tokio::time::timeout(Duration::from_secs(3), Database::connect(&database))
                        .await;
                let Ok(Ok(db)) = connect else {
                    return Ok(None);
                };
                if db
                    .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .is_err()
                    || !redis_answers(&redis).await
                {
                    return Ok(None);
                }
                deployment.database = Some(db);
                deployment.schema = schema.clone();
                deployment.redis_url = redis.clone();
                deployment.key_prefix = format!("kdbench{}", &run[20..]);
                env.extend([
                    ("DATABASE__URL".into(), database),
                    ("DATABASE__SCHEMA".into(), schema),
                    ("DATABASE__MAX_CONNECTIONS".into(), "32".into()),
                    ("REDIS__URL".into(), redis),
                    ("REDIS__KEY_PREFIX".into(), deployment.key_prefix.clone()),
                ]);
            }
        }
        for index in 0..processes {
            let started = deployment
                .spawn(&binary, &env, &data_dir.join(format!("gw{index}")))
                .await;
            match started {
                Ok(gateway) => deployment.gateways.push(gateway),
                Err(err) => {
                    deployment.stop().await;
                    return Err(err);
                }
            }
        }
        Ok(Some(deployment))
    }

    async fn spawn(
        &self,
        binary: &Path,
        env: &[(String, String)],
        dir: &Path,
    ) -> anyhow::Result<Gateway> {
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let sandbox_port = free_port()?;
        let log = dir.join("kaidian.log");
        let log_file = std::fs::File::create(&log)?;
        let mut command = std::process::Command::new(binary);
        command
            .arg("serve")
            .current_dir(dir)
            .env("KAIDIAN__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "KAIDIAN__WECHAT__SANDBOX_LISTEN",
                format!("127.0.0.1:{sandbox_port}"),
            )
            .env("KAIDIAN__SECURITY__DATA_DIR", dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        for (key, value) in env {
            command.env(format!("KAIDIAN__{key}"), value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut gateway = Gateway {
            pid: child.id(),
            address: format!("http://127.0.0.1:{port}"),
            sandbox: format!("http://127.0.0.1:{sandbox_port}"),
            child,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(exit) = gateway.exited() {
                bail!("{exit}");
            }
            if Instant::now() > deadline {
                gateway.kill();
                bail!(
                    "kaidian did not become ready in 120 s; its log {}:\n{}",
                    gateway.log.display(),
                    tail(&gateway.log)
                );
            }
            let ready = self
                .client
                .get(format!("{}/readyz", gateway.address))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                eprintln!(
                    "kaidian pid {} serving {} (log {})",
                    gateway.pid,
                    gateway.address,
                    gateway.log.display()
                );
                return Ok(gateway);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn first(&self) -> &Gateway {
        &self.gateways[0]
    }

    /// Resets every process's peak RSS; false when the kernel refused.
    pub fn reset_peaks(&self) -> bool {
        self.gateways.iter().all(Gateway::reset_peak)
    }

    pub fn memory(&self) -> Vec<Memory> {
        self.gateways.iter().map(Gateway::memory).collect()
    }

    /// Copies each process's log (warnings and errors) to `dir/<backend>-gw<i>.log`.
    pub fn keep_logs(&self, dir: &Path) {
        let _ = std::fs::create_dir_all(dir);
        for (index, gateway) in self.gateways.iter().enumerate() {
            let name = format!("{}-gw{index}.log", self.backend.name().replace('+', "-"));
            let _ = std::fs::copy(&gateway.log, dir.join(name));
        }
    }

    /// Stops the processes and removes everything the run created: the data directory, the
    /// PostgreSQL schema and the Redis keys under the run's own prefix.
    pub async fn stop(mut self) {
        self.gateways.clear();
        if let Some(db) = &self.database {
            let _ = db
                .execute_unprepared(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema))
                .await;
        }
        if !self.key_prefix.is_empty() {
            let _ = delete_keys(&self.redis_url, &format!("{}:*", self.key_prefix)).await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

async fn delete_keys(url: &str, pattern: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(url)?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut connection)
            .await?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<i64>(&mut connection)
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// Reads a Redis string key as an integer (None when absent or not a number).
pub async fn redis_integer(url: &str, key: &str) -> anyhow::Result<Option<i64>> {
    let client = redis::Client::open(url)?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let value: Option<String> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut connection)
        .await?;
    Ok(value.and_then(|v| v.parse().ok()))
}
