//! `/api/v1/shop/*after-sales*`: the customer's after-sales on their own orders.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use crate::auth::ShopCustomer;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type AfterSaleIn = order::AfterSaleIn;
pub type AfterSaleOut = order::AfterSale;
pub type ReturnWaybillIn = order::ReturnWaybillIn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(apply_after_sale)
        .service(list_after_sales)
        .service(get_after_sale)
        .service(submit_return_waybill)
        .service(withdraw_after_sale);
}

/// Apply for a refund (`refund_only`) or a return (`return_and_refund`) on lines of a paid,
/// shipped or completed order (completed: within 7 days).
#[utoipa::path(post, path = "/api/v1/shop/orders/{no}/after-sales", tag = "shop", request_body = AfterSaleIn,
    responses((status = 201, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/after-sales")]
async fn apply_after_sale(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    no: web::Path<String>,
    JsonBody(input): JsonBody<AfterSaleIn>,
) -> Result<HttpResponse, ApiError> {
    let applied = order::apply_after_sale(&state.db, &customer, &no, &input).await?;
    Ok(HttpResponse::Created().json(applied))
}

/// The customer's after-sales, newest first.
#[utoipa::path(get, path = "/api/v1/shop/after-sales", tag = "shop",
    responses((status = 200, body = Vec<AfterSaleOut>), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/after-sales")]
async fn list_after_sales(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::list_customer_after_sales(&state.db, &customer).await?))
}

/// One of the customer's after-sales, with its timeline.
#[utoipa::path(get, path = "/api/v1/shop/after-sales/{id}", tag = "shop",
    responses((status = 200, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/after-sales/{id}")]
async fn get_after_sale(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::get_customer_after_sale(&state.db, &customer, *id).await?))
}

/// The return's carrier and waybill number, once the merchant approved the return.
#[utoipa::path(post, path = "/api/v1/shop/after-sales/{id}/return-waybill", tag = "shop", request_body = ReturnWaybillIn,
    responses((status = 200, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/after-sales/{id}/return-waybill")]
async fn submit_return_waybill(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<ReturnWaybillIn>,
) -> Result<HttpResponse, ApiError> {
    let submitted = order::submit_return_waybill(&state.db, &customer, *id, &input).await?;
    Ok(HttpResponse::Ok().json(submitted))
}

/// Withdraw an after-sale the merchant has not refunded (nor received goods for).
#[utoipa::path(post, path = "/api/v1/shop/after-sales/{id}/withdraw", tag = "shop",
    responses((status = 200, body = AfterSaleOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/after-sales/{id}/withdraw")]
async fn withdraw_after_sale(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::withdraw_after_sale(&state.db, &customer, *id).await?))
}
