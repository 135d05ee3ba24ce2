//! Settlement: when a sale is stopped or has ended, its unsold remainder goes back to the SKUs,
//! exactly once (the claim is `settled_at IS NULL`). Afterwards each item's `quantity` equals its
//! `sold`, and a unit released later by a cancelled order goes straight back to its SKU.

use catalog::StockChange;
use chrono::{DateTime, Utc};
use infra::Cache;
use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::admin::sale_items;
use super::now;
use super::redis_stock;
use crate::entity::{flash_sale, item};
use crate::error::PromoError;
use crate::model::StockMove;
use crate::repo::scoped;

/// Settles one sale inside `txn`; nothing when it was settled already.
pub(crate) async fn settle(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    sale_id: Uuid,
    actor_id: Option<Uuid>,
) -> Result<Vec<StockMove>, PromoError> {
    let now = now();
    let claimed = scoped(tenant)
        .update_flash_sales()
        .filter(flash_sale::Column::Id.eq(sale_id))
        .filter(flash_sale::Column::SettledAt.is_null())
        .col_expr(flash_sale::Column::SettledAt, Expr::value(Some(now)))
        .col_expr(flash_sale::Column::UpdatedAt, Expr::value(now))
        .exec(txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(Vec::new());
    }
    let mut moves = Vec::new();
    for row in sale_items(txn, tenant, &[sale_id]).await? {
        let remainder = row.quantity - row.sold;
        if remainder <= 0 {
            continue;
        }
        catalog::adjust_stock(
            txn,
            tenant,
            StockChange {
                sku_id: row.sku_id,
                delta: remainder,
                reason: "promo_release".to_owned(),
                note: sale_id.to_string(),
                actor_id,
            },
        )
        .await?;
        scoped(tenant)
            .update_items()
            .filter(item::Column::Id.eq(row.id))
            .col_expr(item::Column::Quantity, Expr::col(item::Column::Sold))
            .exec(txn)
            .await?;
        moves.push(StockMove {
            sku_id: row.sku_id,
            delta: remainder,
        });
    }
    Ok(moves)
}

/// Settles every shop's sales that ended by `now` (the worker's sweep; the one query across
/// tenants, each sale then settled with its own tenant in scope). Safe with several workers.
pub async fn settle_ended_sales<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &Cache,
    now: DateTime<Utc>,
) -> Result<Vec<(TenantId, Uuid, Vec<StockMove>)>, PromoError> {
    let mut settled = Vec::new();
    let due = flash_sale::Entity::find()
        .filter(flash_sale::Column::SettledAt.is_null())
        .filter(flash_sale::Column::EndsAt.lte(now))
        .order_by_asc(flash_sale::Column::EndsAt)
        .limit(100)
        .all(db)
        .await?;
    for row in due {
        let tenant = TenantId(row.tenant_id);
        let txn = db.begin().await?;
        let moves = settle(&txn, tenant, row.id, None).await?;
        txn.commit().await?;
        redis_stock::forget_sale(db, cache, tenant, row.id).await;
        tracing::info!(tenant.id = %tenant, promo.id = %row.id, "flash sale ended and settled");
        settled.push((tenant, row.id, moves));
    }
    Ok(settled)
}
