use actix_web::{HttpResponse, get, patch, post, web};
use kernel::PageRequest;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type ProductIn = catalog::NewProduct;
pub type ProductOut = catalog::Product;
pub type ProductPatch = catalog::ProductChanges;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_products)
        .service(create_product)
        .service(set_products_status)
        .service(get_product)
        .service(update_product)
        .service(set_product_status);
}

#[derive(Deserialize, IntoParams)]
pub struct ProductListQuery {
    /// draft, on_sale or off_shelf
    pub status: Option<catalog::ProductStatus>,
    pub limit: Option<u64>,
    pub cursor: Option<Uuid>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductStatusIn {
    pub status: catalog::ProductStatus,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchStatusIn {
    pub product_ids: Vec<Uuid>,
    pub status: catalog::ProductStatus,
}

/// The shop's products, newest first, with their SKUs.
#[utoipa::path(get, path = "/api/v1/admin/catalog/products", tag = "catalog", params(ProductListQuery),
    responses((status = 200, body = inline(kernel::Page<ProductOut>))), security(("bearer" = [])))]
#[get("/catalog/products")]
async fn list_products(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    query: web::Query<ProductListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest {
        limit: query.limit,
        cursor: query.cursor,
    };
    let products = catalog::list_products(&state.db, &principal, query.status, &page).await?;
    Ok(HttpResponse::Ok().json(products))
}

/// Create a product (as a draft) with its spec attributes and one SKU per combination.
#[utoipa::path(post, path = "/api/v1/admin/catalog/products", tag = "catalog", request_body = ProductIn,
    responses((status = 201, body = ProductOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/catalog/products")]
async fn create_product(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<ProductIn>,
) -> Result<HttpResponse, ApiError> {
    let product =
        catalog::create_product(&state.db, &state.catalog_cache, &principal, &input).await?;
    Ok(HttpResponse::Created().json(product))
}

/// One product with its SKUs.
#[utoipa::path(get, path = "/api/v1/admin/catalog/products/{id}", tag = "catalog",
    responses((status = 200, body = ProductOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/catalog/products/{id}")]
async fn get_product(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let product = catalog::get_product(&state.db, &principal, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(product))
}

/// Change a product's title, images, detail, category, tags, weights or qualification number.
#[utoipa::path(patch, path = "/api/v1/admin/catalog/products/{id}", tag = "catalog", request_body = ProductPatch,
    responses((status = 200, body = ProductOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[patch("/catalog/products/{id}")]
async fn update_product(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(changes): JsonBody<ProductPatch>,
) -> Result<HttpResponse, ApiError> {
    let product = catalog::update_product(
        &state.db,
        &state.catalog_cache,
        &principal,
        id.into_inner(),
        &changes,
    )
    .await?;
    Ok(HttpResponse::Ok().json(product))
}

/// Put a product on sale or off the shelf (draft → on_sale ⇄ off_shelf).
#[utoipa::path(post, path = "/api/v1/admin/catalog/products/{id}/status", tag = "catalog", request_body = ProductStatusIn,
    responses((status = 200, body = ProductOut), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/catalog/products/{id}/status")]
async fn set_product_status(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<ProductStatusIn>,
) -> Result<HttpResponse, ApiError> {
    let product = catalog::set_product_status(
        &state.db,
        &state.catalog_cache,
        &principal,
        id.into_inner(),
        input.status,
    )
    .await?;
    Ok(HttpResponse::Ok().json(product))
}

/// Put many products on sale or off the shelf; each that cannot move is reported.
#[utoipa::path(post, path = "/api/v1/admin/catalog/products/batch-status", tag = "catalog", request_body = BatchStatusIn,
    responses((status = 200, body = catalog::BatchStatusOutcome)), security(("bearer" = [])))]
#[post("/catalog/products/batch-status")]
async fn set_products_status(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<BatchStatusIn>,
) -> Result<HttpResponse, ApiError> {
    let outcome = catalog::set_products_status(
        &state.db,
        &state.catalog_cache,
        &principal,
        &input.product_ids,
        input.status,
    )
    .await?;
    Ok(HttpResponse::Ok().json(outcome))
}
