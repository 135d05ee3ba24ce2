use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use payment::{NotificationHeaders, NotificationOutcome};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(receive_pay_notification);
}

/// WeChat Pay's failure answer.
#[derive(Serialize, ToSchema)]
pub struct PayNotifyFailOut {
    /// Always `FAIL`.
    pub code: &'static str,
    pub message: String,
}

fn fail(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(PayNotifyFailOut {
        code: "FAIL",
        message: message.into(),
    })
}

/// 204 once the order side is done; otherwise 500, so that WeChat delivers again and the order
/// side is retried (the payment itself stays recorded exactly once).
fn answer_after_order_side(
    tenant: kernel::TenantId,
    out_trade_no: &str,
    order_side: Result<(), crate::error::ApiError>,
) -> HttpResponse {
    match order_side {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => {
            tracing::error!(tenant.id = %tenant, order.no = %out_trade_no, error = %err,
                "the payment is recorded but updating the order failed; asking WeChat to retry");
            fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "order update failed; retry",
            )
        }
    }
}

fn header(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// WeChat Pay's payment and refund notifications for one shop. Answers 204 when recorded (or
/// recorded before); 4xx with `{"code":"FAIL"}` when refused — nothing is changed then — so
/// WeChat retries on its schedule.
#[utoipa::path(post, path = "/api/v1/pay/notify/{tenant_id}", tag = "pay",
    params(("tenant_id" = String, Path, description = "The shop's tenant id")),
    request_body(content = String, description = "WeChat Pay's signed notification envelope", content_type = "application/json"),
    responses((status = 204, description = "recorded"), (status = 400, body = PayNotifyFailOut), (status = 401, body = PayNotifyFailOut), (status = 500, body = PayNotifyFailOut)))]
#[post("/notify/{tenant_id}")]
async fn receive_pay_notification(
    state: web::Data<AppState>,
    tenant_id: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(tenant) = kernel::TenantId::parse(&tenant_id) else {
        return fail(StatusCode::NOT_FOUND, "unknown shop");
    };
    let headers = NotificationHeaders {
        timestamp: header(&request, "Wechatpay-Timestamp"),
        nonce: header(&request, "Wechatpay-Nonce"),
        signature: header(&request, "Wechatpay-Signature"),
        serial: header(&request, "Wechatpay-Serial"),
    };
    match payment::handle_notification(&state.db, &state.payments, tenant, &headers, &body).await {
        Ok(NotificationOutcome::Refused(refusal)) => {
            let status = if refusal.is_authentication() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            fail(status, refusal.as_str())
        }
        Ok(NotificationOutcome::PaymentRecorded(recorded)) => {
            let order_side = crate::flows::order_payment_recorded(&state, tenant, &recorded).await;
            answer_after_order_side(tenant, &recorded.out_trade_no, order_side)
        }
        Ok(NotificationOutcome::PaymentAlreadyRecorded { out_trade_no }) => {
            // A repeated delivery. The order side is idempotent and may have failed on an earlier
            // one (which WeChat is now retrying), so it runs again.
            let order_side =
                crate::flows::order_payment_recorded_again(&state, tenant, &out_trade_no).await;
            answer_after_order_side(tenant, &out_trade_no, order_side)
        }
        Ok(
            NotificationOutcome::RefundRecorded { out_refund_no, .. }
            | NotificationOutcome::RefundAlreadyRecorded { out_refund_no },
        ) => {
            // The after-sale side is idempotent too, and runs on every delivery.
            let after_sale_side =
                crate::flows::after_sale_refund_reported(&state, tenant, &out_refund_no).await;
            answer_after_order_side(tenant, &out_refund_no, after_sale_side)
        }
        Ok(NotificationOutcome::Ignored { .. }) => HttpResponse::NoContent().finish(),
        Err(err) => {
            tracing::error!(tenant.id = %tenant, error = %err, "WeChat Pay notification failed; WeChat will retry");
            fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
