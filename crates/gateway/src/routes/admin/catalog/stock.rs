use actix_web::{HttpResponse, get, post, web};
use kernel::PageRequest;
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type StockAdjustmentIn = catalog::NewStockAdjustment;
pub type StockAdjustmentOut = catalog::StockAdjustment;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_stock_adjustment)
        .service(list_stock_adjustments)
        .service(list_low_stock)
        .service(list_low_stock_alerts);
}

/// Change a SKU's stock by a recorded adjustment (never below zero).
#[utoipa::path(post, path = "/api/v1/admin/catalog/skus/{id}/stock-adjustments", tag = "catalog", request_body = StockAdjustmentIn,
    responses((status = 201, body = StockAdjustmentOut), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/catalog/skus/{id}/stock-adjustments")]
async fn create_stock_adjustment(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<StockAdjustmentIn>,
) -> Result<HttpResponse, ApiError> {
    let entry =
        crate::flows::adjust_stock_by_merchant(&state, &principal, id.into_inner(), &input).await?;
    Ok(HttpResponse::Created().json(entry))
}

/// A SKU's stock ledger, newest first.
#[utoipa::path(get, path = "/api/v1/admin/catalog/skus/{id}/stock-adjustments", tag = "catalog",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<Uuid>, Query)),
    responses((status = 200, body = inline(kernel::Page<StockAdjustmentOut>)), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/catalog/skus/{id}/stock-adjustments")]
async fn list_stock_adjustments(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let ledger =
        catalog::list_stock_adjustments(&state.db, &principal, id.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(ledger))
}

/// SKUs at or below their low-stock threshold.
#[utoipa::path(get, path = "/api/v1/admin/catalog/low-stock", tag = "catalog",
    responses((status = 200, body = [catalog::LowStockSku])), security(("bearer" = [])))]
#[get("/catalog/low-stock")]
async fn list_low_stock(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let skus = catalog::list_low_stock(&state.db, &principal).await?;
    Ok(HttpResponse::Ok().json(skus))
}

/// Low-stock alert events (one per crossing of a SKU's threshold), newest first.
#[utoipa::path(get, path = "/api/v1/admin/catalog/low-stock-alerts", tag = "catalog",
    params(("limit" = Option<u64>, Query), ("cursor" = Option<Uuid>, Query)),
    responses((status = 200, body = inline(kernel::Page<catalog::LowStockAlert>))), security(("bearer" = [])))]
#[get("/catalog/low-stock-alerts")]
async fn list_low_stock_alerts(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let alerts = catalog::list_low_stock_alerts(&state.db, &principal, &page).await?;
    Ok(HttpResponse::Ok().json(alerts))
}
