use actix_web::{HttpResponse, patch, web};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type SkuOut = catalog::Sku;
pub type SkuPatch = catalog::SkuChanges;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(update_sku);
}

/// Change a SKU's price, list price, codes or low-stock threshold (stock: see stock adjustments).
#[utoipa::path(patch, path = "/api/v1/admin/catalog/skus/{id}", tag = "catalog", request_body = SkuPatch,
    responses((status = 200, body = SkuOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[patch("/catalog/skus/{id}")]
async fn update_sku(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(changes): JsonBody<SkuPatch>,
) -> Result<HttpResponse, ApiError> {
    let sku = catalog::update_sku(
        &state.db,
        &state.catalog_cache,
        &principal,
        id.into_inner(),
        &changes,
    )
    .await?;
    Ok(HttpResponse::Ok().json(sku))
}
