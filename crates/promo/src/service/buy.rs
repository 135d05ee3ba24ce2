//! Buying: the reservation (Redis step, then the database's conditional updates and the purchase
//! row), the order link, and the release of a purchase exactly once.

use catalog::StockChange;
use customer::CustomerPrincipal;
use infra::Cache;
use kernel::TenantId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, SqlErr,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::redis_stock::{self, Attempt, Step};
use super::{now, parse};
use crate::entity::{customer_count, flash_sale, item, purchase};
use crate::error::PromoError;
use crate::model::{BuyIn, FlashSaleStatus, StockMove};
use crate::repo::scoped;

const RESERVED: &str = "reserved";
const RELEASED: &str = "released";

/// A unit (or units) held for a customer: place the order, then [`attach_order`]; on failure
/// [`give_back`].
#[derive(Clone, Debug)]
pub struct Reserved {
    pub purchase_id: Uuid,
    pub flash_sale_id: Uuid,
    pub sku_id: Uuid,
    pub quantity: i64,
    pub sale_price_fen: i64,
}

fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

enum DbStep {
    Reserved(Uuid),
    Refused(PromoError),
    DuplicateKey,
}

/// The database's guard, in one transaction: the sale row (live, not stopped or settled) is
/// taken first — so SQLite takes its write lock at once and settlement cannot interleave — then
/// the item's `sold` and the customer's count move conditionally, and the purchase is recorded.
async fn reserve_in_database<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    sale: &flash_sale::Model,
    item_row: &item::Model,
    quantity: i64,
    key: &str,
) -> Result<DbStep, PromoError> {
    let tenant = principal.tenant_id;
    let now = now();
    let txn = db.begin().await?;
    let live = scoped(tenant)
        .update_flash_sales()
        .filter(flash_sale::Column::Id.eq(sale.id))
        .filter(flash_sale::Column::StoppedAt.is_null())
        .filter(flash_sale::Column::SettledAt.is_null())
        .filter(flash_sale::Column::StartsAt.lte(now))
        .filter(flash_sale::Column::EndsAt.gt(now))
        .col_expr(flash_sale::Column::UpdatedAt, Expr::value(now))
        .exec(&txn)
        .await?;
    if live.rows_affected == 0 {
        return Ok(DbStep::Refused(PromoError::NotLive));
    }
    let sold = scoped(tenant)
        .update_items()
        .filter(item::Column::Id.eq(item_row.id))
        .filter(
            Expr::col(item::Column::Sold)
                .add(quantity)
                .lte(Expr::col(item::Column::Quantity)),
        )
        .col_expr(
            item::Column::Sold,
            Expr::col(item::Column::Sold).add(quantity),
        )
        .exec(&txn)
        .await?;
    if sold.rows_affected == 0 {
        return Ok(DbStep::Refused(PromoError::SoldOut));
    }
    customer_count::Entity::insert(customer_count::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        flash_sale_id: Set(sale.id),
        customer_id: Set(principal.customer_id),
        bought: Set(0),
    })
    .on_conflict_do_nothing()
    .exec(&txn)
    .await?;
    let counted = scoped(tenant)
        .update_customer_counts()
        .filter(customer_count::Column::FlashSaleId.eq(sale.id))
        .filter(customer_count::Column::CustomerId.eq(principal.customer_id))
        .filter(
            Expr::col(customer_count::Column::Bought)
                .add(quantity)
                .lte(sale.per_customer_limit),
        )
        .col_expr(
            customer_count::Column::Bought,
            Expr::col(customer_count::Column::Bought).add(quantity),
        )
        .exec(&txn)
        .await?;
    if counted.rows_affected == 0 {
        return Ok(DbStep::Refused(PromoError::LimitReached));
    }
    let id = kernel::new_id();
    let inserted = purchase::Entity::insert(purchase::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(id),
        flash_sale_id: Set(sale.id),
        sku_id: Set(item_row.sku_id),
        customer_id: Set(principal.customer_id),
        idempotency_key: Set(key.to_owned()),
        order_no: Set(None),
        quantity: Set(quantity),
        state: Set(RESERVED.to_owned()),
        created_at: Set(now),
        released_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await;
    if let Err(error) = inserted {
        if is_unique_violation(&error) {
            return Ok(DbStep::DuplicateKey);
        }
        return Err(error.into());
    }
    txn.commit().await?;
    Ok(DbStep::Reserved(id))
}

/// Reserves `input.quantity` of a live sale's SKU for the customer, or says why not
/// (`promo.not_live`, `promo.sold_out`, `promo.limit_reached`; `promo.in_progress` when another
/// request with the same key holds it). With Redis the eligibility and the reservation are one
/// Lua step first (only its winners reach the database); the database decides in every mode.
pub async fn reserve_purchase<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &Cache,
    principal: &CustomerPrincipal,
    sale_id: Uuid,
    input: &BuyIn,
    idempotency_key: &str,
) -> Result<Reserved, PromoError> {
    parse::buy(input)?;
    let key = parse::idempotency_key(Some(idempotency_key))?;
    let tenant = principal.tenant_id;
    let sale = scoped(tenant)
        .flash_sales()
        .filter(flash_sale::Column::Id.eq(sale_id))
        .one(db)
        .await?
        .ok_or(PromoError::NotFound)?;
    let now = now();
    let status = FlashSaleStatus::at(now, sale.starts_at, sale.ends_at, sale.stopped_at.is_some());
    if status != FlashSaleStatus::Live || sale.settled_at.is_some() {
        return Err(PromoError::NotLive);
    }
    let item_row = scoped(tenant)
        .items()
        .filter(item::Column::FlashSaleId.eq(sale_id))
        .filter(item::Column::SkuId.eq(input.sku_id))
        .one(db)
        .await?
        .ok_or_else(|| PromoError::invalid("sku_id", "is not in this flash sale"))?;
    if item_row.sold + input.quantity > item_row.quantity {
        // Already sold out when read: answered without a write (units released later are seen
        // by the next attempt).
        return Err(PromoError::SoldOut);
    }
    let stock_key = redis_stock::stock_key(cache, tenant, sale_id, input.sku_id);
    let count_key = redis_stock::count_key(cache, tenant, sale_id, principal.customer_id);
    let attempt = Attempt {
        stock_key: &stock_key,
        count_key: &count_key,
        quantity: input.quantity,
        limit: sale.per_customer_limit,
        now_ms: now.timestamp_millis(),
        starts_ms: sale.starts_at.timestamp_millis(),
        ends_ms: sale.ends_at.timestamp_millis(),
        count_ttl_secs: (sale.ends_at - now).num_seconds() + 86_400,
    };
    let mut step = redis_stock::reserve(cache, &attempt).await;
    if step == Step::Unseeded {
        let fresh = scoped(tenant)
            .items()
            .filter(item::Column::Id.eq(item_row.id))
            .one(db)
            .await?
            .ok_or(PromoError::NotFound)?;
        step = if redis_stock::seed(cache, &stock_key, fresh.quantity - fresh.sold).await {
            redis_stock::reserve(cache, &attempt).await
        } else {
            Step::NotTracked
        };
        if step == Step::Unseeded {
            step = Step::NotTracked;
        }
    }
    match step {
        Step::NotLive => return Err(PromoError::NotLive),
        Step::SoldOut => return Err(PromoError::SoldOut),
        Step::LimitReached => return Err(PromoError::LimitReached),
        Step::Reserved | Step::NotTracked | Step::NotReached | Step::Unseeded => {}
    }
    let in_redis = step == Step::Reserved;
    let outcome = reserve_in_database(db, principal, &sale, &item_row, input.quantity, &key).await;
    let refusal = match outcome {
        Ok(DbStep::Reserved(purchase_id)) => {
            if step == Step::NotReached {
                // The script never ran: take the unit in Redis too (seeded keys only).
                redis_stock::release(cache, &stock_key, &count_key, -input.quantity, true).await;
            }
            return Ok(Reserved {
                purchase_id,
                flash_sale_id: sale_id,
                sku_id: input.sku_id,
                quantity: input.quantity,
                sale_price_fen: item_row.sale_price_fen,
            });
        }
        Ok(DbStep::Refused(error)) => error,
        Ok(DbStep::DuplicateKey) => PromoError::InProgress,
        Err(error) => error,
    };
    if in_redis {
        redis_stock::release(cache, &stock_key, &count_key, input.quantity, true).await;
    }
    Err(refusal)
}

/// Links the purchase to the order placed for it.
pub async fn attach_order(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    purchase_id: Uuid,
    order_no: &str,
) -> Result<(), PromoError> {
    scoped(tenant)
        .update_purchases()
        .filter(purchase::Column::Id.eq(purchase_id))
        .col_expr(
            purchase::Column::OrderNo,
            Expr::value(Some(order_no.to_owned())),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Releases one purchase exactly once (`reserved → released` is the claim): the units go back
/// to the sale — or to the SKU when the sale was already settled — and the customer's count goes
/// down. `free_key` lets the idempotency key be used again (no order was placed with it).
async fn release_purchase<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &Cache,
    tenant: TenantId,
    row: purchase::Model,
    free_key: bool,
) -> Result<Vec<StockMove>, PromoError> {
    let now = now();
    let txn = db.begin().await?;
    let mut claim = scoped(tenant)
        .update_purchases()
        .filter(purchase::Column::Id.eq(row.id))
        .filter(purchase::Column::State.eq(RESERVED))
        .col_expr(purchase::Column::State, Expr::value(RELEASED))
        .col_expr(purchase::Column::ReleasedAt, Expr::value(Some(now)));
    if free_key {
        claim = claim.col_expr(
            purchase::Column::IdempotencyKey,
            Expr::value(format!("{}#{}", row.idempotency_key, row.id.simple())),
        );
    }
    if claim.exec(&txn).await?.rows_affected == 0 {
        return Ok(Vec::new());
    }
    // The sale row first: settlement takes it too, so the two never interleave.
    let sale = scoped(tenant)
        .update_flash_sales()
        .filter(flash_sale::Column::Id.eq(row.flash_sale_id))
        .col_expr(flash_sale::Column::UpdatedAt, Expr::value(now))
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next()
        .ok_or(PromoError::NotFound)?;
    let settled = sale.settled_at.is_some();
    let mut update = scoped(tenant)
        .update_items()
        .filter(item::Column::FlashSaleId.eq(row.flash_sale_id))
        .filter(item::Column::SkuId.eq(row.sku_id))
        .col_expr(
            item::Column::Sold,
            Expr::col(item::Column::Sold).sub(row.quantity),
        );
    if settled {
        update = update.col_expr(
            item::Column::Quantity,
            Expr::col(item::Column::Quantity).sub(row.quantity),
        );
    }
    update.exec(&txn).await?;
    scoped(tenant)
        .update_customer_counts()
        .filter(customer_count::Column::FlashSaleId.eq(row.flash_sale_id))
        .filter(customer_count::Column::CustomerId.eq(row.customer_id))
        .col_expr(
            customer_count::Column::Bought,
            Expr::col(customer_count::Column::Bought).sub(row.quantity),
        )
        .exec(&txn)
        .await?;
    let mut moves = Vec::new();
    if settled {
        catalog::adjust_stock(
            &txn,
            tenant,
            StockChange {
                sku_id: row.sku_id,
                delta: row.quantity,
                reason: "promo_release".to_owned(),
                note: row.flash_sale_id.to_string(),
                actor_id: None,
            },
        )
        .await?;
        moves.push(StockMove {
            sku_id: row.sku_id,
            delta: row.quantity,
        });
    }
    txn.commit().await?;
    redis_stock::release(
        cache,
        &redis_stock::stock_key(cache, tenant, row.flash_sale_id, row.sku_id),
        &redis_stock::count_key(cache, tenant, row.flash_sale_id, row.customer_id),
        row.quantity,
        !settled,
    )
    .await;
    tracing::info!(tenant.id = %tenant, promo.id = %row.flash_sale_id, purchase.id = %row.id, "flash-sale unit released");
    Ok(moves)
}

/// Gives a reservation back when its order could not be placed.
pub async fn give_back<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &Cache,
    tenant: TenantId,
    purchase_id: Uuid,
) -> Result<Vec<StockMove>, PromoError> {
    let Some(row) = scoped(tenant)
        .purchases()
        .filter(purchase::Column::Id.eq(purchase_id))
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    release_purchase(db, cache, tenant, row, true).await
}

/// A flash-sale order was cancelled (customer, merchant or the unpaid-order sweep): its units go
/// back to the sale and the customer's limit is given back, exactly once however often this is
/// called. Returns the stock moves made when the sale was already settled (units back on SKUs).
pub async fn release_for_order<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &Cache,
    tenant: TenantId,
    order_no: &str,
) -> Result<Vec<StockMove>, PromoError> {
    let rows = scoped(tenant)
        .purchases()
        .filter(purchase::Column::OrderNo.eq(order_no))
        .filter(purchase::Column::State.eq(RESERVED))
        .all(db)
        .await?;
    let mut moves = Vec::new();
    for row in rows {
        moves.extend(release_purchase(db, cache, tenant, row, false).await?);
    }
    Ok(moves)
}

/// The units Redis says are left for a sale's SKU (None without Redis or before the first buy).
pub async fn redis_remaining(
    cache: &Cache,
    tenant: TenantId,
    sale_id: Uuid,
    sku_id: Uuid,
) -> Option<i64> {
    redis_stock::current(
        cache,
        &redis_stock::stock_key(cache, tenant, sale_id, sku_id),
    )
    .await
}
