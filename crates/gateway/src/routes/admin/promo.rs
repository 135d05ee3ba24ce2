//! `/api/v1/admin/promo/flash-sales`: the merchant's flash sales (限时秒杀).

use actix_web::{HttpResponse, get, post, put, web};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type FlashSaleIn = promo::FlashSaleIn;
pub type FlashSaleOut = promo::FlashSale;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_flash_sales)
        .service(create_flash_sale)
        .service(get_flash_sale)
        .service(update_flash_sale)
        .service(stop_flash_sale);
}

/// The shop's flash sales, newest first.
#[utoipa::path(get, path = "/api/v1/admin/promo/flash-sales", tag = "promo",
    responses((status = 200, body = Vec<FlashSaleOut>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/promo/flash-sales")]
async fn list_flash_sales(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(promo::list_flash_sales(&state.db, &principal).await?))
}

/// Create a flash sale; each item's quantity is set aside from its SKU's stock at once.
#[utoipa::path(post, path = "/api/v1/admin/promo/flash-sales", tag = "promo", request_body = FlashSaleIn,
    responses((status = 201, body = FlashSaleOut), (status = 403, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/promo/flash-sales")]
async fn create_flash_sale(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<FlashSaleIn>,
) -> Result<HttpResponse, ApiError> {
    let sale = crate::flows::create_flash_sale(&state, &principal, &input).await?;
    Ok(HttpResponse::Created().json(sale))
}

/// One flash sale with its items (quantity, sold).
#[utoipa::path(get, path = "/api/v1/admin/promo/flash-sales/{id}", tag = "promo",
    responses((status = 200, body = FlashSaleOut), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/promo/flash-sales/{id}")]
async fn get_flash_sale(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(promo::get_flash_sale(&state.db, &principal, id.into_inner()).await?))
}

/// Replace a flash sale (title, times, limit, items) before it starts.
#[utoipa::path(put, path = "/api/v1/admin/promo/flash-sales/{id}", tag = "promo", request_body = FlashSaleIn,
    responses((status = 200, body = FlashSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[put("/promo/flash-sales/{id}")]
async fn update_flash_sale(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<FlashSaleIn>,
) -> Result<HttpResponse, ApiError> {
    let sale = crate::flows::update_flash_sale(&state, &principal, id.into_inner(), &input).await?;
    Ok(HttpResponse::Ok().json(sale))
}

/// Stop a scheduled or live flash sale; its unsold units go back to the SKUs.
#[utoipa::path(post, path = "/api/v1/admin/promo/flash-sales/{id}/stop", tag = "promo",
    responses((status = 200, body = FlashSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/promo/flash-sales/{id}/stop")]
async fn stop_flash_sale(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let sale = crate::flows::stop_flash_sale(&state, &principal, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(sale))
}
