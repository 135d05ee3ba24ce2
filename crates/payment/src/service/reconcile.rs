//! Reconciliation: the worker's queue of pending payments to ask WeChat about (a lost
//! notification never loses a sale; a failed close is retried), the flag on a payment refunded
//! because its order was cancelled first, and a China day's trade bill set against the ledger.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kernel::TenantId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::client_for_payments;
use crate::PaymentError;
use crate::bill::{Reconciliation, TradeBill, parse_trade_bill, reconcile};
use crate::client::PayClients;
use crate::entity::{ledger_entry, payment};
use crate::model::{DuePayment, LedgerKind, PaymentState};
use crate::repo::scoped;
use crate::service::ledger::ledger_of_day;

/// Payments of every shop due a check: pending ones prepared before `prepared_before` (or whose
/// close was asked for, at any age), and paid ones whose order side has not completed since
/// before `prepared_before`; not checked again before `now`; oldest prepay first, at most `limit`.
///
/// The one query across tenants in this crate, for the reconciliation worker only: each row is
/// then acted on with its own tenant in scope.
pub async fn payments_due_for_check(
    db: &impl ConnectionTrait,
    prepared_before: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DuePayment>, PaymentError> {
    let pending = payment::Column::State
        .eq(PaymentState::Pending.as_str())
        .and(payment::Column::PrepayCreatedAt.is_not_null())
        .and(
            payment::Column::PrepayCreatedAt
                .lte(prepared_before)
                .or(payment::Column::CloseRequestedAt.is_not_null()),
        );
    let order_side_pending = payment::Column::State
        .eq(PaymentState::Paid.as_str())
        .and(payment::Column::OrderSettledAt.is_null())
        .and(payment::Column::UpdatedAt.lte(prepared_before));
    let rows = payment::Entity::find()
        .filter(pending.or(order_side_pending))
        .filter(
            payment::Column::NextCheckAt
                .is_null()
                .or(payment::Column::NextCheckAt.lte(now)),
        )
        .order_by_asc(payment::Column::PrepayCreatedAt)
        .order_by_asc(payment::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| DuePayment {
            tenant_id: TenantId(row.tenant_id),
            out_trade_no: row.out_trade_no,
            check_count: row.check_count,
            close_requested: row.close_requested_at.is_some(),
            expired: row.expires_at.is_some_and(|at| at <= now),
            order_side_pending: row.state == PaymentState::Paid.as_str(),
        })
        .collect())
}

/// The wait before the check after `checks` checks: `base` doubled each time, at most `max`.
pub fn check_backoff(checks: i64, base: Duration, max: Duration) -> Duration {
    let doublings = u32::try_from(checks.clamp(0, 20)).unwrap_or(20);
    let wait = std::cmp::max(base.num_seconds(), 1).saturating_mul(1_i64 << doublings);
    Duration::seconds(std::cmp::min(wait, std::cmp::max(max.num_seconds(), 1)))
}

/// Claims the next check of a due payment for this worker: one conditional update that only
/// the worker which saw `due.check_count` can win, pushing the next check to `next_check_at`.
/// `false`: another worker (another gateway process) took it.
pub async fn claim_payment_check(
    db: &impl ConnectionTrait,
    due: &DuePayment,
    next_check_at: DateTime<Utc>,
) -> Result<bool, PaymentError> {
    let updated = scoped(due.tenant_id)
        .update_payments()
        .filter(payment::Column::OutTradeNo.eq(due.out_trade_no.as_str()))
        .filter(payment::Column::CheckCount.eq(due.check_count))
        .col_expr(
            payment::Column::CheckCount,
            Expr::col(payment::Column::CheckCount).add(1),
        )
        .col_expr(
            payment::Column::NextCheckAt,
            Expr::value(Some(next_check_at)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Notes that the order side of a paid payment completed, so the worker leaves it alone.
pub async fn mark_order_settled(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    out_trade_no: &str,
) -> Result<(), PaymentError> {
    scoped(tenant)
        .update_payments()
        .filter(payment::Column::OutTradeNo.eq(out_trade_no))
        .filter(payment::Column::State.eq(PaymentState::Paid.as_str()))
        .filter(payment::Column::OrderSettledAt.is_null())
        .col_expr(
            payment::Column::OrderSettledAt,
            Expr::value(Some(Utc::now())),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Flags the payment's ledger entry: the money arrived for an order already cancelled and was
/// refunded. `true` if this call set the flag (so a note is made once, however many deliveries).
pub async fn flag_late_payment_refunded(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    out_trade_no: &str,
) -> Result<bool, PaymentError> {
    let updated = scoped(tenant)
        .update_ledger_entries()
        .filter(ledger_entry::Column::Kind.eq(LedgerKind::Payment.as_str()))
        .filter(ledger_entry::Column::OutTradeNo.eq(out_trade_no))
        .filter(ledger_entry::Column::LatePaymentRefunded.eq(false))
        .col_expr(ledger_entry::Column::LatePaymentRefunded, Expr::value(true))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// WeChat's trade bill of one China day for the shop, set against its ledger of the same day:
/// what matched to the fen, and every difference.
pub async fn reconcile_day<C>(
    db: &C,
    clients: &PayClients,
    tenant: TenantId,
    day: NaiveDate,
) -> Result<Reconciliation, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let client = client_for_payments(db, clients, tenant).await?;
    let bill = match client.trade_bill(day).await? {
        Some(text) => parse_trade_bill(&text).map_err(PaymentError::BadResponse)?,
        None => TradeBill::default(),
    };
    let ledger = ledger_of_day(db, tenant, day).await?;
    Ok(reconcile(day, &bill, &ledger))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let (base, max) = (Duration::seconds(60), Duration::seconds(3600));
        assert_eq!(check_backoff(0, base, max), Duration::seconds(60));
        assert_eq!(check_backoff(1, base, max), Duration::seconds(120));
        assert_eq!(check_backoff(5, base, max), Duration::seconds(1920));
        assert_eq!(check_backoff(6, base, max), Duration::seconds(3600));
        assert_eq!(check_backoff(10_000, base, max), Duration::seconds(3600));
    }
}
