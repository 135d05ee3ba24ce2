use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::ShopCustomer;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type CartOut = order::CartView;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_cart)
        .service(add_cart_line)
        .service(update_cart_line)
        .service(remove_cart_line);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineIn {
    pub sku_id: Uuid,
    /// 1 to 999; added to the line when the SKU is already in the cart.
    pub quantity: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLinePatch {
    pub quantity: i64,
}

/// The cart, each line re-checked against the current price, stock and status.
#[utoipa::path(get, path = "/api/v1/shop/cart", tag = "shop",
    responses((status = 200, body = CartOut), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/cart")]
async fn get_cart(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::view_cart(&state.db, &customer).await?))
}

/// Add a SKU to the cart.
#[utoipa::path(post, path = "/api/v1/shop/cart/lines", tag = "shop", request_body = CartLineIn,
    responses((status = 200, body = CartOut), (status = 404, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/cart/lines")]
async fn add_cart_line(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<CartLineIn>,
) -> Result<HttpResponse, ApiError> {
    let cart = order::add_cart_line(&state.db, &customer, input.sku_id, input.quantity).await?;
    Ok(HttpResponse::Ok().json(cart))
}

/// Set a cart line's quantity.
#[utoipa::path(patch, path = "/api/v1/shop/cart/lines/{id}", tag = "shop", request_body = CartLinePatch,
    responses((status = 200, body = CartOut), (status = 404, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[patch("/cart/lines/{id}")]
async fn update_cart_line(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<CartLinePatch>,
) -> Result<HttpResponse, ApiError> {
    let cart = order::set_cart_line_quantity(&state.db, &customer, id.into_inner(), input.quantity)
        .await?;
    Ok(HttpResponse::Ok().json(cart))
}

/// Remove a cart line.
#[utoipa::path(delete, path = "/api/v1/shop/cart/lines/{id}", tag = "shop",
    responses((status = 200, body = CartOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[delete("/cart/lines/{id}")]
async fn remove_cart_line(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let cart = order::remove_cart_line(&state.db, &customer, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(cart))
}
