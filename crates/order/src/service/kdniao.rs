//! The shop's KDNiao account. Each merchant signs its own contract with KDNiao (and, through it,
//! with the carriers), so the account is per tenant: `EBusinessID` in clear, the AppKey sealed with
//! the platform's `SecretBox` (associated data `<tenant_id>/kdniao_app_key`), never returned.

use kernel::TenantId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use tenant::{AdminPrincipal, Permission};

use super::now;
use crate::entity::kdniao_account;
use crate::error::OrderError;
use crate::fulfilment::{KdniaoAccountIn, KdniaoAccountOut, KdniaoCredentials};
use crate::repo::scoped;

fn seal_context(tenant: TenantId) -> String {
    format!("{}/kdniao_app_key", tenant.as_uuid())
}

fn parse_account(input: &KdniaoAccountIn) -> Result<KdniaoAccountIn, OrderError> {
    let mut problems = Vec::new();
    let ebusiness_id = input.ebusiness_id.trim().to_owned();
    if ebusiness_id.is_empty()
        || ebusiness_id.len() > 32
        || !ebusiness_id.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        problems.push(kernel::FieldError::new(
            "ebusiness_id",
            "1 to 32 letters or digits",
        ));
    }
    let app_key = input.app_key.trim().to_owned();
    if app_key.len() < 8 || app_key.len() > 64 || !app_key.bytes().all(|b| b.is_ascii_graphic()) {
        problems.push(kernel::FieldError::new(
            "app_key",
            "8 to 64 printable characters",
        ));
    }
    let api_base_url = match input.api_base_url.as_deref() {
        None | Some("") => None,
        Some(url) => match tenant::parse::base_url(url) {
            Ok(url) => Some(url),
            Err(message) => {
                problems.push(kernel::FieldError::new("api_base_url", message));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }
    Ok(KdniaoAccountIn {
        ebusiness_id,
        app_key,
        api_base_url,
    })
}

fn view(
    row: kdniao_account::Model,
    secrets: &infra::SecretBox,
    tenant: TenantId,
) -> Result<KdniaoAccountOut, OrderError> {
    let app_key = secrets
        .open_string(&row.app_key_sealed, &seal_context(tenant))
        .map_err(|_| OrderError::SealedSecret)?;
    Ok(KdniaoAccountOut {
        ebusiness_id: row.ebusiness_id,
        app_key_masked: tenant::parse::mask(&app_key),
        api_base_url: row.api_base_url,
        updated_at: row.updated_at,
    })
}

/// The merchant sets (or replaces) the shop's KDNiao account.
pub async fn set_kdniao_account(
    db: &impl ConnectionTrait,
    secrets: &infra::SecretBox,
    principal: &AdminPrincipal,
    input: &KdniaoAccountIn,
) -> Result<KdniaoAccountOut, OrderError> {
    principal.require(Permission::ManageWechat)?;
    let input = parse_account(input)?;
    let tenant = principal.tenant_id;
    let row = kdniao_account::Model {
        tenant_id: tenant.as_uuid(),
        ebusiness_id: input.ebusiness_id,
        app_key_sealed: secrets.seal(input.app_key.as_bytes(), &seal_context(tenant)),
        api_base_url: input.api_base_url,
        updated_at: now(),
    };
    kdniao_account::Entity::insert(kdniao_account::ActiveModel {
        tenant_id: Set(row.tenant_id),
        ebusiness_id: Set(row.ebusiness_id.clone()),
        app_key_sealed: Set(row.app_key_sealed.clone()),
        api_base_url: Set(row.api_base_url.clone()),
        updated_at: Set(row.updated_at),
    })
    .on_conflict(
        OnConflict::column(kdniao_account::Column::TenantId)
            .update_columns([
                kdniao_account::Column::EbusinessId,
                kdniao_account::Column::AppKeySealed,
                kdniao_account::Column::ApiBaseUrl,
                kdniao_account::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    view(row, secrets, tenant)
}

/// The shop's KDNiao account, the AppKey masked.
pub async fn get_kdniao_account(
    db: &impl ConnectionTrait,
    secrets: &infra::SecretBox,
    principal: &AdminPrincipal,
) -> Result<KdniaoAccountOut, OrderError> {
    principal.require(Permission::ViewOrders)?;
    let row = scoped(principal.tenant_id)
        .kdniao_accounts()
        .one(db)
        .await?
        .ok_or(OrderError::KdniaoNotConfigured)?;
    view(row, secrets, principal.tenant_id)
}

/// The decrypted account, for the gateway's KDNiao calls.
pub async fn kdniao_credentials(
    db: &impl ConnectionTrait,
    secrets: &infra::SecretBox,
    tenant: TenantId,
) -> Result<KdniaoCredentials, OrderError> {
    let row = scoped(tenant)
        .kdniao_accounts()
        .one(db)
        .await?
        .ok_or(OrderError::KdniaoNotConfigured)?;
    let app_key = secrets
        .open_string(&row.app_key_sealed, &seal_context(tenant))
        .map_err(|_| OrderError::SealedSecret)?;
    Ok(KdniaoCredentials {
        ebusiness_id: row.ebusiness_id,
        app_key,
        api_base_url: row.api_base_url,
    })
}
