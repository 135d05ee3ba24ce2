use actix_web::{HttpResponse, delete, get, post, put, web};
use uuid::Uuid;

use crate::auth::ShopCustomer;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type AddressIn = order::AddressIn;
pub type AddressOut = order::Address;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_addresses)
        .service(create_address)
        .service(update_address)
        .service(delete_address);
}

/// The customer's shipping addresses, the default first.
#[utoipa::path(get, path = "/api/v1/shop/addresses", tag = "shop",
    responses((status = 200, body = Vec<AddressOut>), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/addresses")]
async fn list_addresses(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::list_addresses(&state.db, &customer).await?))
}

/// Add a shipping address (the first one is the default).
#[utoipa::path(post, path = "/api/v1/shop/addresses", tag = "shop", request_body = AddressIn,
    responses((status = 201, body = AddressOut), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/addresses")]
async fn create_address(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<AddressIn>,
) -> Result<HttpResponse, ApiError> {
    let address = order::create_address(&state.db, &customer, &input).await?;
    Ok(HttpResponse::Created().json(address))
}

/// Replace a shipping address.
#[utoipa::path(put, path = "/api/v1/shop/addresses/{id}", tag = "shop", request_body = AddressIn,
    responses((status = 200, body = AddressOut), (status = 404, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/addresses/{id}")]
async fn update_address(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<AddressIn>,
) -> Result<HttpResponse, ApiError> {
    let address = order::update_address(&state.db, &customer, id.into_inner(), &input).await?;
    Ok(HttpResponse::Ok().json(address))
}

/// Delete a shipping address.
#[utoipa::path(delete, path = "/api/v1/shop/addresses/{id}", tag = "shop",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[delete("/addresses/{id}")]
async fn delete_address(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    order::delete_address(&state.db, &customer, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
