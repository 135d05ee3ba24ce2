//! `/api/v1/shop/catalog/*`: what shoppers of the calling mini-program's shop see.

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use crate::auth::ShopTenant;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_category_tree)
        .service(list_products)
        .service(get_product);
}

/// The shop's visible category tree.
#[utoipa::path(get, path = "/api/v1/shop/catalog/categories", tag = "shop",
    params(("X-WX-Appid" = Option<String>, Header, description = "the calling mini-program's appid")),
    responses((status = 200, body = [catalog::CategoryNode])))]
#[get("/catalog/categories")]
async fn get_category_tree(
    ShopTenant(shop): ShopTenant,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tree = catalog::shop_category_tree(&state.db, &state.catalog_cache, shop.tenant_id).await?;
    Ok(HttpResponse::Ok().json(tree))
}

/// On-sale products by category, tag or keyword, sorted, with a cursor for the next page.
#[utoipa::path(get, path = "/api/v1/shop/catalog/products", tag = "shop",
    params(("X-WX-Appid" = Option<String>, Header, description = "the calling mini-program's appid"),
        ("category_id" = Option<Uuid>, Query), ("tag" = Option<String>, Query), ("q" = Option<String>, Query),
        ("sort" = Option<catalog::ProductSort>, Query), ("cursor" = Option<String>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = catalog::ShopProductPage), (status = 422, body = crate::error::ErrorBody)))]
#[get("/catalog/products")]
async fn list_products(
    ShopTenant(shop): ShopTenant,
    state: web::Data<AppState>,
    query: web::Query<catalog::ShopProductQuery>,
) -> Result<HttpResponse, ApiError> {
    let page =
        catalog::shop_product_list(&state.db, &state.catalog_cache, shop.tenant_id, &query).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// An on-sale product with its specs, SKUs, price range and stock status.
#[utoipa::path(get, path = "/api/v1/shop/catalog/products/{id}", tag = "shop",
    params(("X-WX-Appid" = Option<String>, Header, description = "the calling mini-program's appid")),
    responses((status = 200, body = catalog::ShopProductDetail), (status = 404, body = crate::error::ErrorBody)))]
#[get("/catalog/products/{id}")]
async fn get_product(
    ShopTenant(shop): ShopTenant,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let detail = catalog::shop_product_detail(
        &state.db,
        &state.catalog_cache,
        shop.tenant_id,
        id.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}
