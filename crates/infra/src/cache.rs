//! The cache in front of the database: Redis when `redis.url` is set, an in-process store otherwise.
//!
//! The database is the source of truth; the cache only ever makes reads cheaper. Every Redis call
//! is bounded by a short timeout, and any failure is logged, counted and reported as a miss (for
//! reads) or ignored (for writes), so Redis being down or slow degrades to the database instead of
//! failing a request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool_redis::{Config as RedisPoolConfig, Pool, PoolConfig, Runtime, Timeouts};
use kernel::TenantId;
use moka::Expiry;
use moka::sync::Cache as MemoryStore;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A cache key below the namespace. Tenant keys carry the tenant in a Redis Cluster hash tag,
/// `{t:<tenant_id>}`, so all of one tenant's keys land in one slot (multi-key Lua scripts work).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// `{t:<tenant>}:part:part…`
    pub fn tenant(tenant: TenantId, parts: &[&str]) -> Self {
        Self(format!("{{t:{}}}:{}", tenant.as_uuid(), parts.join(":")))
    }

    /// `p:part:part…`, for platform-level data such as the appid → tenant routing entry.
    pub fn platform(parts: &[&str]) -> Self {
        Self(format!("p:{}", parts.join(":")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Hit, miss and error counters, exported at `/metrics`.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub errors: AtomicU64,
}

#[derive(Clone)]
struct MemoryEntry {
    value: Arc<str>,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, MemoryEntry> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &MemoryEntry,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &MemoryEntry,
        _updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

enum Backend {
    Memory(MemoryStore<String, MemoryEntry>),
    Redis(Pool),
}

struct Inner {
    backend: Backend,
    /// Redis only: one multiplexed connection shared by every caller (see `shared_connection`).
    shared: std::sync::Mutex<Option<MultiplexedConnection>>,
    namespace: String,
    timeout: Duration,
    stats: CacheStats,
}

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("invalid Redis configuration: {0}")]
    Config(String),
    #[error("Redis is unreachable: {0}")]
    Unreachable(String),
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
}

impl Cache {
    /// The in-process store: bounded to `capacity` entries, per-entry TTL.
    pub fn memory(namespace: &str, capacity: u64) -> Self {
        let store = MemoryStore::builder()
            .max_capacity(capacity)
            .expire_after(PerEntryTtl)
            .build();
        Self::with_backend(Backend::Memory(store), namespace, Duration::from_millis(50))
    }

    /// A Redis-backed cache. Connections are made lazily, so a Redis that is down at start-up
    /// does not stop the platform; [`Cache::ping`] tells whether it answers.
    pub fn redis(
        url: &str,
        namespace: &str,
        pool_size: usize,
        timeout: Duration,
    ) -> Result<Self, CacheError> {
        let mut config = RedisPoolConfig::from_url(url);
        let mut pool_config = PoolConfig::new(pool_size);
        pool_config.timeouts = Timeouts {
            wait: Some(timeout),
            create: Some(timeout),
            recycle: Some(timeout),
        };
        config.pool = Some(pool_config);
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|err| CacheError::Config(err.to_string()))?;
        Ok(Self::with_backend(Backend::Redis(pool), namespace, timeout))
    }

    fn with_backend(backend: Backend, namespace: &str, timeout: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                shared: std::sync::Mutex::new(None),
                namespace: namespace.to_owned(),
                timeout,
                stats: CacheStats::default(),
            }),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self.inner.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    /// The Redis pool, for callers that need Redis itself (stock reservation scripts).
    pub fn redis_pool(&self) -> Option<&Pool> {
        match &self.inner.backend {
            Backend::Redis(pool) => Some(pool),
            Backend::Memory(_) => None,
        }
    }

    pub fn stats(&self) -> &CacheStats {
        &self.inner.stats
    }

    /// The full key as stored: `<namespace>:<key>`.
    pub fn full_key(&self, key: &CacheKey) -> String {
        format!("{}:{}", self.inner.namespace, key.as_str())
    }

    pub async fn get_json<T: DeserializeOwned>(&self, key: &CacheKey) -> Option<T> {
        let raw = self.get_raw(key).await;
        self.parse_counted(raw)
    }

    /// Two keys in one round trip (Redis `MGET`; both should share a tenant's hash tag), each
    /// counted as a hit or a miss like [`Cache::get_json`].
    pub async fn get_json_pair<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        first: &CacheKey,
        second: &CacheKey,
    ) -> (Option<A>, Option<B>) {
        let (first_raw, second_raw) = self.get_raw_pair(first, second).await;
        (
            self.parse_counted(first_raw),
            self.parse_counted(second_raw),
        )
    }

    fn parse_counted<T: DeserializeOwned>(&self, raw: Option<String>) -> Option<T> {
        let stats = &self.inner.stats;
        match raw.and_then(|text| serde_json::from_str(&text).ok()) {
            Some(value) => {
                stats.hits.fetch_add(1, Ordering::Relaxed);
                Some(value)
            }
            None => {
                stats.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    async fn get_raw_pair(
        &self,
        first: &CacheKey,
        second: &CacheKey,
    ) -> (Option<String>, Option<String>) {
        let keys = [self.full_key(first), self.full_key(second)];
        match &self.inner.backend {
            Backend::Memory(store) => (
                store.get(&keys[0]).map(|entry| entry.value.to_string()),
                store.get(&keys[1]).map(|entry| entry.value.to_string()),
            ),
            Backend::Redis(pool) => {
                let outcome = self
                    .bounded(async {
                        let mut connection = self.shared_connection(pool).await?;
                        redis::cmd("MGET")
                            .arg(&keys[..])
                            .query_async::<(Option<String>, Option<String>)>(&mut connection)
                            .await
                            .map_err(|e| e.to_string())
                    })
                    .await;
                self.note_failure("mget", &keys[0], outcome)
                    .unwrap_or((None, None))
            }
        }
    }

    pub async fn set_json<T: Serialize>(&self, key: &CacheKey, value: &T, ttl: Duration) {
        let Ok(text) = serde_json::to_string(value) else {
            return;
        };
        let full_key = self.full_key(key);
        match &self.inner.backend {
            Backend::Memory(store) => store.insert(
                full_key,
                MemoryEntry {
                    value: Arc::from(text),
                    ttl,
                },
            ),
            Backend::Redis(pool) => {
                let seconds = ttl.as_secs().max(1);
                let outcome = self
                    .bounded(async {
                        let mut connection = self.shared_connection(pool).await?;
                        connection
                            .set_ex::<_, _, ()>(&full_key, text, seconds)
                            .await
                            .map_err(|e| e.to_string())
                    })
                    .await;
                self.note_failure("set", &full_key, outcome);
            }
        }
    }

    /// Removes a key. Called after every write that changes what the key holds.
    pub async fn delete(&self, key: &CacheKey) {
        let full_key = self.full_key(key);
        match &self.inner.backend {
            Backend::Memory(store) => store.invalidate(&full_key),
            Backend::Redis(pool) => {
                let outcome = self
                    .bounded(async {
                        let mut connection = self.shared_connection(pool).await?;
                        connection
                            .del::<_, ()>(&full_key)
                            .await
                            .map_err(|e| e.to_string())
                    })
                    .await;
                self.note_failure("delete", &full_key, outcome);
            }
        }
    }

    /// Whether the cache answers now (always, for the in-process store).
    pub async fn ping(&self) -> Result<(), CacheError> {
        match &self.inner.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(pool) => self
                .bounded(async {
                    let mut connection = self.shared_connection(pool).await?;
                    redis::cmd("PING")
                        .query_async::<String>(&mut connection)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
                .await
                .inspect_err(|_| self.forget_shared_connection())
                .map_err(|failure| match failure {
                    Failure::Timeout => CacheError::Timeout(self.inner.timeout),
                    Failure::Error(reason) => CacheError::Unreachable(reason),
                }),
        }
    }

    async fn get_raw(&self, key: &CacheKey) -> Option<String> {
        let full_key = self.full_key(key);
        match &self.inner.backend {
            Backend::Memory(store) => store.get(&full_key).map(|entry| entry.value.to_string()),
            Backend::Redis(pool) => {
                let outcome = self
                    .bounded(async {
                        let mut connection = self.shared_connection(pool).await?;
                        connection
                            .get::<_, Option<String>>(&full_key)
                            .await
                            .map_err(|e| e.to_string())
                    })
                    .await;
                self.note_failure("get", &full_key, outcome).flatten()
            }
        }
    }

    /// A clone of the shared multiplexed connection (commands from all callers are pipelined on
    /// it), taken from the pool once and replaced after any failure. Taking a pooled connection
    /// per command would cost an extra round trip each time: deadpool-redis pings a connection
    /// whenever it is checked out.
    async fn shared_connection(&self, pool: &Pool) -> Result<MultiplexedConnection, String> {
        if let Some(connection) = self.lock_shared().clone() {
            return Ok(connection);
        }
        let pooled = pool.get().await.map_err(|e| e.to_string())?;
        let connection = deadpool_redis::Connection::take(pooled);
        *self.lock_shared() = Some(connection.clone());
        Ok(connection)
    }

    fn forget_shared_connection(&self) {
        *self.lock_shared() = None;
    }

    fn lock_shared(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.inner
            .shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn bounded<T>(
        &self,
        operation: impl Future<Output = Result<T, String>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.inner.timeout, operation).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(reason)) => Err(Failure::Error(reason)),
            Err(_) => Err(Failure::Timeout),
        }
    }

    fn note_failure<T>(
        &self,
        operation: &str,
        key: &str,
        outcome: Result<T, Failure>,
    ) -> Option<T> {
        match outcome {
            Ok(value) => Some(value),
            Err(failure) => {
                self.forget_shared_connection();
                self.inner.stats.errors.fetch_add(1, Ordering::Relaxed);
                let reason = match failure {
                    Failure::Timeout => format!("timed out after {:?}", self.inner.timeout),
                    Failure::Error(reason) => reason,
                };
                tracing::warn!(cache.operation = operation, cache.key = key, error = %reason, "cache unavailable, falling back to the database");
                None
            }
        }
    }
}

enum Failure {
    Timeout,
    Error(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_keys_carry_a_cluster_hash_tag() {
        let tenant = TenantId::new();
        let cache = Cache::memory("kd", 10);
        let key = CacheKey::tenant(tenant, &["catalog", "product", "42"]);
        assert_eq!(
            cache.full_key(&key),
            format!("kd:{{t:{}}}:catalog:product:42", tenant.as_uuid())
        );
    }

    #[tokio::test]
    async fn the_memory_cache_stores_expires_and_deletes() {
        let cache = Cache::memory("kd", 10);
        let key = CacheKey::platform(&["x"]);
        cache.set_json(&key, &41, Duration::from_secs(60)).await;
        assert_eq!(cache.get_json::<i32>(&key).await, Some(41));
        cache.delete(&key).await;
        assert_eq!(cache.get_json::<i32>(&key).await, None);
        cache.set_json(&key, &1, Duration::from_millis(20)).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.get_json::<i32>(&key).await, None);
        assert_eq!(cache.stats().hits.load(Ordering::Relaxed), 1);
        assert_eq!(cache.stats().misses.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_pair_of_keys_is_read_at_once_and_each_counted() {
        let cache = Cache::memory("kd", 10);
        let (first, second) = (CacheKey::platform(&["a"]), CacheKey::platform(&["b"]));
        cache.set_json(&first, &"v1", Duration::from_secs(60)).await;
        let (a, b) = cache.get_json_pair::<String, i32>(&first, &second).await;
        assert_eq!((a.as_deref(), b), (Some("v1"), None));
        assert_eq!(cache.stats().hits.load(Ordering::Relaxed), 1);
        assert_eq!(cache.stats().misses.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_dead_redis_reads_as_a_miss_and_is_counted() -> Result<(), CacheError> {
        // Port 1 on loopback: nothing listens there, so connections are refused at once.
        let cache = Cache::redis("redis://127.0.0.1:1", "kd", 2, Duration::from_millis(200))?;
        let key = CacheKey::platform(&["x"]);
        cache.set_json(&key, &1, Duration::from_secs(5)).await;
        assert_eq!(cache.get_json::<i32>(&key).await, None);
        assert!(cache.ping().await.is_err());
        assert!(cache.stats().errors.load(Ordering::Relaxed) >= 2);
        Ok(())
    }
}
