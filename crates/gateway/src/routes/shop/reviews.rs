//! Reviews on the shop side: the customer reviews lines of a completed order; shoppers read a
//! product's reviews.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use crate::auth::{ShopCustomer, ShopTenant};
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type ReviewIn = order::ReviewIn;
pub type ReviewOut = order::Review;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(review_order_line).service(product_reviews);
}

/// Review one line of a completed order (each line once).
#[utoipa::path(post, path = "/api/v1/shop/orders/{no}/reviews", tag = "shop", request_body = ReviewIn,
    responses((status = 201, body = ReviewOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/orders/{no}/reviews")]
async fn review_order_line(
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    no: web::Path<String>,
    JsonBody(input): JsonBody<ReviewIn>,
) -> Result<HttpResponse, ApiError> {
    let review = order::review_order_line(&state.db, &customer, &no, &input).await?;
    Ok(HttpResponse::Created().json(review))
}

/// A product's reviews, newest first, with the merchant's replies.
#[utoipa::path(get, path = "/api/v1/shop/products/{id}/reviews", tag = "shop",
    params(("X-WX-Appid" = Option<String>, Header, description = "the calling mini-program's appid")),
    responses((status = 200, body = Vec<ReviewOut>)))]
#[get("/products/{id}/reviews")]
async fn product_reviews(
    ShopTenant(shop): ShopTenant,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::product_reviews(&state.db, shop.tenant_id, *id).await?))
}
