use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type OrderOut = order::Order;
pub type OrderFilter = order::OrderFilter;
pub type ShipmentIn = order::ShipmentIn;
pub type MerchantCancelIn = order::MerchantCancelIn;
pub type MerchantRefundIn = order::MerchantRefundIn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_orders)
        .service(get_order)
        .service(cancel_order)
        .service(ship_order)
        .service(refund_order_lines);
}

/// The shop's orders, newest first, filtered by status, creation time and number.
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "orders", params(OrderFilter),
    responses((status = 200, body = Vec<OrderOut>), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/orders")]
async fn list_orders(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    filter: web::Query<OrderFilter>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::list_orders(&state.db, &principal, &filter).await?))
}

/// One order with its timeline (every transition: from, to, actor, reason, time).
#[utoipa::path(get, path = "/api/v1/admin/orders/{no}", tag = "orders",
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/orders/{no}")]
async fn get_order(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    no: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::get_order(&state.db, &principal, &no).await?))
}

/// Cancel an unpaid order with a reason; its stock is returned.
#[utoipa::path(post, path = "/api/v1/admin/orders/{no}/cancel", tag = "orders", request_body = MerchantCancelIn,
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/cancel")]
async fn cancel_order(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    no: web::Path<String>,
    JsonBody(input): JsonBody<MerchantCancelIn>,
) -> Result<HttpResponse, ApiError> {
    let cancelled = crate::flows::cancel_order_by_merchant(&state, &principal, &no, &input).await?;
    Ok(HttpResponse::Ok().json(cancelled))
}

/// Ship a paid order with a carrier and tracking number; the shipment is uploaded to WeChat.
#[utoipa::path(post, path = "/api/v1/admin/orders/{no}/ship", tag = "orders", request_body = ShipmentIn,
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/ship")]
async fn ship_order(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    no: web::Path<String>,
    JsonBody(input): JsonBody<ShipmentIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(crate::flows::ship_order(&state, &principal, &no, &input).await?))
}

/// Refund lines of a paid, shipped or completed order: an after-sale made by the merchant,
/// approved at once and refunded through WeChat Pay.
#[utoipa::path(post, path = "/api/v1/admin/orders/{no}/refunds", tag = "orders", request_body = MerchantRefundIn,
    responses((status = 201, body = order::AfterSale), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/refunds")]
async fn refund_order_lines(
    request: HttpRequest,
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    no: web::Path<String>,
    JsonBody(input): JsonBody<MerchantRefundIn>,
) -> Result<HttpResponse, ApiError> {
    let base = crate::routes::request_base_url(&request);
    let refunded = crate::flows::refund_order_lines(&state, &principal, &no, &input, &base).await?;
    Ok(HttpResponse::Created().json(refunded))
}
