//! The sale's stock and each customer's count in Redis, in front of the database.
//!
//! Keys under the tenant's hash tag (one script may touch them on Redis Cluster):
//! `…{t:<tenant>}:promo:stock:<sale>:<sku>` (units left; seeded from the database, `SET NX`, the
//! first time it is needed) and `…{t:<tenant>}:promo:bought:<sale>:<customer>` (units the
//! customer holds; absent is zero — the database's count is the final guard). Without Redis
//! every function here is a no-op and the database guards alone.

use infra::{Cache, CacheKey};
use kernel::TenantId;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::admin::sale_items;

/// Eligibility and reservation in one step. `ARGV`: quantity, limit, now, starts, ends (ms),
/// count TTL (s). Returns 0 reserved, 1 not live, 2 sold out, 3 limit reached, 4 unseeded.
const RESERVE: &str = r"
local now = tonumber(ARGV[3])
if now < tonumber(ARGV[4]) or now >= tonumber(ARGV[5]) then return 1 end
local stock = redis.call('GET', KEYS[1])
if not stock then return 4 end
local q = tonumber(ARGV[1])
if tonumber(stock) < q then return 2 end
local bought = tonumber(redis.call('GET', KEYS[2]) or '0')
if bought + q > tonumber(ARGV[2]) then return 3 end
redis.call('DECRBY', KEYS[1], q)
redis.call('INCRBY', KEYS[2], q)
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 0
";

/// Gives a unit back: to the stock (if seeded and `ARGV[2]` is 1) and from the customer's count.
const RELEASE: &str = r"
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCRBY', KEYS[1], ARGV[1])
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('DECRBY', KEYS[2], ARGV[1]) <= 0 then redis.call('DEL', KEYS[2]) end
end
return 0
";

pub(crate) fn stock_key(cache: &Cache, tenant: TenantId, sale: Uuid, sku: Uuid) -> String {
    cache.full_key(&CacheKey::tenant(
        tenant,
        &["promo", "stock", &sale.to_string(), &sku.to_string()],
    ))
}

pub(crate) fn count_key(cache: &Cache, tenant: TenantId, sale: Uuid, customer: Uuid) -> String {
    cache.full_key(&CacheKey::tenant(
        tenant,
        &["promo", "bought", &sale.to_string(), &customer.to_string()],
    ))
}

/// What the reserve script said.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Reserved,
    NotLive,
    SoldOut,
    LimitReached,
    Unseeded,
    /// No Redis, or the script failed (it may have run): the database guards alone.
    NotTracked,
    /// No Redis connection could be had: the script did not run. The database guards alone, and
    /// its outcome is mirrored into Redis afterwards (best effort) so the two keep agreeing.
    NotReached,
}

pub(crate) struct Attempt<'a> {
    pub stock_key: &'a str,
    pub count_key: &'a str,
    pub quantity: i64,
    pub limit: i64,
    pub now_ms: i64,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub count_ttl_secs: i64,
}

pub(crate) async fn reserve(cache: &Cache, attempt: &Attempt<'_>) -> Step {
    let Some(pool) = cache.redis_pool() else {
        return Step::NotTracked;
    };
    let mut connection = match pool.get().await {
        Ok(connection) => connection,
        Err(error) => {
            tracing::warn!(%error, "no redis connection for the flash-sale step; the database guards alone");
            return Step::NotReached;
        }
    };
    let result: Result<i64, String> = async {
        redis::Script::new(RESERVE)
            .key(attempt.stock_key)
            .key(attempt.count_key)
            .arg(attempt.quantity)
            .arg(attempt.limit)
            .arg(attempt.now_ms)
            .arg(attempt.starts_ms)
            .arg(attempt.ends_ms)
            .arg(attempt.count_ttl_secs.max(1))
            .invoke_async(&mut connection)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    match result {
        Ok(0) => Step::Reserved,
        Ok(1) => Step::NotLive,
        Ok(2) => Step::SoldOut,
        Ok(3) => Step::LimitReached,
        Ok(_) => Step::Unseeded,
        Err(error) => {
            tracing::warn!(%error, "redis flash-sale reservation failed; the database guards alone");
            Step::NotTracked
        }
    }
}

pub(crate) async fn seed(cache: &Cache, key: &str, stock: i64) -> bool {
    let Some(pool) = cache.redis_pool() else {
        return false;
    };
    let Ok(mut connection) = pool.get().await else {
        return false;
    };
    redis::cmd("SET")
        .arg(key)
        .arg(stock)
        .arg("NX")
        .query_async::<Option<String>>(&mut connection)
        .await
        .is_ok()
}

pub(crate) async fn release(
    cache: &Cache,
    stock_key: &str,
    count_key: &str,
    quantity: i64,
    to_stock: bool,
) {
    let Some(pool) = cache.redis_pool() else {
        return;
    };
    let result: Result<i64, String> = async {
        let mut connection = pool.get().await.map_err(|e| e.to_string())?;
        redis::Script::new(RELEASE)
            .key(stock_key)
            .key(count_key)
            .arg(quantity)
            .arg(if to_stock { "1" } else { "0" })
            .invoke_async(&mut connection)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(%error, "redis flash-sale release failed; the database stays right");
    }
}

pub(crate) async fn current(cache: &Cache, key: &str) -> Option<i64> {
    let pool = cache.redis_pool()?;
    let mut connection = pool.get().await.ok()?;
    redis::cmd("GET")
        .arg(key)
        .query_async::<Option<i64>>(&mut connection)
        .await
        .ok()
        .flatten()
}

/// Drops a settled sale's stock keys (its units are back on the SKUs).
pub(crate) async fn forget_sale(
    db: &impl ConnectionTrait,
    cache: &Cache,
    tenant: TenantId,
    sale: Uuid,
) {
    let Some(pool) = cache.redis_pool() else {
        return;
    };
    let Ok(items) = sale_items(db, tenant, &[sale]).await else {
        return;
    };
    let Ok(mut connection) = pool.get().await else {
        return;
    };
    for row in items {
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(stock_key(cache, tenant, sale, row.sku_id))
            .query_async(&mut connection)
            .await;
    }
}
