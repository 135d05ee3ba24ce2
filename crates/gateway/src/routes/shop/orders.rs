use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::ShopCustomer;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type CheckoutIn = order::CheckoutIn;
pub type CheckoutOut = order::Pricing;
pub type OrderOut = order::Order;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(preview_checkout)
        .service(submit_order)
        .service(list_orders)
        .service(get_order)
        .service(cancel_order)
        .service(pay_order)
        .service(confirm_receipt)
        .service(track_order);
}

/// What the order would cost: lines, goods, discounts, freight and payable, each with its rule.
#[utoipa::path(post, path = "/api/v1/shop/checkout/preview", tag = "shop", request_body = CheckoutIn,
    responses((status = 200, body = CheckoutOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/checkout/preview")]
async fn preview_checkout(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<CheckoutIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::preview_checkout(&state.db, &customer, &input).await?))
}

/// Place the order (the `Idempotency-Key` header makes a retry return the same order) and reserve
/// its stock.
#[utoipa::path(post, path = "/api/v1/shop/orders", tag = "shop", request_body = CheckoutIn,
    params(("Idempotency-Key" = String, Header, description = "1 to 64 of [A-Za-z0-9_-]; the same key gives the same order")),
    responses((status = 201, body = OrderOut), (status = 400, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders")]
async fn submit_order(
    request: HttpRequest,
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<CheckoutIn>,
) -> Result<HttpResponse, ApiError> {
    let key = request
        .headers()
        .get("Idempotency-Key")
        .and_then(|value| value.to_str().ok());
    let placed = order::submit_order(
        &state.db,
        &state.catalog_cache,
        &customer,
        key,
        &input,
        chrono::Duration::seconds(state.settings.orders.payment_timeout_secs),
    )
    .await?;
    Ok(HttpResponse::Created().json(placed))
}

/// The customer's orders, newest first.
#[utoipa::path(get, path = "/api/v1/shop/orders", tag = "shop",
    responses((status = 200, body = Vec<OrderOut>), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/orders")]
async fn list_orders(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::list_customer_orders(&state.db, &customer).await?))
}

/// One of the customer's orders, with its timeline.
#[utoipa::path(get, path = "/api/v1/shop/orders/{no}", tag = "shop",
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/orders/{no}")]
async fn get_order(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    no: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::get_customer_order(&state.db, &customer, &no).await?))
}

/// Cancel an order before paying for it; its stock is returned.
#[utoipa::path(post, path = "/api/v1/shop/orders/{no}/cancel", tag = "shop",
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/cancel")]
async fn cancel_order(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    no: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cancelled = crate::flows::cancel_order_by_customer(&state, &customer, &no).await?;
    Ok(HttpResponse::Ok().json(cancelled))
}

/// Pay for a pending order: the parameters for `wx.requestPayment`.
#[utoipa::path(post, path = "/api/v1/shop/orders/{no}/pay", tag = "shop",
    responses((status = 200, description = "timeStamp, nonceStr, package, signType, paySign"),
    (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/pay")]
async fn pay_order(
    request: HttpRequest,
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    no: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let base = {
        let info = request.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let params = crate::flows::pay_order(&state, &customer, &no, &base).await?;
    Ok(HttpResponse::Ok().json(params))
}

/// Confirm receipt of a shipped order: completed.
#[utoipa::path(post, path = "/api/v1/shop/orders/{no}/confirm", tag = "shop",
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/confirm")]
async fn confirm_receipt(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    no: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::confirm_receipt(&state.db, &customer, &no).await?))
}

/// Where the parcel of one of the customer's shipped orders is (KDNiao, cached for two minutes).
#[utoipa::path(get, path = "/api/v1/shop/orders/{no}/tracking", tag = "shop",
    responses((status = 200, body = order::TrackingOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/orders/{no}/tracking")]
async fn track_order(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    no: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(crate::flows::track_order(&state, &customer, &no).await?))
}
