//! Stock changes only through recorded adjustments (the ledger). The change itself is one
//! conditional `UPDATE … SET stock = stock + delta WHERE stock + delta >= 0 RETURNING *`, so two
//! concurrent adjustments can never take the stock below zero or lose an update.

use kernel::{Page, PageRequest, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::skus::sku_row;
use super::{now, strings};
use crate::entity::{low_stock_alert, product, sku, stock_adjustment};
use crate::error::CatalogError;
use crate::hot_cache::CatalogCache;
use crate::model::{LowStockAlert, LowStockSku, NewStockAdjustment, StockAdjustment};
use crate::parse::MAX_STOCK;
use crate::repo::scoped;

/// Reasons a merchant may give; orders use `order_reserve` and `order_release`.
pub const MERCHANT_REASONS: &[&str] = &["restock", "stocktake", "damage", "return", "correction"];

/// One stock change, for [`adjust_stock`].
#[derive(Clone, Debug)]
pub struct StockChange {
    pub sku_id: Uuid,
    /// Positive adds, negative removes.
    pub delta: i64,
    pub reason: String,
    pub note: String,
    /// The staff member or API key; `None` for the system (orders).
    pub actor_id: Option<Uuid>,
}

fn adjustment_from_row(row: stock_adjustment::Model) -> StockAdjustment {
    StockAdjustment {
        id: row.id,
        sku_id: row.sku_id,
        product_id: row.product_id,
        delta: row.delta,
        resulting_stock: row.resulting_stock,
        reason: row.reason,
        note: row.note,
        actor_id: row.actor_id,
        created_at: row.created_at,
    }
}

/// Whether an adjustment from `before` to `after` crosses the threshold downwards.
pub fn crosses_low_stock(before: i64, after: i64, threshold: i64) -> bool {
    before > threshold && after <= threshold
}

/// Applies one stock change and records it, race-safely, inside the caller's transaction (the
/// order crate reserves and releases stock with it). Refused when the stock would go below zero.
/// Raises a low-stock alert event when the SKU crosses its threshold. Does not touch the cache:
/// after committing, call [`CatalogCache::bump`].
pub async fn adjust_stock(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    change: StockChange,
) -> Result<StockAdjustment, CatalogError> {
    if change.delta == 0 || change.delta.abs() > MAX_STOCK {
        return Err(CatalogError::invalid(
            "delta",
            format!("must be non-zero and at most {MAX_STOCK} either way"),
        ));
    }
    let updated = scoped(tenant)
        .update_skus()
        .filter(sku::Column::Id.eq(change.sku_id))
        .filter(Expr::col(sku::Column::Stock).add(change.delta).gte(0))
        .filter(
            Expr::col(sku::Column::Stock)
                .add(change.delta)
                .lte(MAX_STOCK),
        )
        .col_expr(
            sku::Column::Stock,
            Expr::col(sku::Column::Stock).add(change.delta),
        )
        .col_expr(sku::Column::UpdatedAt, Expr::value(now()))
        .exec_with_returning(db)
        .await?;
    let Some(row) = updated.into_iter().next() else {
        let current = sku_row(db, tenant, change.sku_id).await?;
        if change.delta > 0 {
            return Err(CatalogError::invalid(
                "delta",
                format!("would take the stock above {MAX_STOCK}"),
            ));
        }
        return Err(CatalogError::InsufficientStock {
            available: current.stock,
            requested: -change.delta,
        });
    };
    let now = now();
    let entry = stock_adjustment::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        sku_id: Set(row.id),
        product_id: Set(row.product_id),
        delta: Set(change.delta),
        resulting_stock: Set(row.stock),
        reason: Set(change.reason),
        note: Set(change.note),
        actor_id: Set(change.actor_id),
        created_at: Set(now),
    };
    let entry = stock_adjustment::Entity::insert(entry)
        .exec_with_returning(db)
        .await?;
    let before = row.stock - change.delta;
    if crosses_low_stock(before, row.stock, row.low_stock_threshold) {
        let alert = low_stock_alert::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            id: Set(kernel::new_id()),
            sku_id: Set(row.id),
            product_id: Set(row.product_id),
            stock: Set(row.stock),
            threshold: Set(row.low_stock_threshold),
            created_at: Set(now),
            consumed_at: Set(None),
        };
        low_stock_alert::Entity::insert(alert)
            .exec_without_returning(db)
            .await?;
        tracing::info!(tenant.id = %tenant, sku.id = %row.id, sku.stock = row.stock, "low stock");
    }
    Ok(adjustment_from_row(entry))
}

/// A merchant's stock adjustment, with one of [`MERCHANT_REASONS`].
pub async fn record_stock_adjustment<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    sku_id: Uuid,
    input: &NewStockAdjustment,
) -> Result<StockAdjustment, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    if !MERCHANT_REASONS.contains(&input.reason.as_str()) {
        return Err(CatalogError::invalid(
            "reason",
            format!("must be one of: {}", MERCHANT_REASONS.join(", ")),
        ));
    }
    if input.note.chars().count() > 200 {
        return Err(CatalogError::invalid(
            "note",
            "must be at most 200 characters",
        ));
    }
    let txn = db.begin().await?;
    let entry = adjust_stock(
        &txn,
        tenant,
        StockChange {
            sku_id,
            delta: input.delta,
            reason: input.reason.clone(),
            note: input.note.trim().to_owned(),
            actor_id: Some(principal.actor_id()),
        },
    )
    .await?;
    txn.commit().await?;
    hot.bump(tenant).await;
    Ok(entry)
}

/// A SKU's ledger, newest first.
pub async fn list_stock_adjustments(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    sku_id: Uuid,
    page: &PageRequest,
) -> Result<Page<StockAdjustment>, CatalogError> {
    principal.require(Permission::ViewCatalog)?;
    let tenant = principal.tenant_id;
    sku_row(db, tenant, sku_id).await?;
    let mut query = scoped(tenant)
        .stock_adjustments()
        .filter(stock_adjustment::Column::SkuId.eq(sku_id));
    if let Some(cursor) = page.cursor {
        query = query.filter(stock_adjustment::Column::Id.lt(cursor));
    }
    let rows = query
        .order_by_desc(stock_adjustment::Column::Id)
        .limit(page.limit() + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page.limit(), |row| row.id).map(adjustment_from_row))
}

/// SKUs at or below their low-stock threshold.
pub async fn list_low_stock(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<Vec<LowStockSku>, CatalogError> {
    principal.require(Permission::ViewCatalog)?;
    let tenant = principal.tenant_id;
    let rows = scoped(tenant)
        .skus()
        .filter(Expr::col(sku::Column::Stock).lte(Expr::col(sku::Column::LowStockThreshold)))
        .order_by_asc(sku::Column::Stock)
        .order_by_asc(sku::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let product_ids: Vec<Uuid> = rows.iter().map(|row| row.product_id).collect();
    let products = scoped(tenant)
        .products()
        .filter(product::Column::Id.is_in(product_ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| LowStockSku {
            sku_id: row.id,
            product_id: row.product_id,
            product_title: products
                .iter()
                .find(|p| p.id == row.product_id)
                .map(|p| p.title.clone())
                .unwrap_or_default(),
            spec_values: strings(&row.spec_values),
            stock: row.stock,
            low_stock_threshold: row.low_stock_threshold,
        })
        .collect())
}

/// Low-stock alert events, newest first (notifications consume them).
pub async fn list_low_stock_alerts(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    page: &PageRequest,
) -> Result<Page<LowStockAlert>, CatalogError> {
    principal.require(Permission::ViewCatalog)?;
    let mut query = scoped(principal.tenant_id).low_stock_alerts();
    if let Some(cursor) = page.cursor {
        query = query.filter(low_stock_alert::Column::Id.lt(cursor));
    }
    let rows = query
        .order_by_desc(low_stock_alert::Column::Id)
        .limit(page.limit() + 1)
        .all(db)
        .await?;
    Ok(
        Page::from_rows(rows, page.limit(), |row| row.id).map(|row| LowStockAlert {
            id: row.id,
            sku_id: row.sku_id,
            product_id: row.product_id,
            stock: row.stock,
            threshold: row.threshold,
            created_at: row.created_at,
            consumed_at: row.consumed_at,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_raised_only_when_the_threshold_is_crossed_downwards() {
        assert!(crosses_low_stock(6, 5, 5));
        assert!(crosses_low_stock(10, 0, 5));
        assert!(!crosses_low_stock(5, 4, 5), "already low: no second alert");
        assert!(!crosses_low_stock(4, 10, 5), "restocking raises nothing");
        assert!(!crosses_low_stock(10, 6, 5));
    }
}
