//! Stock reservation in Redis, in front of the database's conditional decrement.
//!
//! Each SKU's available stock is kept at `{t:<tenant>}:order:stock:<sku>` (all of a tenant's keys
//! share its hash tag, so one script may touch them all on Redis Cluster). A key is seeded from the
//! database the first time an order needs it. The reserve script takes every SKU of an order or
//! none. The database stays the final guard: when the database refuses, the reservation is given
//! back. Without Redis every function here is a no-op and the database guards alone.

use std::time::Duration;

use catalog::CatalogCache;
use deadpool_redis::{Pool, Timeouts};
use infra::{Cache, CacheKey};
use kernel::TenantId;
use serde::Serialize;
use uuid::Uuid;

use crate::error::OrderError;

/// Reserve all or nothing. Returns 0 when reserved, `i` when SKU `i` (1-based) is short, `-i`
/// when SKU `i` has no key yet (seed and retry).
const RESERVE: &str = r"
for i, key in ipairs(KEYS) do
  local have = redis.call('GET', key)
  if not have then return -i end
  if tonumber(have) < tonumber(ARGV[i]) then return i end
end
for i, key in ipairs(KEYS) do
  redis.call('DECRBY', key, ARGV[i])
end
return 0
";

/// Give back (only to seeded keys: an unseeded key is seeded from the database, which already
/// has the stock).
const RELEASE: &str = r"
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('INCRBY', key, ARGV[i])
  end
end
return 0
";

/// How long a stock operation waits for a pooled Redis connection. The cache's own short timeout
/// suits reads that can fall back to the database; a stock reservation that gave up merely because
/// the pool was busy would let the database decrement alone and Redis drift above it. A Redis that is
/// down still fails at once (connection refused), and the database guards alone.
const STOCK_POOL_WAIT: Duration = Duration::from_secs(2);

async fn stock_connection(pool: &Pool) -> Result<deadpool_redis::Connection, String> {
    let timeouts = Timeouts {
        wait: Some(STOCK_POOL_WAIT),
        create: Some(STOCK_POOL_WAIT),
        recycle: Some(STOCK_POOL_WAIT),
    };
    pool.timeout_get(&timeouts).await.map_err(|e| e.to_string())
}

fn stock_key(cache: &Cache, tenant: TenantId, sku_id: Uuid) -> String {
    cache.full_key(&CacheKey::tenant(
        tenant,
        &["order", "stock", &sku_id.to_string()],
    ))
}

/// The outcome of asking Redis.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reservation {
    /// Reserved in Redis: give it back if the database refuses.
    Reserved,
    /// No Redis (or Redis failed): the database guards alone.
    NotTracked,
}

async fn run_script(
    cache: &Cache,
    script: &str,
    keys: &[String],
    quantities: &[i64],
) -> Result<Option<i64>, String> {
    let Some(pool) = cache.redis_pool() else {
        return Ok(None);
    };
    let mut connection = stock_connection(pool).await?;
    let script = redis::Script::new(script);
    let mut invocation = script.prepare_invoke();
    for (key, quantity) in keys.iter().zip(quantities) {
        invocation.key(key).arg(*quantity);
    }
    let result: i64 = invocation
        .invoke_async(&mut connection)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(result))
}

async fn seed(cache: &Cache, key: &str, stock: i64) -> Result<(), String> {
    let Some(pool) = cache.redis_pool() else {
        return Ok(());
    };
    let mut connection = stock_connection(pool).await?;
    redis::cmd("SET")
        .arg(key)
        .arg(stock)
        .arg("NX")
        .query_async::<Option<String>>(&mut connection)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Reserves every `(sku, quantity)` or none. `db_stock` seeds unseeded keys.
pub(crate) async fn reserve(
    db: &impl sea_orm::ConnectionTrait,
    hot: &CatalogCache,
    tenant: TenantId,
    lines: &[(Uuid, i64)],
) -> Result<Reservation, OrderError> {
    let cache = hot.cache();
    if cache.redis_pool().is_none() {
        return Ok(Reservation::NotTracked);
    }
    let keys: Vec<String> = lines
        .iter()
        .map(|(sku, _)| stock_key(cache, tenant, *sku))
        .collect();
    let quantities: Vec<i64> = lines.iter().map(|(_, quantity)| *quantity).collect();
    for _ in 0..=lines.len() {
        match run_script(cache, RESERVE, &keys, &quantities).await {
            Ok(Some(0)) => return Ok(Reservation::Reserved),
            Ok(Some(short)) if short > 0 => {
                let index = (short - 1) as usize;
                let (sku_id, requested) = lines[index];
                let available = current(cache, &keys[index]).await.unwrap_or(0);
                return Err(OrderError::InsufficientStock {
                    sku_id,
                    available: available.max(0),
                    requested,
                });
            }
            Ok(Some(unseeded)) => {
                let index = (-unseeded - 1) as usize;
                let sku_id = lines[index].0;
                let stock = catalog::skus_for_checkout(db, tenant, &[sku_id])
                    .await?
                    .first()
                    .map(|sku| sku.stock)
                    .ok_or(OrderError::SkuNotFound(sku_id))?;
                if let Err(error) = seed(cache, &keys[index], stock).await {
                    tracing::warn!(tenant.id = %tenant, %error, "redis stock seed failed");
                    return Ok(Reservation::NotTracked);
                }
            }
            Ok(None) => return Ok(Reservation::NotTracked),
            Err(error) => {
                tracing::warn!(tenant.id = %tenant, %error, "redis stock reservation failed; the database guards alone");
                return Ok(Reservation::NotTracked);
            }
        }
    }
    Ok(Reservation::NotTracked)
}

/// Gives a reservation back (after a database refusal, or when an order is cancelled).
pub(crate) async fn release(hot: &CatalogCache, tenant: TenantId, lines: &[(Uuid, i64)]) {
    if lines.is_empty() {
        return;
    }
    let cache = hot.cache();
    let keys: Vec<String> = lines
        .iter()
        .map(|(sku, _)| stock_key(cache, tenant, *sku))
        .collect();
    let quantities: Vec<i64> = lines.iter().map(|(_, quantity)| *quantity).collect();
    if let Err(error) = run_script(cache, RELEASE, &keys, &quantities).await {
        tracing::warn!(tenant.id = %tenant, %error, "redis stock release failed; reconcile_stock repairs it");
    }
}

async fn current(cache: &Cache, key: &str) -> Option<i64> {
    let pool = cache.redis_pool()?;
    let mut connection = stock_connection(pool).await.ok()?;
    redis::cmd("GET")
        .arg(key)
        .query_async::<Option<i64>>(&mut connection)
        .await
        .ok()
        .flatten()
}

/// One SKU whose Redis stock disagreed with the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StockDrift {
    pub sku_id: Uuid,
    pub redis: i64,
    pub database: i64,
}

/// Makes every seeded Redis stock key of these SKUs equal to the database's stock and reports
/// the keys that disagreed. Run it when no order of the tenant is in flight (a reservation taken
/// in Redis but not yet committed looks like drift).
pub async fn reconcile_stock(
    db: &impl sea_orm::ConnectionTrait,
    hot: &CatalogCache,
    tenant: TenantId,
    sku_ids: &[Uuid],
) -> Result<Vec<StockDrift>, OrderError> {
    let cache = hot.cache();
    if cache.redis_pool().is_none() {
        return Ok(Vec::new());
    }
    let mut drift = Vec::new();
    for sku in catalog::skus_for_checkout(db, tenant, sku_ids).await? {
        let key = stock_key(cache, tenant, sku.sku_id);
        let Some(redis) = current(cache, &key).await else {
            continue;
        };
        if redis != sku.stock {
            drift.push(StockDrift {
                sku_id: sku.sku_id,
                redis,
                database: sku.stock,
            });
            if let Some(pool) = cache.redis_pool()
                && let Ok(mut connection) = pool.get().await
            {
                let _: Result<(), _> = redis::cmd("SET")
                    .arg(&key)
                    .arg(sku.stock)
                    .query_async(&mut connection)
                    .await;
            }
        }
    }
    if !drift.is_empty() {
        tracing::warn!(tenant.id = %tenant, drift = drift.len(), "redis stock drift repaired");
    }
    Ok(drift)
}

/// The Redis stock of a SKU, if seeded (for tests and the admin).
pub async fn redis_stock(hot: &CatalogCache, tenant: TenantId, sku_id: Uuid) -> Option<i64> {
    let cache = hot.cache();
    current(cache, &stock_key(cache, tenant, sku_id)).await
}

/// Mirrors a merchant's stock adjustment into a seeded Redis key (deltas commute with in-flight
/// reservations, so this keeps Redis and the database in agreement).
pub async fn mirror_stock_adjustment(
    hot: &CatalogCache,
    tenant: TenantId,
    sku_id: Uuid,
    delta: i64,
) {
    release(hot, tenant, &[(sku_id, delta)]).await;
}
