//! Preparing a JSAPI payment, querying it at WeChat, closing it.

use chrono::{Duration, Utc};
use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};

use super::record::{PaymentOutcome, record_payment};
use super::{client_for_payments, is_unique_violation, payment_from_row};
use crate::client::PayClients;
use crate::entity::payment;
use crate::model::{Payment, PaymentQuery, PaymentRequest, PaymentState, RequestPaymentParams};
use crate::repo::scoped;
use crate::{PaymentError, parse};

/// A prepay_id lives 2 hours at WeChat; reuse it for a bit less.
const PREPAY_REUSE: Duration = Duration::minutes(110);

fn same_params(row: &payment::Model, request: &PaymentRequest) -> bool {
    row.description == request.description
        && row.amount_fen == request.amount_fen
        && row.payer_openid == request.payer_openid
        && row.notify_url == request.notify_url
        && row.expires_at.map(|at| at.timestamp()) == request.expires_at.map(|at| at.timestamp())
}

/// Prepares a mini-program payment: a JSAPI prepay at WeChat (reused when asked again with the
/// same out_trade_no and parameters), and the signed `wx.requestPayment` parameters.
pub async fn prepare_jsapi_payment<C>(
    db: &C,
    clients: &PayClients,
    tenant: TenantId,
    request: PaymentRequest,
) -> Result<RequestPaymentParams, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    parse::payment_request(&request)?;
    let client = client_for_payments(db, clients, tenant).await?;
    let scope = scoped(tenant);
    let existing = scope
        .payment_by_out_trade_no(&request.out_trade_no)
        .one(db)
        .await?;
    if let Some(row) = &existing {
        match PaymentState::parse(&row.state) {
            Some(PaymentState::Paid) => return Err(PaymentError::AlreadyPaid),
            Some(PaymentState::Closed) => return Err(PaymentError::Closed),
            _ => {}
        }
        if !same_params(row, &request) {
            return Err(PaymentError::ParamsChanged);
        }
        if let (Some(prepay_id), Some(created)) = (&row.prepay_id, row.prepay_created_at)
            && Utc::now() - created < PREPAY_REUSE
        {
            return Ok(client.request_payment_params(prepay_id));
        }
    }
    let prepay_id = client.jsapi_prepay(&request).await?;
    let now = Utc::now();
    match existing {
        Some(row) => {
            scope
                .update_payments()
                .filter(payment::Column::Id.eq(row.id))
                .col_expr(
                    payment::Column::PrepayId,
                    Expr::value(Some(prepay_id.clone())),
                )
                .col_expr(payment::Column::PrepayCreatedAt, Expr::value(Some(now)))
                .col_expr(payment::Column::UpdatedAt, Expr::value(now))
                .exec(db)
                .await?;
        }
        None => {
            let row = payment::ActiveModel {
                tenant_id: Set(scope.tenant()),
                id: Set(kernel::new_id()),
                out_trade_no: Set(request.out_trade_no.clone()),
                description: Set(request.description.clone()),
                amount_fen: Set(request.amount_fen),
                payer_openid: Set(request.payer_openid.clone()),
                notify_url: Set(request.notify_url.clone()),
                expires_at: Set(request.expires_at),
                prepay_id: Set(Some(prepay_id.clone())),
                prepay_created_at: Set(Some(now)),
                state: Set(PaymentState::Pending.as_str().to_owned()),
                transaction_id: Set(None),
                paid_at: Set(None),
                fee_rate_ppm: Set(None),
                fee_fen: Set(None),
                refund_reserved_fen: Set(0),
                refund_settled_fen: Set(0),
                next_check_at: Set(None),
                check_count: Set(0),
                close_requested_at: Set(None),
                order_settled_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            };
            match payment::Entity::insert(row)
                .exec_without_returning(db)
                .await
            {
                Ok(_) => {}
                // Prepared concurrently with the same out_trade_no: WeChat accepted both only
                // because the parameters were the same, so the other row is as good as ours.
                Err(err) if is_unique_violation(&err) => {
                    let other = scope
                        .payment_by_out_trade_no(&request.out_trade_no)
                        .one(db)
                        .await?
                        .ok_or(PaymentError::PaymentNotFound)?;
                    if !same_params(&other, &request) {
                        return Err(PaymentError::ParamsChanged);
                    }
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
    tracing::info!(tenant.id = %tenant, payment.out_trade_no = %request.out_trade_no, "prepay created");
    Ok(client.request_payment_params(&prepay_id))
}

/// Our record of a payment.
pub async fn get_payment(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    out_trade_no: &str,
) -> Result<Payment, PaymentError> {
    scoped(tenant)
        .payment_by_out_trade_no(out_trade_no)
        .one(db)
        .await?
        .map(payment_from_row)
        .ok_or(PaymentError::PaymentNotFound)
}

/// Asks WeChat about a payment. When WeChat says it is paid, it is recorded (exactly once, as a
/// notification would), so a lost notification does not lose a sale.
pub async fn query_payment<C>(
    db: &C,
    clients: &PayClients,
    tenant: TenantId,
    out_trade_no: &str,
) -> Result<PaymentQuery, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let client = client_for_payments(db, clients, tenant).await?;
    let transaction = client.query_by_out_trade_no(out_trade_no).await?;
    let recorded = if transaction.trade_state == "SUCCESS" {
        match record_payment(db, tenant, &transaction).await? {
            Ok(PaymentOutcome::New(recorded)) => Some(recorded),
            Ok(PaymentOutcome::Already) => None,
            Err(refusal) => {
                tracing::warn!(tenant.id = %tenant, payment.out_trade_no = %out_trade_no, reason = refusal.as_str(), "WeChat reports a payment we cannot record");
                None
            }
        }
    } else {
        None
    };
    Ok(PaymentQuery {
        trade_state: transaction.trade_state.clone(),
        transaction_id: transaction.transaction_id.clone(),
        amount_fen: transaction.amount.as_ref().and_then(|amount| amount.total),
        success_time: crate::client::parse_time(transaction.success_time.as_deref()),
        recorded,
    })
}

/// Closes an unpaid payment at WeChat (the order was cancelled or timed out), then here.
/// Closing twice is fine; closing a paid payment is `payment.already_paid` (refund it instead).
pub async fn close_payment<C>(
    db: &C,
    clients: &PayClients,
    tenant: TenantId,
    out_trade_no: &str,
) -> Result<(), PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let row = scoped(tenant)
        .payment_by_out_trade_no(out_trade_no)
        .one(db)
        .await?
        .ok_or(PaymentError::PaymentNotFound)?;
    match PaymentState::parse(&row.state) {
        Some(PaymentState::Paid) => return Err(PaymentError::AlreadyPaid),
        Some(PaymentState::Closed) => return Ok(()),
        _ => {}
    }
    let client = client_for_payments(db, clients, tenant).await?;
    // Asked for before WeChat is called: if the call fails, the reconciliation worker retries it.
    if row.close_requested_at.is_none() {
        scoped(tenant)
            .update_payments()
            .filter(payment::Column::Id.eq(row.id))
            .filter(payment::Column::State.eq(PaymentState::Pending.as_str()))
            .col_expr(
                payment::Column::CloseRequestedAt,
                Expr::value(Some(Utc::now())),
            )
            .col_expr(
                payment::Column::NextCheckAt,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .exec(db)
            .await?;
    }
    client.close(out_trade_no).await?;
    scoped(tenant)
        .update_payments()
        .filter(payment::Column::Id.eq(row.id))
        .filter(payment::Column::State.eq(PaymentState::Pending.as_str()))
        .col_expr(
            payment::Column::State,
            Expr::value(PaymentState::Closed.as_str()),
        )
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .exec(db)
        .await?;
    tracing::info!(tenant.id = %tenant, payment.out_trade_no = %out_trade_no, "payment closed");
    Ok(())
}
