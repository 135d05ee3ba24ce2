//! The order side of payment: which order may be paid, and marking it paid exactly once when
//! WeChat Pay's notification is recorded.

use chrono::{DateTime, Utc};
use customer::CustomerPrincipal;
use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, TransactionSession, TransactionTrait};
use serde::Serialize;

use super::lifecycle::{get_customer_order, next_status, record_transition, status_of};
use super::now;
use crate::entity::{order, transition};
use crate::error::OrderError;
use crate::model::{Actor, Order, OrderEvent, OrderStatus};
use crate::repo::scoped;

/// The customer's order if it can be paid now (pending and not past its deadline).
pub async fn order_to_pay(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    order_no: &str,
) -> Result<Order, OrderError> {
    let found = get_customer_order(db, principal, order_no).await?;
    next_status(found.status, OrderEvent::Pay)?;
    if found.expires_at <= now() {
        return Err(OrderError::PaymentExpired);
    }
    Ok(found)
}

/// What a recorded payment did to its order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaidOutcome {
    /// Pending → paid, just now.
    MarkedPaid,
    /// Paid before (a duplicate notification).
    AlreadyPaid,
    /// The order was cancelled before the money arrived: refund it.
    Cancelled { payable: i64 },
    /// The amount is not the order's payable: nothing changed; someone must look.
    AmountMismatch { payable: i64 },
    /// No order has this number (a payment not made for an order).
    NoSuchOrder,
}

/// Marks the order `out_trade_no` paid if it is pending and `amount_fen` is its payable; the
/// conditional update makes it happen exactly once however many notifications arrive.
pub async fn mark_order_paid<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    out_trade_no: &str,
    amount_fen: i64,
    paid_at: DateTime<Utc>,
) -> Result<PaidOutcome, OrderError> {
    let txn = db.begin().await?;
    let updated = scoped(tenant)
        .update_orders()
        .filter(order::Column::OrderNo.eq(out_trade_no))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
        .filter(order::Column::Payable.eq(amount_fen))
        .col_expr(
            order::Column::Status,
            Expr::value(OrderStatus::Paid.as_str()),
        )
        .col_expr(order::Column::PaidAt, Expr::value(Some(paid_at)))
        .col_expr(order::Column::UpdatedAt, Expr::value(now()))
        .exec(&txn)
        .await?;
    let row = scoped(tenant)
        .orders()
        .filter(order::Column::OrderNo.eq(out_trade_no))
        .one(&txn)
        .await?;
    let Some(row) = row else {
        return Ok(PaidOutcome::NoSuchOrder);
    };
    if updated.rows_affected == 1 {
        record_transition(
            &txn,
            tenant,
            row.id,
            Some(OrderStatus::PendingPayment),
            OrderStatus::Paid,
            Actor::System,
            "WeChat Pay notification",
        )
        .await?;
        txn.commit().await?;
        tracing::info!(tenant.id = %tenant, order.no = %out_trade_no, "order paid");
        return Ok(PaidOutcome::MarkedPaid);
    }
    let outcome = match status_of(&row.status) {
        // The refund is the caller's; `note_late_payment_refunded` records it in the timeline.
        OrderStatus::Cancelled => PaidOutcome::Cancelled {
            payable: row.payable,
        },
        OrderStatus::PendingPayment => PaidOutcome::AmountMismatch {
            payable: row.payable,
        },
        _ => PaidOutcome::AlreadyPaid,
    };
    txn.commit().await?;
    Ok(outcome)
}

/// Notes in the cancelled order's timeline that money arrived after the cancellation and was
/// refunded in full (refund `out_refund_no`). Once: a second call (a repeated notification, a
/// reconciliation pass) finds the note and adds nothing. `false` if there was nothing to note.
pub async fn note_late_payment_refunded<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    order_no: &str,
    out_refund_no: &str,
) -> Result<bool, OrderError> {
    let scope = scoped(tenant);
    let Some(row) = scope
        .orders()
        .filter(order::Column::OrderNo.eq(order_no))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if status_of(&row.status) != OrderStatus::Cancelled {
        return Ok(false);
    }
    let reason = format!("paid after cancellation: refunded in full ({out_refund_no})");
    let txn = db.begin().await?;
    // Lock the order row (a no-op update) so two deliveries cannot both find no note.
    scope
        .update_orders()
        .filter(order::Column::Id.eq(row.id))
        .col_expr(
            order::Column::UpdatedAt,
            Expr::col(order::Column::UpdatedAt),
        )
        .exec(&txn)
        .await?;
    let noted = scope
        .transitions()
        .filter(transition::Column::OrderId.eq(row.id))
        .filter(transition::Column::Reason.eq(reason.as_str()))
        .one(&txn)
        .await?
        .is_some();
    if !noted {
        record_transition(
            &txn,
            tenant,
            row.id,
            Some(OrderStatus::Cancelled),
            OrderStatus::Cancelled,
            Actor::System,
            &reason,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(!noted)
}
