//! The order lifecycle: the state machine ([`next_status`]), every transition recorded, the
//! customer's cancel and the sweep of unpaid orders past their deadline.

use catalog::{CatalogCache, StockChange};
use chrono::{DateTime, Utc};
use customer::CustomerPrincipal;
use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::now;
use super::reserve;
use crate::entity::{order, order_line, transition};
use crate::error::OrderError;
use crate::model::{
    Actor, Address, Order, OrderEvent, OrderStatus, OrderTransition, PricedLine, Pricing,
    SweepReport,
};
use crate::repo::scoped;

/// The whole state machine: where `event` takes an order in `from`, or why it cannot.
pub fn next_status(from: OrderStatus, event: OrderEvent) -> Result<OrderStatus, OrderError> {
    use OrderStatus::*;
    let to = match event {
        OrderEvent::Pay => Paid,
        OrderEvent::Ship => Shipped,
        OrderEvent::ConfirmReceipt => Completed,
        OrderEvent::Cancel(_) | OrderEvent::Timeout => Cancelled,
        OrderEvent::RefundInFull => Refunded,
    };
    let allowed = matches!(
        (from, event),
        (PendingPayment, OrderEvent::Pay)
            | (Paid, OrderEvent::Ship)
            | (Shipped, OrderEvent::ConfirmReceipt)
            | (PendingPayment, OrderEvent::Cancel(_))
            | (PendingPayment, OrderEvent::Timeout)
            | (Paid | Shipped | Completed, OrderEvent::RefundInFull)
    );
    if allowed {
        Ok(to)
    } else {
        Err(OrderError::IllegalTransition { from, to })
    }
}

pub(crate) async fn record_transition(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: Actor,
    reason: &str,
) -> Result<(), OrderError> {
    transition::Entity::insert(transition::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        order_id: Set(order_id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        actor: Set(actor.as_str().to_owned()),
        reason: Set(reason.to_owned()),
        created_at: Set(now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub(crate) fn status_of(text: &str) -> OrderStatus {
    OrderStatus::parse(text).unwrap_or(OrderStatus::Cancelled)
}

/// An order with its lines and timeline.
pub(crate) async fn load_order(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    row: order::Model,
) -> Result<Order, OrderError> {
    let lines = scoped(tenant)
        .order_lines()
        .filter(order_line::Column::OrderId.eq(row.id))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|line| PricedLine {
            sku_id: line.sku_id,
            product_id: line.product_id,
            title: line.title,
            spec_text: line.spec_text,
            image: line.image,
            unit_price: line.unit_price,
            quantity: line.quantity,
            line_total: line.line_total,
        })
        .collect();
    let timeline = scoped(tenant)
        .transitions()
        .filter(transition::Column::OrderId.eq(row.id))
        .order_by_asc(transition::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| OrderTransition {
            from: t.from_status.as_deref().map(status_of),
            to: status_of(&t.to_status),
            actor: t.actor,
            reason: t.reason,
            at: t.created_at,
        })
        .collect();
    let pricing: Pricing = serde_json::from_value(row.pricing)
        .map_err(|e| sea_orm::DbErr::Custom(format!("order pricing: {e}")))?;
    let address: Address = serde_json::from_value(row.address)
        .map_err(|e| sea_orm::DbErr::Custom(format!("order address: {e}")))?;
    Ok(Order {
        id: row.id,
        order_no: row.order_no,
        customer_id: row.customer_id,
        status: status_of(&row.status),
        lines,
        goods_total: row.goods_total,
        discount_total: row.discount_total,
        freight: row.freight,
        payable: row.payable,
        pricing,
        address,
        remark: row.remark,
        cancel_reason: row.cancel_reason,
        expires_at: row.expires_at,
        paid_at: row.paid_at,
        refunded_fen: row.refunded_fen,
        after_sales: super::after_sales::briefs_of_order(db, tenant, row.id).await?,
        shipment: match (row.carrier, row.tracking_no, row.shipped_at) {
            (Some(carrier), Some(tracking_no), Some(shipped_at)) => Some(crate::model::Shipment {
                carrier,
                tracking_no,
                shipped_at,
                upload_status: row.shipping_upload.unwrap_or_default(),
                upload_error: row.shipping_upload_error,
            }),
            _ => None,
        },
        merchant_remark: row.merchant_remark,
        created_at: row.created_at,
        timeline,
        promo_activity_id: row.promo_activity_id,
    })
}

pub(crate) async fn customer_order_row(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    order_no: &str,
) -> Result<order::Model, OrderError> {
    scoped(principal.tenant_id)
        .orders()
        .filter(order::Column::CustomerId.eq(principal.customer_id))
        .filter(order::Column::OrderNo.eq(order_no))
        .one(db)
        .await?
        .ok_or(OrderError::OrderNotFound)
}

/// One of the customer's own orders.
pub async fn get_customer_order(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    order_no: &str,
) -> Result<Order, OrderError> {
    let row = customer_order_row(db, principal, order_no).await?;
    Ok(load_order(db, principal.tenant_id, row)
        .await?
        .for_customer())
}

/// The customer's orders, newest first (at most 50).
pub async fn list_customer_orders(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
) -> Result<Vec<Order>, OrderError> {
    let rows = scoped(principal.tenant_id)
        .orders()
        .filter(order::Column::CustomerId.eq(principal.customer_id))
        .order_by_desc(order::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        orders.push(
            load_order(db, principal.tenant_id, row)
                .await?
                .for_customer(),
        );
    }
    Ok(orders)
}

/// Cancels a pending order inside `txn` and returns its stock, exactly once: the conditional
/// update (`… WHERE status = 'pending_payment'`) is the claim, so of several cancellers only one
/// gets a row. Returns the lines to give back to Redis after commit, or `None` when the order was
/// no longer pending. A flash-sale order (`promo`) returns nothing to the SKUs: its units belong
/// to the sale, and the caller gives them back there (`promo::release_for_order`).
async fn cancel_pending(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    promo: bool,
    event: OrderEvent,
    actor: Actor,
    reason: &str,
) -> Result<Option<Vec<(Uuid, i64)>>, OrderError> {
    let to = next_status(OrderStatus::PendingPayment, event)?;
    let claimed = scoped(tenant)
        .update_orders()
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(
            order::Column::CancelReason,
            Expr::value(Some(reason.to_owned())),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(now()))
        .exec(txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    let lines: Vec<(Uuid, i64)> = if promo {
        Vec::new()
    } else {
        scoped(tenant)
            .order_lines()
            .filter(order_line::Column::OrderId.eq(order_id))
            .all(txn)
            .await?
            .into_iter()
            .map(|line| (line.sku_id, line.quantity))
            .collect()
    };
    for (sku_id, quantity) in &lines {
        catalog::adjust_stock(
            txn,
            tenant,
            StockChange {
                sku_id: *sku_id,
                delta: *quantity,
                reason: "order_release".to_owned(),
                note: order_id.to_string(),
                actor_id: None,
            },
        )
        .await?;
    }
    record_transition(
        txn,
        tenant,
        order_id,
        Some(OrderStatus::PendingPayment),
        to,
        actor,
        reason,
    )
    .await?;
    Ok(Some(lines))
}

/// Cancels one pending order (customer, merchant) and returns its stock.
pub(crate) async fn cancel_by<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    tenant: TenantId,
    row: order::Model,
    event: OrderEvent,
    actor: Actor,
    reason: &str,
) -> Result<Order, OrderError> {
    let from = status_of(&row.status);
    next_status(from, event)?;
    let txn = db.begin().await?;
    let promo = row.promo_activity_id.is_some();
    let released = cancel_pending(&txn, tenant, row.id, promo, event, actor, reason).await?;
    txn.commit().await?;
    let current = scoped(tenant)
        .orders()
        .filter(order::Column::Id.eq(row.id))
        .one(db)
        .await?
        .ok_or(OrderError::OrderNotFound)?;
    match released {
        Some(lines) => {
            reserve::release(hot, tenant, &lines).await;
            hot.bump(tenant).await;
            tracing::info!(tenant.id = %tenant, order.no = %current.order_no, actor = actor.as_str(), "order cancelled");
        }
        None => {
            // Someone else moved it first (paid, or cancelled by the sweep).
            let now_status = status_of(&current.status);
            next_status(now_status, event)?;
        }
    }
    load_order(db, tenant, current).await
}

/// The customer cancels an order before paying for it.
pub async fn cancel_order<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    principal: &CustomerPrincipal,
    order_no: &str,
) -> Result<Order, OrderError> {
    let row = customer_order_row(db, principal, order_no).await?;
    cancel_by(
        db,
        hot,
        principal.tenant_id,
        row,
        OrderEvent::Cancel(Actor::Customer),
        Actor::Customer,
        "cancelled by the customer",
    )
    .await
    .map(Order::for_customer)
}

/// Cancels every order of every shop still unpaid at `now` past its deadline and returns its
/// stock. Safe with several workers: each order is claimed by a conditional update, so each is
/// cancelled, and its stock returned, exactly once.
pub async fn cancel_expired_orders<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    now: DateTime<Utc>,
) -> Result<SweepReport, OrderError> {
    let mut report = SweepReport::default();
    loop {
        // The one query across tenants: the platform's sweep.
        let expired = order::Entity::find()
            .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
            .filter(order::Column::ExpiresAt.lte(now))
            .order_by_asc(order::Column::ExpiresAt)
            .limit(100)
            .all(db)
            .await?;
        if expired.is_empty() {
            return Ok(report);
        }
        for row in expired {
            let tenant = TenantId(row.tenant_id);
            let txn = db.begin().await?;
            let released = cancel_pending(
                &txn,
                tenant,
                row.id,
                row.promo_activity_id.is_some(),
                OrderEvent::Timeout,
                Actor::System,
                "not paid in time",
            )
            .await?;
            txn.commit().await?;
            if let Some(lines) = released {
                reserve::release(hot, tenant, &lines).await;
                hot.bump(tenant).await;
                tracing::info!(tenant.id = %tenant, order.no = %row.order_no, "unpaid order cancelled");
                report.cancelled_in.push((tenant, row.order_no.clone()));
                if row.promo_activity_id.is_some() {
                    report.promo_cancelled.push((tenant, row.order_no.clone()));
                }
                report.cancelled.push(row.order_no);
            }
        }
        // Orders another worker took are no longer pending, so the next batch moves on.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const EVENTS: [OrderEvent; 8] = [
        OrderEvent::Pay,
        OrderEvent::Ship,
        OrderEvent::ConfirmReceipt,
        OrderEvent::Cancel(Actor::Customer),
        OrderEvent::Cancel(Actor::Merchant),
        OrderEvent::Cancel(Actor::System),
        OrderEvent::Timeout,
        OrderEvent::RefundInFull,
    ];

    #[test]
    fn the_happy_path_is_pending_paid_shipped_completed() {
        assert_eq!(
            next_status(PendingPayment, OrderEvent::Pay).ok(),
            Some(Paid)
        );
        assert_eq!(next_status(Paid, OrderEvent::Ship).ok(), Some(Shipped));
        assert_eq!(
            next_status(Shipped, OrderEvent::ConfirmReceipt).ok(),
            Some(Completed)
        );
        assert_eq!(
            next_status(PendingPayment, OrderEvent::Timeout).ok(),
            Some(Cancelled)
        );
    }

    #[test]
    fn every_other_transition_is_refused() {
        let mut allowed = 0;
        for from in OrderStatus::ALL {
            for event in EVENTS {
                match next_status(from, event) {
                    Ok(_) => allowed += 1,
                    Err(OrderError::IllegalTransition { from: f, .. }) => assert_eq!(f, from),
                    Err(other) => panic!("unexpected {other}"),
                }
            }
        }
        // pay, ship, confirm, three cancels and the timeout from pending; refunded in full from
        // paid, shipped or completed.
        assert_eq!(allowed, 10);
        for event in EVENTS {
            assert!(next_status(Cancelled, event).is_err());
            assert!(next_status(Refunded, event).is_err());
        }
        for from in [Paid, Shipped, Completed] {
            assert_eq!(
                next_status(from, OrderEvent::RefundInFull).ok(),
                Some(Refunded)
            );
        }
    }
}
