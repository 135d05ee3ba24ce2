//! The shop's fee rate, its ledger and its daily statement.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::TenantId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use crate::PaymentError;
use crate::china_day::china_day_bounds;
use crate::entity::{ledger_entry, payment_setting};
use crate::fees::{DEFAULT_FEE_RATE_PPM, MAX_FEE_RATE_PPM};
use crate::model::{LedgerEntry, LedgerKind};
use crate::repo::scoped;
use crate::statement::Statement;

/// The shop's WeChat fee rate in parts per million (6000 = 0.6% unless set otherwise).
pub async fn fee_rate(db: &impl ConnectionTrait, tenant: TenantId) -> Result<i64, PaymentError> {
    Ok(scoped(tenant)
        .settings()
        .one(db)
        .await?
        .map_or(DEFAULT_FEE_RATE_PPM, |row| row.fee_rate_ppm))
}

/// Sets the shop's fee rate (the rate its WeChat Pay contract says). Applies to payments recorded
/// from now on; a payment's refunds always use the payment's own fee.
pub async fn set_fee_rate(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    rate_ppm: i64,
) -> Result<(), PaymentError> {
    if !(0..=MAX_FEE_RATE_PPM).contains(&rate_ppm) {
        return Err(PaymentError::invalid(
            "fee_rate_ppm",
            format!("must be between 0 and {MAX_FEE_RATE_PPM}"),
        ));
    }
    let row = payment_setting::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        fee_rate_ppm: Set(rate_ppm),
        updated_at: Set(Utc::now()),
    };
    payment_setting::Entity::insert(row)
        .on_conflict(
            OnConflict::column(payment_setting::Column::TenantId)
                .update_columns([
                    payment_setting::Column::FeeRatePpm,
                    payment_setting::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn entry_from_row(row: ledger_entry::Model) -> LedgerEntry {
    LedgerEntry {
        id: row.id,
        kind: LedgerKind::parse(&row.kind).unwrap_or(LedgerKind::Payment),
        out_trade_no: row.out_trade_no,
        out_refund_no: row.out_refund_no,
        transaction_id: row.transaction_id,
        gross_fen: row.gross_fen,
        fee_fen: row.fee_fen,
        net_fen: row.net_fen,
        late_payment_refunded: row.late_payment_refunded,
        occurred_at: row.occurred_at,
        recorded_at: row.recorded_at,
    }
}

/// The ledger entries of one China calendar day, in order.
pub async fn ledger_of_day(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    day: NaiveDate,
) -> Result<Vec<LedgerEntry>, PaymentError> {
    let (start, end) = china_day_bounds(day);
    let rows = scoped(tenant)
        .ledger_entries()
        .filter(ledger_entry::Column::OccurredAt.gte(start))
        .filter(ledger_entry::Column::OccurredAt.lt(end))
        .order_by_asc(ledger_entry::Column::OccurredAt)
        .order_by_asc(ledger_entry::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(entry_from_row).collect())
}

/// The settlement statement of one China calendar day (settled T+1).
pub async fn daily_statement(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Statement, PaymentError> {
    Ok(Statement::build(
        day,
        ledger_of_day(db, tenant, day).await?,
        now,
    ))
}
