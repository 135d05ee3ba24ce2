//! The hot catalog cache: shop product details, list pages and the category tree, per tenant,
//! stamped with the tenant's catalog version.
//!
//! Coherence: the tenant has a catalog version, a fresh UUIDv7 written by [`CatalogCache::bump`]
//! after each catalog write commits (and before the write responds). Every entry is stamped with
//! the version it was built under, and a version is always read before the data it stamps. A
//! reader fetches the version and the entry together (one `MGET`) and uses the entry only if its
//! stamp is the current version; so after a write's response no reader can reach data from before
//! the write. Versions never repeat; entries are overwritten by the next rebuild or age out.
//!
//! Stampede protection: on a miss, one request per key (per process) rebuilds; the others wait on
//! that key's lock and then read what it stored. If the cache is down, reads go to the database.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use infra::{Cache, CacheKey};
use kernel::TenantId;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Entries live this long at most; the version makes them unreachable sooner after any write.
const ENTRY_TTL: Duration = Duration::from_secs(300);
/// The version key outlives entries; if it is lost, a new version simply starts.
const VERSION_TTL: Duration = Duration::from_secs(24 * 3600);

/// What is cached, for per-view hit and miss counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CachedView {
    ProductDetail,
    ProductList,
    CategoryTree,
}

impl CachedView {
    pub const ALL: [CachedView; 3] = [
        CachedView::ProductDetail,
        CachedView::ProductList,
        CachedView::CategoryTree,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CachedView::ProductDetail => "product_detail",
            CachedView::ProductList => "product_list",
            CachedView::CategoryTree => "category_tree",
        }
    }

    fn index(self) -> usize {
        match self {
            CachedView::ProductDetail => 0,
            CachedView::ProductList => 1,
            CachedView::CategoryTree => 2,
        }
    }
}

#[derive(Default)]
struct ViewCounters {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Hits and misses of one cached view, read for `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewCounts {
    pub view: CachedView,
    pub hits: u64,
    pub misses: u64,
}

struct Inner {
    cache: Cache,
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    counters: [ViewCounters; 3],
}

/// Shared by all workers of a process (clone it freely).
#[derive(Clone)]
pub struct CatalogCache {
    inner: Arc<Inner>,
}

/// A cached value and the catalog version it was built under.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stamped<T> {
    #[serde(rename = "v")]
    version: String,
    #[serde(rename = "d")]
    value: T,
}

fn version_key(tenant: TenantId) -> CacheKey {
    CacheKey::tenant(tenant, &["catalog", "version"])
}

impl CatalogCache {
    pub fn new(cache: Cache) -> Self {
        Self {
            inner: Arc::new(Inner {
                cache,
                in_flight: Mutex::new(HashMap::new()),
                counters: Default::default(),
            }),
        }
    }

    /// The cache underneath, for other cached reads (the tenant context).
    pub fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    pub fn counts(&self) -> Vec<ViewCounts> {
        CachedView::ALL
            .iter()
            .map(|view| {
                let counters = &self.inner.counters[view.index()];
                ViewCounts {
                    view: *view,
                    hits: counters.hits.load(Ordering::Relaxed),
                    misses: counters.misses.load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    /// Makes every cached catalog view of the tenant unreachable. Call after the write commits.
    pub async fn bump(&self, tenant: TenantId) {
        let version = kernel::new_id().simple().to_string();
        self.inner
            .cache
            .set_json(&version_key(tenant), &version, VERSION_TTL)
            .await;
    }

    /// No version yet (or the cache is down): start one. Whatever is built next is read after
    /// this point, so stamping it with the new version is safe.
    async fn start_version(&self, tenant: TenantId) -> String {
        let version = kernel::new_id().simple().to_string();
        self.inner
            .cache
            .set_json(&version_key(tenant), &version, VERSION_TTL)
            .await;
        version
    }

    fn count(&self, view: CachedView, hit: bool) {
        let counters = &self.inner.counters[view.index()];
        let counter = if hit {
            &counters.hits
        } else {
            &counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The value of `parts` for the tenant, from cache or from `build` (once per key at a time).
    pub async fn read_through<T, E, F, Fut>(
        &self,
        tenant: TenantId,
        view: CachedView,
        parts: &[&str],
        build: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut key_parts = vec!["catalog", view.as_str()];
        key_parts.extend_from_slice(parts);
        let key = CacheKey::tenant(tenant, &key_parts);
        let cache = &self.inner.cache;
        // The version and the entry in one round trip; the entry counts only if it was built
        // under the current version.
        let (version, entry) = cache
            .get_json_pair::<String, Stamped<T>>(&version_key(tenant), &key)
            .await;
        if let Some(entry) = entry.filter(|entry| version.as_ref() == Some(&entry.version)) {
            self.count(view, true);
            return Ok(entry.value);
        }
        // A miss: one rebuild per key at a time. The version is read (or started) again under the
        // key's lock, so that concurrent first readers do not each start a version of their own
        // and invalidate one another's builds.
        let flight = self.flight_lock(key.as_str());
        let guard = flight.lock().await;
        let (version, entry) = cache
            .get_json_pair::<String, Stamped<T>>(&version_key(tenant), &key)
            .await;
        let version = match version {
            Some(version) => version,
            None => self.start_version(tenant).await,
        };
        let fresh = entry.filter(|entry| entry.version == version);
        let outcome = match fresh {
            Some(entry) => {
                self.count(view, true);
                Ok(entry.value)
            }
            None => {
                self.count(view, false);
                match build().await {
                    Ok(value) => {
                        let stamped = Stamped { version, value };
                        cache.set_json(&key, &stamped, ENTRY_TTL).await;
                        Ok(stamped.value)
                    }
                    Err(error) => Err(error),
                }
            }
        };
        drop(guard);
        self.release_flight(key.as_str(), flight);
        outcome
    }

    fn flight_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        in_flight.entry(key.to_owned()).or_default().clone()
    }

    /// Forgets the key's lock once nobody else holds or waits for it.
    fn release_flight(&self, key: &str, flight: Arc<tokio::sync::Mutex<()>>) {
        let mut in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Two references left: the map's and ours.
        if Arc::strong_count(&flight) <= 2 {
            in_flight.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_on_one_key_rebuild_once() {
        let hot = CatalogCache::new(Cache::memory("kd", 100));
        let tenant = TenantId::new();
        let builds = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let hot = hot.clone();
            let builds = builds.clone();
            tasks.push(tokio::spawn(async move {
                hot.read_through(tenant, CachedView::ProductDetail, &["p"], || async {
                    builds.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, ()>(7)
                })
                .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.ok().and_then(Result::ok), Some(7));
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert!(
            hot.inner
                .in_flight
                .lock()
                .map(|m| m.is_empty())
                .unwrap_or(false)
        );
    }

    #[tokio::test]
    async fn a_bump_makes_the_old_entry_unreachable() {
        let hot = CatalogCache::new(Cache::memory("kd", 100));
        let tenant = TenantId::new();
        let read = |value: i32| {
            let hot = hot.clone();
            async move {
                hot.read_through(tenant, CachedView::ProductList, &["x"], || async move {
                    Ok::<_, ()>(value)
                })
                .await
            }
        };
        assert_eq!(read(1).await, Ok(1));
        assert_eq!(read(2).await, Ok(1));
        hot.bump(tenant).await;
        assert_eq!(read(3).await, Ok(3));
        let counts = hot.counts();
        assert_eq!((counts[1].hits, counts[1].misses), (1, 2));
    }
}
