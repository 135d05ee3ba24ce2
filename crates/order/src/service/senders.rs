//! The merchant's sender addresses (寄件地址) for electronic waybills; at most one is the default.

use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::{now, parse};
use crate::entity::sender_address;
use crate::error::OrderError;
use crate::fulfilment::{SenderAddress, SenderAddressIn};
use crate::model::AddressIn;
use crate::repo::scoped;

pub const MAX_SENDER_ADDRESSES: usize = 20;

pub(crate) fn sender_from_row(row: sender_address::Model) -> SenderAddress {
    SenderAddress {
        id: row.id,
        name: row.name,
        mobile: row.mobile,
        province: row.province,
        city: row.city,
        district: row.district,
        detail: row.detail,
        is_default: row.is_default,
    }
}

/// The same rules as a customer's address: every field present, an 11-digit mainland mobile.
fn parse_sender(input: &SenderAddressIn) -> Result<SenderAddressIn, OrderError> {
    let parsed = parse::address(&AddressIn {
        consignee: input.name.clone(),
        mobile: input.mobile.clone(),
        province: input.province.clone(),
        city: input.city.clone(),
        district: input.district.clone(),
        detail: input.detail.clone(),
        is_default: input.is_default,
    })
    .map_err(|error| match error {
        OrderError::Invalid(fields) => OrderError::Invalid(
            fields
                .into_iter()
                .map(|mut field| {
                    if field.field == "consignee" {
                        "name".clone_into(&mut field.field);
                    }
                    field
                })
                .collect(),
        ),
        other => other,
    })?;
    Ok(SenderAddressIn {
        name: parsed.consignee,
        mobile: parsed.mobile,
        province: parsed.province,
        city: parsed.city,
        district: parsed.district,
        detail: parsed.detail,
        is_default: parsed.is_default,
    })
}

async fn sender_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<sender_address::Model, OrderError> {
    scoped(tenant)
        .sender_addresses()
        .filter(sender_address::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(OrderError::SenderAddressNotFound)
}

/// The sender address a waybill is printed with: the one named, or the shop's default.
pub(crate) async fn sender_for_waybill(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Option<Uuid>,
) -> Result<SenderAddress, OrderError> {
    let row = match id {
        Some(id) => sender_row(db, tenant, id).await?,
        None => scoped(tenant)
            .sender_addresses()
            .filter(sender_address::Column::IsDefault.eq(true))
            .one(db)
            .await?
            .ok_or(OrderError::NoSenderAddress)?,
    };
    Ok(sender_from_row(row))
}

async fn make_default(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), OrderError> {
    scoped(tenant)
        .update_sender_addresses()
        .filter(sender_address::Column::Id.ne(id))
        .col_expr(sender_address::Column::IsDefault, Expr::value(false))
        .exec(db)
        .await?;
    scoped(tenant)
        .update_sender_addresses()
        .filter(sender_address::Column::Id.eq(id))
        .col_expr(sender_address::Column::IsDefault, Expr::value(true))
        .exec(db)
        .await?;
    Ok(())
}

/// The shop's sender addresses, the default first.
pub async fn list_sender_addresses(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<Vec<SenderAddress>, OrderError> {
    principal.require(Permission::ViewOrders)?;
    Ok(scoped(principal.tenant_id)
        .sender_addresses()
        .order_by_desc(sender_address::Column::IsDefault)
        .order_by_asc(sender_address::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(sender_from_row)
        .collect())
}

/// A new sender address; the first one is the default. The insert comes first in its
/// transaction (SQLite takes the write lock at once).
pub async fn create_sender_address<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    input: &SenderAddressIn,
) -> Result<SenderAddress, OrderError> {
    principal.require(Permission::ManageOrders)?;
    let input = parse_sender(input)?;
    let tenant = principal.tenant_id;
    let id = kernel::new_id();
    let now = now();
    let txn = db.begin().await?;
    sender_address::Entity::insert(sender_address::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(id),
        name: Set(input.name),
        mobile: Set(input.mobile),
        province: Set(input.province),
        city: Set(input.city),
        district: Set(input.district),
        detail: Set(input.detail),
        is_default: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    let count = scoped(tenant).sender_addresses().count(&txn).await?;
    if count as usize > MAX_SENDER_ADDRESSES {
        return Err(OrderError::TooManySenderAddresses(MAX_SENDER_ADDRESSES));
    }
    if input.is_default || count == 1 {
        make_default(&txn, tenant, id).await?;
    }
    let row = sender_row(&txn, tenant, id).await?;
    txn.commit().await?;
    Ok(sender_from_row(row))
}

/// Replaces a sender address; `is_default: true` takes the flag from the others (the default
/// stays the default otherwise).
pub async fn update_sender_address<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    id: Uuid,
    input: &SenderAddressIn,
) -> Result<SenderAddress, OrderError> {
    principal.require(Permission::ManageOrders)?;
    let input = parse_sender(input)?;
    let tenant = principal.tenant_id;
    let txn = db.begin().await?;
    let updated = scoped(tenant)
        .update_sender_addresses()
        .filter(sender_address::Column::Id.eq(id))
        .col_expr(sender_address::Column::Name, Expr::value(input.name))
        .col_expr(sender_address::Column::Mobile, Expr::value(input.mobile))
        .col_expr(
            sender_address::Column::Province,
            Expr::value(input.province),
        )
        .col_expr(sender_address::Column::City, Expr::value(input.city))
        .col_expr(
            sender_address::Column::District,
            Expr::value(input.district),
        )
        .col_expr(sender_address::Column::Detail, Expr::value(input.detail))
        .col_expr(sender_address::Column::UpdatedAt, Expr::value(now()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(OrderError::SenderAddressNotFound);
    }
    if input.is_default {
        make_default(&txn, tenant, id).await?;
    }
    let row = sender_row(&txn, tenant, id).await?;
    txn.commit().await?;
    Ok(sender_from_row(row))
}

/// Deletes a sender address; if it was the default, the oldest remaining one becomes the default.
pub async fn delete_sender_address<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    id: Uuid,
) -> Result<(), OrderError> {
    principal.require(Permission::ManageOrders)?;
    let tenant = principal.tenant_id;
    let txn = db.begin().await?;
    let deleted = scoped(tenant)
        .delete_sender_addresses()
        .filter(sender_address::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(OrderError::SenderAddressNotFound);
    }
    let has_default = scoped(tenant)
        .sender_addresses()
        .filter(sender_address::Column::IsDefault.eq(true))
        .count(&txn)
        .await?
        > 0;
    if !has_default {
        let oldest = scoped(tenant)
            .sender_addresses()
            .order_by_asc(sender_address::Column::Id)
            .one(&txn)
            .await?;
        if let Some(oldest) = oldest {
            make_default(&txn, tenant, oldest.id).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
