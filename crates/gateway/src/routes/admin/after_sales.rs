//! `/api/v1/admin/after-sales/*`: the merchant's after-sales queue and its decisions.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::routes::request_base_url;
use crate::state::AppState;

pub type AfterSaleOut = order::AfterSale;
pub type AfterSaleFilter = order::AfterSaleFilter;
pub type AfterSaleRejectIn = order::AfterSaleRejectIn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_after_sales)
        .service(get_after_sale)
        .service(approve_after_sale)
        .service(reject_after_sale)
        .service(receive_after_sale_return);
}

/// The after-sales queue, oldest first, filtered; each with its age in seconds and whether it has
/// waited for the merchant past the 30-minute answer target.
#[utoipa::path(get, path = "/api/v1/admin/after-sales", tag = "orders", params(AfterSaleFilter),
    responses((status = 200, body = Vec<AfterSaleOut>), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/after-sales")]
async fn list_after_sales(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    filter: web::Query<AfterSaleFilter>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::list_after_sales(&state.db, &principal, &filter).await?))
}

/// One after-sale with its timeline.
#[utoipa::path(get, path = "/api/v1/admin/after-sales/{id}", tag = "orders",
    responses((status = 200, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/after-sales/{id}")]
async fn get_after_sale(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::get_after_sale(&state.db, &principal, *id).await?))
}

/// Approve: a refund-only after-sale is refunded through WeChat Pay at once; a return waits for
/// the goods. On one whose refund failed (`refund_failed`) or is pending, sends the refund again.
#[utoipa::path(post, path = "/api/v1/admin/after-sales/{id}/approve", tag = "orders",
    responses((status = 200, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/after-sales/{id}/approve")]
async fn approve_after_sale(
    request: HttpRequest,
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let base = request_base_url(&request);
    let approved = crate::flows::approve_after_sale(&state, &principal, *id, &base).await?;
    Ok(HttpResponse::Ok().json(approved))
}

/// Reject with a reason; the lines can be applied for again.
#[utoipa::path(post, path = "/api/v1/admin/after-sales/{id}/reject", tag = "orders", request_body = AfterSaleRejectIn,
    responses((status = 200, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/after-sales/{id}/reject")]
async fn reject_after_sale(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<AfterSaleRejectIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(
        HttpResponse::Ok()
            .json(order::reject_after_sale(&state.db, &principal, *id, &input).await?),
    )
}

/// Confirm the returned goods arrived; the refund is sent through WeChat Pay at once.
#[utoipa::path(post, path = "/api/v1/admin/after-sales/{id}/receive", tag = "orders",
    responses((status = 200, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/after-sales/{id}/receive")]
async fn receive_after_sale_return(
    request: HttpRequest,
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let base = request_base_url(&request);
    let received = crate::flows::receive_after_sale_return(&state, &principal, *id, &base).await?;
    Ok(HttpResponse::Ok().json(received))
}
