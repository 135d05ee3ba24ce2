//! The merchant's flash sales: create (setting the quantity aside from the SKUs), list, get,
//! edit before the start, stop (returning the unsold remainder once).

use catalog::StockChange;
use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::settle::settle;
use super::{now, parse};
use crate::entity::{flash_sale, item};
use crate::error::PromoError;
use crate::model::{FlashSale, FlashSaleIn, FlashSaleItem, FlashSaleStatus, StockMove};
use crate::repo::scoped;

pub(crate) fn sale_from_rows(row: flash_sale::Model, items: Vec<item::Model>) -> FlashSale {
    FlashSale {
        id: row.id,
        title: row.title,
        status: FlashSaleStatus::at(now(), row.starts_at, row.ends_at, row.stopped_at.is_some()),
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        per_customer_limit: row.per_customer_limit,
        items: items
            .into_iter()
            .map(|item| FlashSaleItem {
                sku_id: item.sku_id,
                sale_price_fen: item.sale_price_fen,
                quantity: item.quantity,
                sold: item.sold,
            })
            .collect(),
        stopped_at: row.stopped_at,
        settled_at: row.settled_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(crate) async fn sale_items(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    sale_ids: &[Uuid],
) -> Result<Vec<item::Model>, PromoError> {
    Ok(scoped(tenant)
        .items()
        .filter(item::Column::FlashSaleId.is_in(sale_ids.iter().copied()))
        .order_by_asc(item::Column::Id)
        .all(db)
        .await?)
}

pub(crate) async fn load_sale(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<FlashSale, PromoError> {
    let row = scoped(tenant)
        .flash_sales()
        .filter(flash_sale::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(PromoError::NotFound)?;
    let items = sale_items(db, tenant, &[id]).await?;
    Ok(sale_from_rows(row, items))
}

/// Moves `delta` units of each item's SKU (negative: into the sale), in the caller's
/// transaction, mapping the catalog's refusals to the item's field.
async fn move_stock(
    txn: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    sale_id: Uuid,
    moves: &[StockMove],
) -> Result<(), PromoError> {
    for (index, change) in moves.iter().enumerate() {
        catalog::adjust_stock(
            txn,
            principal.tenant_id,
            StockChange {
                sku_id: change.sku_id,
                delta: change.delta,
                reason: if change.delta < 0 {
                    "promo_reserve"
                } else {
                    "promo_release"
                }
                .to_owned(),
                note: sale_id.to_string(),
                actor_id: Some(principal.actor_id()),
            },
        )
        .await
        .map_err(|error| match error {
            catalog::CatalogError::InsufficientStock {
                available,
                requested,
            } => PromoError::InsufficientStock {
                sku_id: change.sku_id,
                available,
                requested,
            },
            catalog::CatalogError::SkuNotFound => PromoError::invalid(
                &format!("items[{index}].sku_id"),
                "no such SKU in this shop",
            ),
            other => other.into(),
        })?;
    }
    Ok(())
}

async fn insert_items(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    sale_id: Uuid,
    input: &FlashSaleIn,
) -> Result<(), PromoError> {
    item::Entity::insert_many(input.items.iter().map(|line| item::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        flash_sale_id: Set(sale_id),
        sku_id: Set(line.sku_id),
        sale_price_fen: Set(line.sale_price_fen),
        quantity: Set(line.quantity),
        sold: Set(0),
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

fn taking(input: &FlashSaleIn) -> Vec<StockMove> {
    input
        .items
        .iter()
        .map(|line| StockMove {
            sku_id: line.sku_id,
            delta: -line.quantity,
        })
        .collect()
}

/// Creates a flash sale and sets each item's quantity aside from its SKU's stock (ledger reason
/// `promo_reserve`), all in one transaction: refused whole (409 `promo.insufficient_stock`) if a
/// SKU lacks the quantity. Returns the sale and the stock moves made.
pub async fn create_flash_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    input: &FlashSaleIn,
) -> Result<(FlashSale, Vec<StockMove>), PromoError> {
    principal.require(Permission::ManageCatalog)?;
    let input = parse::flash_sale(input)?;
    let tenant = principal.tenant_id;
    let id = kernel::new_id();
    let now = now();
    let txn = db.begin().await?;
    flash_sale::Entity::insert(flash_sale::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(id),
        title: Set(input.title.clone()),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        per_customer_limit: Set(input.per_customer_limit.unwrap_or(1)),
        stopped_at: Set(None),
        settled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    let moves = taking(&input);
    move_stock(&txn, principal, id, &moves).await?;
    insert_items(&txn, tenant, id, &input).await?;
    txn.commit().await?;
    tracing::info!(tenant.id = %tenant, promo.id = %id, "flash sale created");
    Ok((load_sale(db, tenant, id).await?, moves))
}

/// The shop's flash sales, newest first (at most 100).
pub async fn list_flash_sales(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<Vec<FlashSale>, PromoError> {
    principal.require(Permission::ViewCatalog)?;
    let tenant = principal.tenant_id;
    let rows = scoped(tenant)
        .flash_sales()
        .order_by_desc(flash_sale::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut items = sale_items(db, tenant, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (mine, rest) = items.drain(..).partition(|i| i.flash_sale_id == row.id);
            items = rest;
            sale_from_rows(row, mine)
        })
        .collect())
}

pub async fn get_flash_sale(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    id: Uuid,
) -> Result<FlashSale, PromoError> {
    principal.require(Permission::ViewCatalog)?;
    load_sale(db, principal.tenant_id, id).await
}

/// Why a sale may no longer be changed.
async fn refusal(db: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> PromoError {
    match load_sale(db, tenant, id).await {
        Ok(sale) => match sale.status {
            FlashSaleStatus::Scheduled | FlashSaleStatus::Live => PromoError::AlreadyStarted,
            FlashSaleStatus::Ended | FlashSaleStatus::Stopped => PromoError::AlreadyEnded,
        },
        Err(error) => error,
    }
}

/// Replaces a sale's title, times, limit and items, before it starts only (the conditional
/// update `… WHERE starts_at > now AND stopped_at IS NULL` is the guard). The old items' units go
/// back to their SKUs and the new ones are set aside, in one transaction.
pub async fn update_flash_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    id: Uuid,
    input: &FlashSaleIn,
) -> Result<(FlashSale, Vec<StockMove>), PromoError> {
    principal.require(Permission::ManageCatalog)?;
    let input = parse::flash_sale(input)?;
    let tenant = principal.tenant_id;
    let now = now();
    let txn = db.begin().await?;
    let claimed = scoped(tenant)
        .update_flash_sales()
        .filter(flash_sale::Column::Id.eq(id))
        .filter(flash_sale::Column::StartsAt.gt(now))
        .filter(flash_sale::Column::StoppedAt.is_null())
        .col_expr(flash_sale::Column::Title, Expr::value(input.title.clone()))
        .col_expr(flash_sale::Column::StartsAt, Expr::value(input.starts_at))
        .col_expr(flash_sale::Column::EndsAt, Expr::value(input.ends_at))
        .col_expr(
            flash_sale::Column::PerCustomerLimit,
            Expr::value(input.per_customer_limit.unwrap_or(1)),
        )
        .col_expr(flash_sale::Column::UpdatedAt, Expr::value(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        drop(txn);
        return Err(refusal(db, tenant, id).await);
    }
    let old = sale_items(&txn, tenant, &[id]).await?;
    let mut moves: Vec<StockMove> = old
        .iter()
        .map(|item| StockMove {
            sku_id: item.sku_id,
            delta: item.quantity - item.sold,
        })
        .filter(|change| change.delta != 0)
        .collect();
    move_stock(&txn, principal, id, &moves).await?;
    scoped(tenant)
        .delete_items()
        .filter(item::Column::FlashSaleId.eq(id))
        .exec(&txn)
        .await?;
    let taken = taking(&input);
    move_stock(&txn, principal, id, &taken).await?;
    insert_items(&txn, tenant, id, &input).await?;
    txn.commit().await?;
    moves.extend(taken);
    tracing::info!(tenant.id = %tenant, promo.id = %id, "flash sale edited");
    Ok((load_sale(db, tenant, id).await?, moves))
}

/// Stops a scheduled or live sale and returns its unsold remainder to the SKUs, once. Orders
/// already placed stay; a unit of one cancelled later goes back to its SKU.
pub async fn stop_flash_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &infra::Cache,
    principal: &AdminPrincipal,
    id: Uuid,
) -> Result<(FlashSale, Vec<StockMove>), PromoError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    let now = now();
    let txn = db.begin().await?;
    let claimed = scoped(tenant)
        .update_flash_sales()
        .filter(flash_sale::Column::Id.eq(id))
        .filter(flash_sale::Column::StoppedAt.is_null())
        .filter(flash_sale::Column::SettledAt.is_null())
        .filter(flash_sale::Column::EndsAt.gt(now))
        .col_expr(flash_sale::Column::StoppedAt, Expr::value(Some(now)))
        .col_expr(flash_sale::Column::UpdatedAt, Expr::value(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        drop(txn);
        return match load_sale(db, tenant, id).await {
            Ok(_) => Err(PromoError::AlreadyEnded),
            Err(error) => Err(error),
        };
    }
    let moves = settle(&txn, tenant, id, Some(principal.actor_id())).await?;
    txn.commit().await?;
    super::redis_stock::forget_sale(db, cache, tenant, id).await;
    tracing::info!(tenant.id = %tenant, promo.id = %id, "flash sale stopped");
    Ok((load_sale(db, tenant, id).await?, moves))
}
