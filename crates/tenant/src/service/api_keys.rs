use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::now;
use super::tenants::tenant_row;
use crate::entity::api_key;
use crate::error::Problems;
use crate::model::{Actor, AdminPrincipal, ApiKey, ApiScope, CreatedApiKey, Permission};
use crate::repo::scoped;
use crate::{TenantError, parse};
use infra::credential::{self as credentials, CredentialKind};

/// `last_used_at` is refreshed at most this often, so using a key does not mean a write per request.
const LAST_USED_GRANULARITY: chrono::Duration = chrono::Duration::minutes(1);

fn scopes_from_text(text: &str) -> Vec<ApiScope> {
    text.split_whitespace()
        .filter_map(|scope| ApiScope::parse(scope).ok())
        .collect()
}

fn key_from_row(row: api_key::Model) -> ApiKey {
    ApiKey {
        id: row.id,
        name: row.name,
        scopes: scopes_from_text(&row.scopes),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    }
}

/// Creates an API key for the merchant's own systems. The full key is in the result only.
pub async fn create_api_key(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    name: &str,
    scopes: &[String],
) -> Result<CreatedApiKey, TenantError> {
    principal.require(Permission::ManageApiKeys)?;
    let mut problems = Problems::default();
    let name = problems.take("name", parse::text(name, 64));
    let mut parsed_scopes = Vec::new();
    let mut scopes_ok = !scopes.is_empty();
    if scopes.is_empty() {
        problems.take::<()>("scopes", Err("at least one scope is required".to_owned()));
    }
    for (index, scope) in scopes.iter().enumerate() {
        match problems.take(&format!("scopes[{index}]"), ApiScope::parse(scope)) {
            Some(scope) if !parsed_scopes.contains(&scope) => parsed_scopes.push(scope),
            Some(_) => {}
            None => scopes_ok = false,
        }
    }
    let (Some(name), true) = (name, scopes_ok) else {
        return Err(problems.into_error());
    };
    let tenant = principal.tenant_id;
    let limit = tenant_row(db, tenant).await?.max_api_keys;
    let active = scoped(tenant)
        .api_keys()
        .filter(api_key::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    if active >= u64::try_from(limit).unwrap_or(0) {
        return Err(TenantError::PlanLimitReached {
            what: "active API keys",
            limit,
        });
    }
    let id = kernel::new_id();
    let (secret, digest) = credentials::issue(CredentialKind::ApiKey, Some(tenant), id);
    let row = api_key::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(id),
        name: Set(name),
        secret_hash: Set(digest),
        scopes: Set(parsed_scopes
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(" ")),
        created_by: Set(principal.actor_id()),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    };
    let inserted = api_key::Entity::insert(row).exec_with_returning(db).await?;
    tracing::info!(tenant.id = %tenant, api_key.id = %id, "API key created");
    Ok(CreatedApiKey {
        key: key_from_row(inserted),
        secret,
    })
}

pub async fn list_api_keys(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<Vec<ApiKey>, TenantError> {
    principal.require(Permission::ManageApiKeys)?;
    let rows = scoped(principal.tenant_id)
        .api_keys()
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(key_from_row).collect())
}

/// Revokes a key at once. Revoking a revoked key changes nothing.
pub async fn revoke_api_key(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    key_id: Uuid,
) -> Result<ApiKey, TenantError> {
    principal.require(Permission::ManageApiKeys)?;
    let tenant = principal.tenant_id;
    let find = || {
        scoped(tenant)
            .api_keys()
            .filter(api_key::Column::Id.eq(key_id))
    };
    let existing = find().one(db).await?.ok_or(TenantError::ApiKeyNotFound)?;
    if existing.revoked_at.is_none() {
        scoped(tenant)
            .update_api_keys()
            .filter(api_key::Column::Id.eq(key_id))
            .filter(api_key::Column::RevokedAt.is_null())
            .col_expr(api_key::Column::RevokedAt, Expr::value(Some(now())))
            .exec(db)
            .await?;
        tracing::info!(tenant.id = %tenant, api_key.id = %key_id, "API key revoked");
    }
    let row = find().one(db).await?.ok_or(TenantError::ApiKeyNotFound)?;
    Ok(key_from_row(row))
}

/// Checks an API key: the tenant comes from the key itself.
pub async fn authenticate_api_key(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<AdminPrincipal, TenantError> {
    let credential =
        credentials::parse(token, CredentialKind::ApiKey).ok_or(TenantError::InvalidToken)?;
    let tenant = credential.tenant.ok_or(TenantError::InvalidToken)?;
    let key = scoped(tenant)
        .api_keys()
        .filter(api_key::Column::Id.eq(credential.id))
        .one(db)
        .await?
        .filter(|key| key.revoked_at.is_none() && credential.matches(&key.secret_hash))
        .ok_or(TenantError::InvalidToken)?;
    let at = now();
    if key
        .last_used_at
        .is_none_or(|last| at - last > LAST_USED_GRANULARITY)
    {
        scoped(tenant)
            .update_api_keys()
            .filter(api_key::Column::Id.eq(key.id))
            .col_expr(api_key::Column::LastUsedAt, Expr::value(Some(at)))
            .exec(db)
            .await?;
    }
    Ok(AdminPrincipal {
        tenant_id: tenant,
        actor: Actor::ApiKey {
            key_id: key.id,
            scopes: scopes_from_text(&key.scopes),
        },
    })
}
