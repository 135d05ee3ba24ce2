//! Recording what WeChat says happened, exactly once: each state change is a conditional update
//! (`… WHERE state IN (…)`) that only one delivery can win, and the ledger entry is written in
//! the same transaction, with a unique index on (tenant, kind, source) as the final guard.

use chrono::Utc;
use kernel::TenantId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};

use super::is_unique_violation;
use super::ledger::fee_rate;
use crate::PaymentError;
use crate::client::{RefundAnswer, Transaction, parse_time};
use crate::entity::{ledger_entry, payment, refund};
use crate::fees::{payment_fee, refund_fee_reversal};
use crate::model::{LedgerKind, PaymentRecorded, PaymentState, RefundStatus, Refusal};
use crate::repo::scoped;

pub(crate) enum PaymentOutcome {
    New(PaymentRecorded),
    Already,
}

pub(crate) enum RefundOutcome {
    New {
        out_trade_no: String,
        status: RefundStatus,
        amount_fen: i64,
    },
    Already,
}

struct Entry<'a> {
    kind: LedgerKind,
    source_id: uuid::Uuid,
    out_trade_no: &'a str,
    out_refund_no: Option<&'a str>,
    transaction_id: Option<&'a str>,
    gross_fen: i64,
    fee_fen: i64,
    occurred_at: chrono::DateTime<Utc>,
}

/// Inserts the ledger entry; `false` when it exists already (the unique index said so).
async fn insert_entry(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    entry: Entry<'_>,
) -> Result<bool, PaymentError> {
    let row = ledger_entry::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        kind: Set(entry.kind.as_str().to_owned()),
        source_id: Set(entry.source_id),
        out_trade_no: Set(entry.out_trade_no.to_owned()),
        out_refund_no: Set(entry.out_refund_no.map(str::to_owned)),
        transaction_id: Set(entry.transaction_id.map(str::to_owned)),
        gross_fen: Set(entry.gross_fen),
        fee_fen: Set(entry.fee_fen),
        net_fen: Set(entry.gross_fen - entry.fee_fen),
        late_payment_refunded: Set(false),
        occurred_at: Set(entry.occurred_at),
        recorded_at: Set(Utc::now()),
    };
    match ledger_entry::Entity::insert(row)
        .exec_without_returning(txn)
        .await
    {
        Ok(_) => Ok(true),
        Err(err) if is_unique_violation(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Records a successful payment reported by WeChat (notification or query).
pub(crate) async fn record_payment<C>(
    db: &C,
    tenant: TenantId,
    transaction: &Transaction,
) -> Result<Result<PaymentOutcome, Refusal>, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let scope = scoped(tenant);
    let Some(row) = scope
        .payment_by_out_trade_no(&transaction.out_trade_no)
        .one(db)
        .await?
    else {
        return Ok(Err(Refusal::UnknownPayment));
    };
    let Some(transaction_id) = transaction.transaction_id.as_deref() else {
        return Ok(Err(Refusal::MalformedBody));
    };
    if transaction.amount.as_ref().and_then(|amount| amount.total) != Some(row.amount_fen) {
        return Ok(Err(Refusal::AmountMismatch));
    }
    if row.state == PaymentState::Paid.as_str() {
        return Ok(Ok(PaymentOutcome::Already));
    }
    let rate = fee_rate(db, tenant).await?;
    let fee = payment_fee(row.amount_fen, rate);
    let paid_at = parse_time(transaction.success_time.as_deref()).unwrap_or_else(Utc::now);

    let txn = db.begin().await?;
    // The one transition: whichever delivery updates the row first wins; the others match nothing.
    let updated = scope
        .update_payments()
        .filter(payment::Column::Id.eq(row.id))
        .filter(payment::Column::State.is_in([
            PaymentState::Pending.as_str(),
            PaymentState::Closed.as_str(),
        ]))
        .col_expr(
            payment::Column::State,
            Expr::value(PaymentState::Paid.as_str()),
        )
        .col_expr(
            payment::Column::TransactionId,
            Expr::value(Some(transaction_id.to_owned())),
        )
        .col_expr(payment::Column::PaidAt, Expr::value(Some(paid_at)))
        .col_expr(payment::Column::FeeRatePpm, Expr::value(Some(rate)))
        .col_expr(payment::Column::FeeFen, Expr::value(Some(fee)))
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(Ok(PaymentOutcome::Already));
    }
    let inserted = insert_entry(
        &txn,
        tenant,
        Entry {
            kind: LedgerKind::Payment,
            source_id: row.id,
            out_trade_no: &row.out_trade_no,
            out_refund_no: None,
            transaction_id: Some(transaction_id),
            gross_fen: row.amount_fen,
            fee_fen: fee,
            occurred_at: paid_at,
        },
    )
    .await?;
    if !inserted {
        txn.rollback().await?;
        return Ok(Ok(PaymentOutcome::Already));
    }
    txn.commit().await?;
    tracing::info!(tenant.id = %tenant, payment.out_trade_no = %row.out_trade_no, payment.amount_fen = row.amount_fen, "payment recorded");
    Ok(Ok(PaymentOutcome::New(PaymentRecorded {
        out_trade_no: row.out_trade_no,
        transaction_id: transaction_id.to_owned(),
        amount_fen: row.amount_fen,
        paid_at,
        was_closed: row.state == PaymentState::Closed.as_str(),
    })))
}

fn refund_status_of(wechat_status: Option<&str>) -> Option<RefundStatus> {
    match wechat_status? {
        "SUCCESS" => Some(RefundStatus::Succeeded),
        "CLOSED" => Some(RefundStatus::Closed),
        "ABNORMAL" => Some(RefundStatus::Abnormal),
        "PROCESSING" => Some(RefundStatus::Processing),
        _ => None,
    }
}

/// Records a refund's progress reported by WeChat (refund answer or notification).
pub(crate) async fn record_refund<C>(
    db: &C,
    tenant: TenantId,
    answer: &RefundAnswer,
) -> Result<Result<RefundOutcome, Refusal>, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let scope = scoped(tenant);
    let Some(row) = scope
        .refund_by_out_refund_no(&answer.out_refund_no)
        .one(db)
        .await?
    else {
        return Ok(Err(Refusal::UnknownRefund));
    };
    let Some(status) = refund_status_of(answer.status.as_deref()) else {
        return Ok(Err(Refusal::MalformedBody));
    };
    let from: &[&str] = match status {
        RefundStatus::Succeeded => &["requested", "processing", "abnormal"],
        RefundStatus::Closed | RefundStatus::Abnormal => &["requested", "processing"],
        RefundStatus::Processing => &["requested"],
        RefundStatus::Requested | RefundStatus::Failed => &[],
    };
    let now = Utc::now();
    let succeeded_at = (status == RefundStatus::Succeeded)
        .then(|| parse_time(answer.success_time.as_deref()).unwrap_or(now));

    let txn = db.begin().await?;
    let mut update = scope
        .update_refunds()
        .filter(refund::Column::Id.eq(row.id))
        .filter(refund::Column::Status.is_in(from.iter().copied()))
        .col_expr(refund::Column::Status, Expr::value(status.as_str()))
        .col_expr(refund::Column::SucceededAt, Expr::value(succeeded_at))
        .col_expr(refund::Column::UpdatedAt, Expr::value(now));
    if let Some(refund_id) = &answer.refund_id {
        update = update.col_expr(
            refund::Column::RefundId,
            Expr::value(Some(refund_id.clone())),
        );
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(Ok(RefundOutcome::Already));
    }
    match status {
        RefundStatus::Succeeded => {
            // Settle it on the payment first: the update locks the payment row, so refunds of
            // one payment settle one at a time and each sees the total before it.
            scope
                .update_payments()
                .filter(payment::Column::Id.eq(row.payment_id))
                .col_expr(
                    payment::Column::RefundSettledFen,
                    Expr::col(payment::Column::RefundSettledFen).add(row.amount_fen),
                )
                .exec(&txn)
                .await?;
            let paid = scope
                .payments()
                .filter(payment::Column::Id.eq(row.payment_id))
                .one(&txn)
                .await?
                .ok_or(PaymentError::PaymentNotFound)?;
            let before = paid.refund_settled_fen - row.amount_fen;
            let reversal = refund_fee_reversal(
                paid.amount_fen,
                paid.fee_fen.unwrap_or(0),
                before,
                row.amount_fen,
            );
            let inserted = insert_entry(
                &txn,
                tenant,
                Entry {
                    kind: LedgerKind::Refund,
                    source_id: row.id,
                    out_trade_no: &row.out_trade_no,
                    out_refund_no: Some(&row.out_refund_no),
                    transaction_id: paid.transaction_id.as_deref(),
                    gross_fen: -row.amount_fen,
                    fee_fen: -reversal,
                    occurred_at: succeeded_at.unwrap_or(now),
                },
            )
            .await?;
            if !inserted {
                txn.rollback().await?;
                return Ok(Ok(RefundOutcome::Already));
            }
        }
        RefundStatus::Closed => {
            // The money never left: it may be refunded again.
            release_reservation(&txn, tenant, row.payment_id, row.amount_fen).await?;
        }
        _ => {}
    }
    txn.commit().await?;
    tracing::info!(tenant.id = %tenant, refund.out_refund_no = %row.out_refund_no, refund.status = status.as_str(), "refund progressed");
    Ok(Ok(RefundOutcome::New {
        out_trade_no: row.out_trade_no,
        status,
        amount_fen: row.amount_fen,
    }))
}

pub(crate) async fn release_reservation(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    payment_id: uuid::Uuid,
    amount_fen: i64,
) -> Result<(), PaymentError> {
    scoped(tenant)
        .update_payments()
        .filter(payment::Column::Id.eq(payment_id))
        .col_expr(
            payment::Column::RefundReservedFen,
            Expr::col(payment::Column::RefundReservedFen).sub(amount_fen),
        )
        .exec(db)
        .await?;
    Ok(())
}
