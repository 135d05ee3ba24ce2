//! Changing a SKU's price, codes and low-stock threshold (its stock changes only through the
//! ledger, see [`super::stock`]).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, TransactionSession, TransactionTrait};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::now;
use super::products::{sku_from_row, sku_rows};
use crate::entity::{product, sku};
use crate::error::{CatalogError, Problems};
use crate::hot_cache::CatalogCache;
use crate::model::{Sku, SkuChanges};
use crate::parse;
use crate::repo::scoped;

pub(crate) async fn sku_row(
    db: &impl ConnectionTrait,
    tenant: kernel::TenantId,
    id: Uuid,
) -> Result<sku::Model, CatalogError> {
    scoped(tenant)
        .skus()
        .filter(sku::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(CatalogError::SkuNotFound)
}

pub async fn update_sku<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    id: Uuid,
    changes: &SkuChanges,
) -> Result<Sku, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    let row = sku_row(db, tenant, id).await?;
    let price = match changes.price {
        Some(price) => {
            parse::price(price).map_err(|m| CatalogError::InvalidPrice(format!("price: {m}")))?
        }
        None => row.price,
    };
    let list_price = match changes.list_price {
        Some(list) => Some(
            parse::price(list)
                .map_err(|m| CatalogError::InvalidPrice(format!("list_price: {m}")))?,
        ),
        None => row.list_price,
    };
    if list_price.is_some_and(|list| list < price) {
        return Err(CatalogError::InvalidPrice(
            "list_price must not be below the price".to_owned(),
        ));
    }
    let mut problems = Problems::default();
    let threshold = changes
        .low_stock_threshold
        .and_then(|value| problems.take("low_stock_threshold", parse::stock(value)));
    let merchant_code = changes
        .merchant_code
        .as_deref()
        .and_then(|value| problems.take("merchant_code", parse::optional_code(Some(value))));
    let barcode = changes
        .barcode
        .as_deref()
        .and_then(|value| problems.take("barcode", parse::optional_code(Some(value))));
    if !problems.0.is_empty() {
        return Err(problems.into_error());
    }
    let txn = db.begin().await?;
    let mut update = scoped(tenant)
        .update_skus()
        .filter(sku::Column::Id.eq(id))
        .col_expr(sku::Column::Price, Expr::value(price))
        .col_expr(sku::Column::ListPrice, Expr::value(list_price))
        .col_expr(sku::Column::UpdatedAt, Expr::value(now()));
    if let Some(threshold) = threshold {
        update = update.col_expr(sku::Column::LowStockThreshold, Expr::value(threshold));
    }
    if let Some(code) = merchant_code {
        update = update.col_expr(sku::Column::MerchantCode, Expr::value(code));
    }
    if let Some(code) = barcode {
        update = update.col_expr(sku::Column::Barcode, Expr::value(code));
    }
    update.exec(&txn).await?;
    refresh_price_range(&txn, tenant, row.product_id).await?;
    txn.commit().await?;
    hot.bump(tenant).await;
    Ok(sku_from_row(sku_row(db, tenant, id).await?))
}

/// Keeps the product's min/max price (used by lists and price sorts) equal to its SKUs'.
async fn refresh_price_range(
    db: &impl ConnectionTrait,
    tenant: kernel::TenantId,
    product_id: Uuid,
) -> Result<(), CatalogError> {
    let skus = sku_rows(db, tenant, &[product_id]).await?;
    let min = skus.iter().map(|s| s.price).min().unwrap_or(0);
    let max = skus.iter().map(|s| s.price).max().unwrap_or(0);
    scoped(tenant)
        .update_products()
        .filter(product::Column::Id.eq(product_id))
        .col_expr(product::Column::MinPrice, Expr::value(min))
        .col_expr(product::Column::MaxPrice, Expr::value(max))
        .col_expr(product::Column::UpdatedAt, Expr::value(now()))
        .exec(db)
        .await?;
    Ok(())
}
