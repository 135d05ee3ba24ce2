//! The customer's shipping addresses; at most one is the default.

use customer::CustomerPrincipal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::{now, parse};
use crate::entity::address;
use crate::error::OrderError;
use crate::model::{Address, AddressIn};
use crate::repo::scoped;

pub const MAX_ADDRESSES: usize = 20;

pub(crate) fn address_from_row(row: address::Model) -> Address {
    Address {
        id: row.id,
        consignee: row.consignee,
        mobile: row.mobile,
        province: row.province,
        city: row.city,
        district: row.district,
        detail: row.detail,
        is_default: row.is_default,
    }
}

pub(crate) async fn address_row(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    id: Uuid,
) -> Result<address::Model, OrderError> {
    scoped(principal.tenant_id)
        .addresses()
        .filter(address::Column::CustomerId.eq(principal.customer_id))
        .filter(address::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(OrderError::AddressNotFound)
}

async fn clear_default(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
) -> Result<(), OrderError> {
    scoped(principal.tenant_id)
        .update_addresses()
        .filter(address::Column::CustomerId.eq(principal.customer_id))
        .col_expr(address::Column::IsDefault, Expr::value(false))
        .exec(db)
        .await?;
    Ok(())
}

/// The customer's addresses, the default first.
pub async fn list_addresses(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
) -> Result<Vec<Address>, OrderError> {
    Ok(scoped(principal.tenant_id)
        .addresses()
        .filter(address::Column::CustomerId.eq(principal.customer_id))
        .order_by_desc(address::Column::IsDefault)
        .order_by_asc(address::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(address_from_row)
        .collect())
}

/// A new address; the first one is the default. Each transaction writes first, so on SQLite it
/// takes the write lock at once instead of failing to upgrade a read under contention.
pub async fn create_address<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    input: &AddressIn,
) -> Result<Address, OrderError> {
    let input = parse::address(input)?;
    let id = kernel::new_id();
    let now = now();
    let txn = db.begin().await?;
    address::Entity::insert(address::ActiveModel {
        tenant_id: Set(principal.tenant_id.as_uuid()),
        id: Set(id),
        customer_id: Set(principal.customer_id),
        consignee: Set(input.consignee),
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
    let count = scoped(principal.tenant_id)
        .addresses()
        .filter(address::Column::CustomerId.eq(principal.customer_id))
        .count(&txn)
        .await?;
    if count as usize > MAX_ADDRESSES {
        return Err(OrderError::TooManyAddresses(MAX_ADDRESSES));
    }
    if input.is_default || count == 1 {
        make_default(&txn, principal, id).await?;
    }
    let row = address_row(&txn, principal, id).await?;
    txn.commit().await?;
    Ok(address_from_row(row))
}

async fn make_default(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    id: Uuid,
) -> Result<(), OrderError> {
    clear_default(db, principal).await?;
    scoped(principal.tenant_id)
        .update_addresses()
        .filter(address::Column::CustomerId.eq(principal.customer_id))
        .filter(address::Column::Id.eq(id))
        .col_expr(address::Column::IsDefault, Expr::value(true))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces an address; making it the default takes the flag from the others (an address that
/// is the default stays so).
pub async fn update_address<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    id: Uuid,
    input: &AddressIn,
) -> Result<Address, OrderError> {
    let input = parse::address(input)?;
    let txn = db.begin().await?;
    let updated = scoped(principal.tenant_id)
        .update_addresses()
        .filter(address::Column::CustomerId.eq(principal.customer_id))
        .filter(address::Column::Id.eq(id))
        .col_expr(address::Column::Consignee, Expr::value(input.consignee))
        .col_expr(address::Column::Mobile, Expr::value(input.mobile))
        .col_expr(address::Column::Province, Expr::value(input.province))
        .col_expr(address::Column::City, Expr::value(input.city))
        .col_expr(address::Column::District, Expr::value(input.district))
        .col_expr(address::Column::Detail, Expr::value(input.detail))
        .col_expr(address::Column::UpdatedAt, Expr::value(now()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(OrderError::AddressNotFound);
    }
    if input.is_default {
        make_default(&txn, principal, id).await?;
    }
    let row = address_row(&txn, principal, id).await?;
    txn.commit().await?;
    Ok(address_from_row(row))
}

pub async fn delete_address(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    id: Uuid,
) -> Result<(), OrderError> {
    let deleted = scoped(principal.tenant_id)
        .delete_addresses()
        .filter(address::Column::CustomerId.eq(principal.customer_id))
        .filter(address::Column::Id.eq(id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(OrderError::AddressNotFound);
    }
    Ok(())
}
