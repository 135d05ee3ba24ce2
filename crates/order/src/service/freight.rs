//! Each shop's freight rule (one row per tenant; the default rule until the merchant sets one).

use kernel::TenantId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use tenant::{AdminPrincipal, Permission};

use super::now;
use super::pricing::FreightRule;
use crate::entity::freight_rule;
use crate::error::OrderError;
use crate::repo::scoped;

/// The shop's rule, or the default.
pub async fn freight_rule(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<FreightRule, OrderError> {
    Ok(scoped(tenant)
        .freight_rules()
        .one(db)
        .await?
        .map(|row| FreightRule {
            flat_fee: row.flat_fee,
            free_over: row.free_over,
        })
        .unwrap_or_default())
}

/// The merchant sets the shop's freight rule.
pub async fn set_freight_rule(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    rule: FreightRule,
) -> Result<FreightRule, OrderError> {
    principal.require(Permission::ManageOrders)?;
    let rule = rule.parse()?;
    freight_rule::Entity::insert(freight_rule::ActiveModel {
        tenant_id: Set(principal.tenant_id.as_uuid()),
        flat_fee: Set(rule.flat_fee),
        free_over: Set(rule.free_over),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(freight_rule::Column::TenantId)
            .update_columns([
                freight_rule::Column::FlatFee,
                freight_rule::Column::FreeOver,
                freight_rule::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(rule)
}

/// The shop's rule, for the merchant.
pub async fn get_freight_rule(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<FreightRule, OrderError> {
    principal.require(Permission::ViewOrders)?;
    freight_rule(db, principal.tenant_id).await
}
