//! Use cases, as plain async functions taking `db` first and the tenant next.

pub mod ledger;
pub mod notify;
pub mod prepay;
pub mod reconcile;
pub mod record;
pub mod refund;

use kernel::TenantId;
use sea_orm::ConnectionTrait;
use std::sync::Arc;

use crate::PaymentError;
use crate::client::{PayClient, PayClients};
use crate::entity::{payment, refund as refund_entity};
use crate::model::{Payment, PaymentState, Refund, RefundStatus};

/// Whether a database error is a unique-constraint violation (the same on SQLite and Postgres).
pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// The tenant's client, if the shop may take payments: active, verified, WeChat Pay enabled.
pub(crate) async fn client_for_payments(
    db: &impl ConnectionTrait,
    clients: &PayClients,
    tenant: TenantId,
) -> Result<Arc<PayClient>, PaymentError> {
    let context = tenant::tenant_context(db, clients.cache(), tenant).await?;
    if context.status != tenant::TenantStatus::Active {
        return Err(PaymentError::NotEnabled("the shop is suspended"));
    }
    if context.certification_status != tenant::CertificationStatus::Verified {
        return Err(PaymentError::NotEnabled("the shop is not verified"));
    }
    if !context.pay_enabled {
        return Err(PaymentError::NotEnabled("WeChat Pay is not configured"));
    }
    clients
        .for_tenant(db, tenant)
        .await?
        .ok_or(PaymentError::NotEnabled("WeChat Pay is not configured"))
}

pub(crate) fn payment_from_row(row: payment::Model) -> Payment {
    Payment {
        id: row.id,
        out_trade_no: row.out_trade_no,
        amount_fen: row.amount_fen,
        state: PaymentState::parse(&row.state).unwrap_or(PaymentState::Pending),
        prepay_id: row.prepay_id,
        notify_url: row.notify_url,
        transaction_id: row.transaction_id,
        paid_at: row.paid_at,
        fee_fen: row.fee_fen,
        refund_reserved_fen: row.refund_reserved_fen,
        refunded_fen: row.refund_settled_fen,
    }
}

pub(crate) fn refund_from_row(row: refund_entity::Model) -> Refund {
    Refund {
        id: row.id,
        out_trade_no: row.out_trade_no,
        out_refund_no: row.out_refund_no,
        amount_fen: row.amount_fen,
        status: RefundStatus::parse(&row.status).unwrap_or(RefundStatus::Requested),
        refund_id: row.refund_id,
        succeeded_at: row.succeeded_at,
    }
}
