use actix_web::{HttpResponse, get, patch, post, web};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

/// A category as the merchant sees it.
pub type CategoryOut = catalog::Category;
pub type CategoryIn = catalog::NewCategory;
pub type CategoryPatch = catalog::CategoryChanges;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_categories)
        .service(create_category)
        .service(update_category);
}

/// Every category of the shop, parents before children, in display order.
#[utoipa::path(get, path = "/api/v1/admin/catalog/categories", tag = "catalog",
    responses((status = 200, body = [CategoryOut])), security(("bearer" = [])))]
#[get("/catalog/categories")]
async fn list_categories(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let categories = catalog::list_categories(&state.db, &principal).await?;
    Ok(HttpResponse::Ok().json(categories))
}

/// Create a category (top level, or under a parent; three levels at most).
#[utoipa::path(post, path = "/api/v1/admin/catalog/categories", tag = "catalog", request_body = CategoryIn,
    responses((status = 201, body = CategoryOut), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/catalog/categories")]
async fn create_category(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<CategoryIn>,
) -> Result<HttpResponse, ApiError> {
    let category =
        catalog::create_category(&state.db, &state.catalog_cache, &principal, &input).await?;
    Ok(HttpResponse::Created().json(category))
}

/// Rename, reorder, show or hide a category, or change the qualification it needs.
#[utoipa::path(patch, path = "/api/v1/admin/catalog/categories/{id}", tag = "catalog", request_body = CategoryPatch,
    responses((status = 200, body = CategoryOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[patch("/catalog/categories/{id}")]
async fn update_category(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(changes): JsonBody<CategoryPatch>,
) -> Result<HttpResponse, ApiError> {
    let category = catalog::update_category(
        &state.db,
        &state.catalog_cache,
        &principal,
        id.into_inner(),
        &changes,
    )
    .await?;
    Ok(HttpResponse::Ok().json(category))
}
