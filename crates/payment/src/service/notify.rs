//! WeChat Pay's notifications to `/api/v1/pay/notify/{tenant}`: checked with that tenant's keys,
//! then recorded exactly once.

use kernel::TenantId;
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::record::{PaymentOutcome, RefundOutcome, record_payment, record_refund};
use crate::PaymentError;
use crate::client::PayClients;
use crate::model::{NotificationHeaders, NotificationOutcome, Refusal};
use crate::notification::{Event, open};

fn refused(tenant: TenantId, refusal: Refusal) -> NotificationOutcome {
    tracing::warn!(tenant.id = %tenant, reason = refusal.as_str(), "WeChat Pay notification refused; nothing changed");
    NotificationOutcome::Refused(refusal)
}

/// Handles one notification: the signature with the tenant's WeChat Pay public key and the
/// five-minute window, `WECHATPAY/SIGNTEST/` probes refused, the resource decrypted, mchid and
/// appid checked against the tenant's configuration, and the payment or refund recorded exactly
/// once. Returns what happened; the order side checks the amount against its order and marks it
/// paid on [`NotificationOutcome::PaymentRecorded`].
pub async fn handle_notification<C>(
    db: &C,
    clients: &PayClients,
    tenant: TenantId,
    headers: &NotificationHeaders,
    raw_body: &[u8],
) -> Result<NotificationOutcome, PaymentError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Some(client) = clients.for_tenant(db, tenant).await? else {
        return Ok(refused(tenant, Refusal::PayNotConfigured));
    };
    let event = match open(&client, headers, raw_body, chrono::Utc::now().timestamp()) {
        Ok(event) => event,
        Err(refusal) => return Ok(refused(tenant, refusal)),
    };
    match event {
        Event::PaymentSucceeded(transaction) => {
            match record_payment(db, tenant, &transaction).await? {
                Ok(PaymentOutcome::New(recorded)) => {
                    Ok(NotificationOutcome::PaymentRecorded(recorded))
                }
                Ok(PaymentOutcome::Already) => Ok(NotificationOutcome::PaymentAlreadyRecorded {
                    out_trade_no: transaction.out_trade_no,
                }),
                Err(refusal) => Ok(refused(tenant, refusal)),
            }
        }
        Event::Refund(answer) => match record_refund(db, tenant, &answer).await? {
            Ok(RefundOutcome::New {
                out_trade_no,
                status,
                amount_fen,
            }) => Ok(NotificationOutcome::RefundRecorded {
                out_trade_no,
                out_refund_no: answer.out_refund_no,
                status,
                amount_fen,
            }),
            Ok(RefundOutcome::Already) => Ok(NotificationOutcome::RefundAlreadyRecorded {
                out_refund_no: answer.out_refund_no,
            }),
            Err(refusal) => Ok(refused(tenant, refusal)),
        },
        Event::Other(event_type) => {
            tracing::info!(tenant.id = %tenant, event_type = %event_type, "WeChat Pay notification ignored");
            Ok(NotificationOutcome::Ignored { event_type })
        }
    }
}
