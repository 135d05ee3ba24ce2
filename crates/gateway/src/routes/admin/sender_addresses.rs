use actix_web::{HttpResponse, delete, get, post, put, web};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type SenderAddressIn = order::SenderAddressIn;
pub type SenderAddressOut = order::SenderAddress;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_sender_addresses)
        .service(create_sender_address)
        .service(update_sender_address)
        .service(delete_sender_address);
}

/// The shop's sender addresses (寄件地址) for electronic waybills, the default first.
#[utoipa::path(get, path = "/api/v1/admin/sender-addresses", tag = "orders",
    responses((status = 200, body = Vec<SenderAddressOut>), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/sender-addresses")]
async fn list_sender_addresses(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::list_sender_addresses(&state.db, &principal).await?))
}

/// Add a sender address (at most 20); the first one, or one with `is_default`, is the default.
#[utoipa::path(post, path = "/api/v1/admin/sender-addresses", tag = "orders", request_body = SenderAddressIn,
    responses((status = 201, body = SenderAddressOut), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/sender-addresses")]
async fn create_sender_address(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<SenderAddressIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created()
        .json(order::create_sender_address(&state.db, &principal, &input).await?))
}

/// Replace a sender address; `is_default: true` makes it the default.
#[utoipa::path(put, path = "/api/v1/admin/sender-addresses/{id}", tag = "orders", request_body = SenderAddressIn,
    responses((status = 200, body = SenderAddressOut), (status = 404, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/sender-addresses/{id}")]
async fn update_sender_address(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<SenderAddressIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(order::update_sender_address(&state.db, &principal, *id, &input).await?))
}

/// Delete a sender address (the oldest remaining becomes the default if it was).
#[utoipa::path(delete, path = "/api/v1/admin/sender-addresses/{id}", tag = "orders",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[delete("/sender-addresses/{id}")]
async fn delete_sender_address(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    order::delete_sender_address(&state.db, &principal, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
