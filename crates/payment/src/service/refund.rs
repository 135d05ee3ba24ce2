//! Refunds: `out_refund_no` idempotent, and the refunds of a payment never above its amount —
//! each refund first reserves its amount on the payment with a conditional update
//! (`refund_reserved_fen + amount <= amount_fen`), which concurrent refunds cannot both pass.

use chrono::Utc;
use kernel::TenantId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};

use super::record::{record_refund, release_reservation};
use super::{client_for_payments, is_unique_violation, refund_from_row};
use crate::client::PayClients;
use crate::entity::{payment, refund};
use crate::model::{PaymentState, Refund, RefundRequest, RefundStatus};
use crate::repo::scoped;
use crate::{PaymentError, parse};

fn same_refund(row: &refund::Model, request: &RefundRequest) -> bool {
    row.out_trade_no == request.out_trade_no && row.amount_fen == request.amount_fen
}

/// Refunds (part of) a paid payment. Asking again with the same `out_refund_no` refunds once
/// (and re-sends to WeChat a refund it may not have received).
pub async fn refund<C>(
    db: &C,
    clients: &PayClients,
    tenant: TenantId,
    request: RefundRequest,
) -> Result<Refund, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    parse::refund_request(&request)?;
    let client = client_for_payments(db, clients, tenant).await?;
    let scope = scoped(tenant);
    let row = match scope
        .refund_by_out_refund_no(&request.out_refund_no)
        .one(db)
        .await?
    {
        Some(row) => row,
        None => reserve(db, tenant, &request).await?,
    };
    if !same_refund(&row, &request) {
        return Err(PaymentError::RefundParamsChanged);
    }
    if row.status != RefundStatus::Requested.as_str() {
        return Ok(refund_from_row(row));
    }
    let sent = client
        .refund(
            &row.out_trade_no,
            &row.out_refund_no,
            row.amount_fen,
            request.total_fen,
            row.reason.as_deref(),
            row.notify_url.as_deref(),
        )
        .await;
    match sent {
        Ok(answer) => {
            if let Err(refusal) = record_refund(db, tenant, &answer).await? {
                tracing::warn!(tenant.id = %tenant, refund.out_refund_no = %row.out_refund_no, reason = refusal.as_str(), "WeChat's refund answer not recorded");
            }
        }
        // WeChat said no: nothing will be refunded, so the amount is free again.
        Err(err @ (PaymentError::WechatRefused { .. } | PaymentError::NotPaid)) => {
            let failed = scope
                .update_refunds()
                .filter(refund::Column::Id.eq(row.id))
                .filter(refund::Column::Status.eq(RefundStatus::Requested.as_str()))
                .col_expr(
                    refund::Column::Status,
                    Expr::value(RefundStatus::Failed.as_str()),
                )
                .col_expr(refund::Column::UpdatedAt, Expr::value(Utc::now()))
                .exec(db)
                .await?;
            if failed.rows_affected == 1 {
                release_reservation(db, tenant, row.payment_id, row.amount_fen).await?;
            }
            return Err(err);
        }
        // Unknown outcome (timeout, unverifiable answer): stays `requested`; ask again with the
        // same out_refund_no.
        Err(err) => return Err(err),
    }
    get_refund(db, tenant, &request.out_refund_no).await
}

/// Reserves the amount on the payment and saves the refund as `requested`, in one transaction.
async fn reserve<C>(
    db: &C,
    tenant: TenantId,
    request: &RefundRequest,
) -> Result<refund::Model, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let scope = scoped(tenant);
    let paid = scope
        .payment_by_out_trade_no(&request.out_trade_no)
        .one(db)
        .await?
        .ok_or(PaymentError::PaymentNotFound)?;
    if paid.state != PaymentState::Paid.as_str() {
        return Err(PaymentError::NotPaid);
    }
    if paid.amount_fen != request.total_fen {
        return Err(PaymentError::invalid(
            "total_fen",
            format!("must be the paid amount, {} fen", paid.amount_fen),
        ));
    }
    let txn = db.begin().await?;
    let reserved = scope
        .update_payments()
        .filter(payment::Column::Id.eq(paid.id))
        .filter(payment::Column::State.eq(PaymentState::Paid.as_str()))
        .filter(
            Expr::col(payment::Column::RefundReservedFen)
                .add(request.amount_fen)
                .lte(Expr::col(payment::Column::AmountFen)),
        )
        .col_expr(
            payment::Column::RefundReservedFen,
            Expr::col(payment::Column::RefundReservedFen).add(request.amount_fen),
        )
        .exec(&txn)
        .await?;
    if reserved.rows_affected != 1 {
        txn.rollback().await?;
        let now = scope
            .payments()
            .filter(payment::Column::Id.eq(paid.id))
            .one(db)
            .await?
            .ok_or(PaymentError::PaymentNotFound)?;
        return Err(PaymentError::RefundExceedsPaid {
            refundable: now.amount_fen - now.refund_reserved_fen,
        });
    }
    let now = Utc::now();
    let row = refund::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        payment_id: Set(paid.id),
        out_trade_no: Set(request.out_trade_no.clone()),
        out_refund_no: Set(request.out_refund_no.clone()),
        amount_fen: Set(request.amount_fen),
        reason: Set(request.reason.clone()),
        notify_url: Set(request.notify_url.clone()),
        status: Set(RefundStatus::Requested.as_str().to_owned()),
        refund_id: Set(None),
        succeeded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match refund::Entity::insert(row)
        .exec_without_returning(&txn)
        .await
    {
        Ok(_) => txn.commit().await?,
        // The same out_refund_no, concurrently: theirs stands, our reservation is undone.
        Err(err) if is_unique_violation(&err) => txn.rollback().await?,
        Err(err) => return Err(err.into()),
    }
    scope
        .refund_by_out_refund_no(&request.out_refund_no)
        .one(db)
        .await?
        .ok_or(PaymentError::RefundNotFound)
}

/// Our record of a refund.
pub async fn get_refund(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    out_refund_no: &str,
) -> Result<Refund, PaymentError> {
    scoped(tenant)
        .refund_by_out_refund_no(out_refund_no)
        .one(db)
        .await?
        .map(refund_from_row)
        .ok_or(PaymentError::RefundNotFound)
}

/// Asks WeChat how a refund stands and records its progress (exactly once, as a notification
/// would): for refunds left `requested` or `processing` (a lost notification, a timed-out request).
pub async fn query_refund<C>(
    db: &C,
    clients: &PayClients,
    tenant: TenantId,
    out_refund_no: &str,
) -> Result<Refund, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let row = get_refund(db, tenant, out_refund_no).await?;
    let client = client_for_payments(db, clients, tenant).await?;
    let answer = client.query_refund(&row.out_refund_no).await?;
    if let Err(refusal) = record_refund(db, tenant, &answer).await? {
        tracing::warn!(tenant.id = %tenant, refund.out_refund_no = %out_refund_no, reason = refusal.as_str(), "WeChat's refund state not recorded");
    }
    get_refund(db, tenant, out_refund_no).await
}
