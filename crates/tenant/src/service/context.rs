use std::time::Duration;

use infra::{Cache, CacheKey};
use kernel::TenantId;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::tenants::{tenant_from_row, tenant_row};
use crate::TenantError;
use crate::entity::{tenant, wechat_config};
use crate::model::TenantContext;
use crate::repo::scoped;

/// How long a resolved context may be served from cache. Every change invalidates it at once;
/// the TTL only bounds staleness if an invalidation is lost (Redis down during a write).
const CONTEXT_TTL: Duration = Duration::from_secs(300);
/// Unknown appids are remembered briefly so a flood of them does not reach the database.
const UNKNOWN_APP_TTL: Duration = Duration::from_secs(30);

fn app_key(appid: &str) -> CacheKey {
    CacheKey::platform(&["app", appid])
}

fn tenant_key(tenant: TenantId) -> CacheKey {
    CacheKey::tenant(tenant, &["context"])
}

/// Which shop a mini-program appid belongs to. Served from cache once warm (no database query).
pub async fn resolve_app(
    db: &impl ConnectionTrait,
    cache: &Cache,
    appid: &str,
) -> Result<TenantContext, TenantError> {
    let appid = crate::parse::appid(appid).map_err(|m| TenantError::invalid("appid", m))?;
    let key = app_key(&appid);
    if let Some(cached) = cache.get_json::<Option<TenantContext>>(&key).await {
        return cached.ok_or(TenantError::UnknownApp);
    }
    let row = tenant::Entity::find()
        .filter(tenant::Column::WechatAppid.eq(&appid))
        .one(db)
        .await?;
    let Some(row) = row else {
        cache
            .set_json(&key, &Option::<TenantContext>::None, UNKNOWN_APP_TTL)
            .await;
        return Err(TenantError::UnknownApp);
    };
    let context = build_context(db, row).await?;
    cache.set_json(&key, &Some(&context), CONTEXT_TTL).await;
    Ok(context)
}

/// The context of a tenant known by id (admin requests), cached the same way.
pub async fn tenant_context(
    db: &impl ConnectionTrait,
    cache: &Cache,
    tenant: TenantId,
) -> Result<TenantContext, TenantError> {
    let key = tenant_key(tenant);
    if let Some(cached) = cache.get_json::<TenantContext>(&key).await {
        return Ok(cached);
    }
    let context = build_context(db, tenant_row(db, tenant).await?).await?;
    cache.set_json(&key, &context, CONTEXT_TTL).await;
    Ok(context)
}

async fn build_context(
    db: &impl ConnectionTrait,
    row: tenant::Model,
) -> Result<TenantContext, TenantError> {
    let tenant = tenant_from_row(row);
    let config: Option<wechat_config::Model> = scoped(tenant.id).wechat_config().one(db).await?;
    let (mch_id, pay_enabled) = config
        .map(|config| (config.mch_id, config.pay_enabled))
        .unwrap_or((None, false));
    Ok(TenantContext {
        tenant_id: tenant.id,
        code: tenant.code,
        name: tenant.name,
        status: tenant.status,
        subject_type: tenant.subject_type,
        certification_status: tenant.certification_status,
        plan: tenant.plan,
        appid: tenant.wechat_appid,
        mch_id,
        pay_enabled,
    })
}

/// Drops every cached copy of a tenant's context. Called after each change to what it holds.
pub(crate) async fn invalidate_context(cache: &Cache, tenant: TenantId, appid: Option<&str>) {
    cache.delete(&tenant_key(tenant)).await;
    if let Some(appid) = appid {
        cache.delete(&app_key(appid)).await;
    }
}
