use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type OrderOut = order::Order;
pub type OrderFilter = order::OrderFilter;
pub type ShipOrderIn = order::ShipOrderIn;
pub type ShippedOrderOut = order::ShippedOrder;
pub type WaybillLabelOut = order::WaybillLabel;
pub type RemarkIn = order::RemarkIn;
pub type MerchantCancelIn = order::MerchantCancelIn;
pub type MerchantRefundIn = order::MerchantRefundIn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `/orders/export` before `/orders/{no}`, which would take it for an order number.
    cfg.service(list_orders)
        .service(export_orders)
        .service(batch_ship)
        .service(get_order)
        .service(cancel_order)
        .service(ship_order)
        .service(get_waybill)
        .service(set_remark)
        .service(refund_order_lines);
}

/// One order of a batch: `carrier` + `tracking_no`, or `waybill`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct BatchShipItem {
    pub order_no: String,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub waybill: Option<order::WaybillIn>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct BatchShipIn {
    /// 1 to 50 items, shipped in order, each on its own.
    pub items: Vec<BatchShipItem>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BatchShipError {
    /// The HTTP status this item alone would have had.
    pub status: u16,
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BatchShipResult {
    pub order_no: String,
    pub ok: bool,
    /// The shipped order (with its waybill, if any) when `ok`.
    pub shipped: Option<ShippedOrderOut>,
    pub error: Option<BatchShipError>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BatchShipOut {
    pub shipped: usize,
    pub failed: usize,
    /// One per item, in the request's order.
    pub results: Vec<BatchShipResult>,
}

/// The shop's orders, newest first (at most 100), filtered by status, creation time, number,
/// customer and product.
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

/// Ship a paid order with a carrier and tracking number, or with a KDNiao electronic waybill
/// (`waybill: {carrier_code, sender_address_id?}`, the default sender address if omitted; the
/// label comes back in `waybill`). The shipment is uploaded to WeChat.
#[utoipa::path(post, path = "/api/v1/admin/orders/{no}/ship", tag = "orders", request_body = ShipOrderIn,
    responses((status = 200, body = ShippedOrderOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
    (status = 502, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/ship")]
async fn ship_order(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    no: web::Path<String>,
    JsonBody(input): JsonBody<ShipOrderIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(crate::flows::ship_order(&state, &principal, &no, &input).await?))
}

/// Ship up to 50 orders at once; each item is shipped on its own and reported (ok with the order,
/// or its error code and message), so one bad item does not stop the others.
#[utoipa::path(post, path = "/api/v1/admin/orders/batch-ship", tag = "orders", request_body = BatchShipIn,
    responses((status = 200, body = BatchShipOut), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/batch-ship")]
async fn batch_ship(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<BatchShipIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(crate::flows::batch_ship(&state, &principal, &input.items).await?))
}

/// The order's electronic waybill label (print template and fields), to print again.
#[utoipa::path(get, path = "/api/v1/admin/orders/{no}/waybill", tag = "orders",
    responses((status = 200, body = WaybillLabelOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/orders/{no}/waybill")]
async fn get_waybill(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    no: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::get_waybill(&state.db, &principal, &no).await?))
}

/// The merchant's own remark on an order (≤ 200 characters; empty clears it), shown in the detail
/// and never to the customer.
#[utoipa::path(put, path = "/api/v1/admin/orders/{no}/remark", tag = "orders", request_body = RemarkIn,
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/orders/{no}/remark")]
async fn set_remark(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    no: web::Path<String>,
    JsonBody(input): JsonBody<RemarkIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(order::set_merchant_remark(&state.db, &principal, &no, &input).await?))
}

/// The list's orders as CSV (UTF-8 with BOM, for Excel): same filters, newest first, at most
/// 5,000 rows (`X-Export-Truncated: true` when more matched); amounts in fen and in yuan, times
/// in China time.
#[utoipa::path(get, path = "/api/v1/admin/orders/export", tag = "orders", params(OrderFilter),
    responses((status = 200, content_type = "text/csv", description = "UTF-8 CSV with BOM"),
    (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/orders/export")]
async fn export_orders(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    filter: web::Query<OrderFilter>,
) -> Result<HttpResponse, ApiError> {
    let export = order::export_orders_csv(&state.db, &principal, &filter).await?;
    let filename = format!("orders-{}.csv", chrono::Utc::now().format("%Y%m%d%H%M%S"));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("X-Export-Rows", export.rows.to_string()))
        .insert_header(("X-Export-Truncated", export.truncated.to_string()))
        .body(export.csv))
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
