//! Abuse and fairness on the buy path: fixed-window rate limits per customer and per IP (Redis
//! counters shared by every process when Redis is configured, in-process otherwise), and a
//! per-tenant bound on flash-sale requests in flight in this process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use infra::{Cache, CacheKey};
use kernel::TenantId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::error::PromoError;

/// Attempts allowed per window; 0 disables a limit.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    pub per_customer: u64,
    pub per_ip: u64,
    pub window_secs: u64,
}

/// `INCR` both counters, setting the window's expiry on first use; returns both counts.
const COUNT: &str = r"
local a = redis.call('INCR', KEYS[1])
if a == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local b = redis.call('INCR', KEYS[2])
if b == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {a, b}
";

pub struct RateLimiter {
    cache: Cache,
    limits: RateLimits,
    local: moka::sync::Cache<String, Arc<AtomicU64>>,
}

impl RateLimiter {
    pub fn new(cache: Cache, limits: RateLimits) -> Self {
        let window = limits.window_secs.max(1);
        RateLimiter {
            cache,
            limits: RateLimits {
                window_secs: window,
                ..limits
            },
            local: moka::sync::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_secs(window * 2))
                .build(),
        }
    }

    /// Counts one attempt of `customer` from `ip`; refused with the seconds to the next window.
    pub async fn check(
        &self,
        tenant: TenantId,
        customer: Uuid,
        ip: &str,
    ) -> Result<(), PromoError> {
        let RateLimits {
            per_customer,
            per_ip,
            window_secs,
        } = self.limits;
        if per_customer == 0 && per_ip == 0 {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let window = now / window_secs;
        let retry_after_secs = ((window + 1) * window_secs - now).max(1);
        let window = window.to_string();
        let customer_key = CacheKey::tenant(
            tenant,
            &["promo", "rl", "c", &customer.simple().to_string(), &window],
        );
        let ip_key = CacheKey::tenant(tenant, &["promo", "rl", "ip", ip, &window]);
        let (by_customer, by_ip) = match self.count_in_redis(&customer_key, &ip_key).await {
            Some(counts) => counts,
            None => (
                self.count_locally(customer_key.as_str()),
                self.count_locally(ip_key.as_str()),
            ),
        };
        if (per_customer > 0 && by_customer > per_customer) || (per_ip > 0 && by_ip > per_ip) {
            return Err(PromoError::RateLimited { retry_after_secs });
        }
        Ok(())
    }

    async fn count_in_redis(&self, customer: &CacheKey, ip: &CacheKey) -> Option<(u64, u64)> {
        let pool = self.cache.redis_pool()?;
        let result: Result<(u64, u64), String> = async {
            let mut connection = pool.get().await.map_err(|e| e.to_string())?;
            redis::Script::new(COUNT)
                .key(self.cache.full_key(customer))
                .key(self.cache.full_key(ip))
                .arg(self.limits.window_secs + 1)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        match result {
            Ok(counts) => Some(counts),
            Err(error) => {
                tracing::warn!(%error, "redis rate counters failed; counting in this process");
                None
            }
        }
    }

    fn count_locally(&self, key: &str) -> u64 {
        self.local
            .get_with(key.to_owned(), || Arc::new(AtomicU64::new(0)))
            .fetch_add(1, Ordering::Relaxed)
            + 1
    }
}

/// At most `per_tenant` flash-sale requests of one tenant in flight in this process; the others
/// are refused at once (429 `promo.busy`), so a hot sale cannot take every worker and connection
/// from the other shops.
pub struct FlashSaleBudget {
    per_tenant: usize,
    tenants: Mutex<HashMap<TenantId, Arc<Semaphore>>>,
}

/// Held while a flash-sale request runs.
pub struct BudgetPermit(#[allow(dead_code, reason = "held for its drop")] OwnedSemaphorePermit);

impl FlashSaleBudget {
    pub fn new(per_tenant: usize) -> Self {
        FlashSaleBudget {
            per_tenant,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    pub fn try_enter(&self, tenant: TenantId) -> Result<BudgetPermit, PromoError> {
        let semaphore = {
            let mut tenants = self
                .tenants
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            tenants
                .entry(tenant)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant)))
                .clone()
        };
        semaphore
            .try_acquire_owned()
            .map(BudgetPermit)
            .map_err(|_| PromoError::Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_past_its_size_per_tenant_only() {
        let budget = FlashSaleBudget::new(2);
        let (a, b) = (TenantId::new(), TenantId::new());
        let first = budget.try_enter(a);
        let second = budget.try_enter(a);
        assert!(first.is_ok() && second.is_ok());
        assert!(matches!(budget.try_enter(a), Err(PromoError::Busy)));
        assert!(budget.try_enter(b).is_ok());
        drop(first);
        assert!(budget.try_enter(a).is_ok());
    }

    #[tokio::test]
    async fn the_local_limiter_refuses_past_the_limit_with_a_retry_after() {
        let limiter = RateLimiter::new(
            Cache::memory("test", 100),
            RateLimits {
                per_customer: 2,
                per_ip: 0,
                window_secs: 3600,
            },
        );
        let (tenant, customer) = (TenantId::new(), Uuid::from_u128(7));
        assert!(limiter.check(tenant, customer, "1.2.3.4").await.is_ok());
        assert!(limiter.check(tenant, customer, "1.2.3.4").await.is_ok());
        let refused = limiter.check(tenant, customer, "1.2.3.4").await;
        assert!(
            matches!(refused, Err(PromoError::RateLimited { retry_after_secs }) if (1..=3600).contains(&retry_after_secs))
        );
        assert!(
            limiter
                .check(tenant, Uuid::from_u128(8), "1.2.3.4")
                .await
                .is_ok()
        );
    }
}
