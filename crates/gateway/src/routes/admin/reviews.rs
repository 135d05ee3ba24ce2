//! `/api/v1/admin/reviews/*`: customers' reviews, the merchant's replies and the reply rate.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type ReviewOut = order::Review;
pub type ReviewFilter = order::ReviewFilter;
pub type ReviewReplyIn = order::ReviewReplyIn;
pub type ReviewStatsOut = order::ReviewStats;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(review_stats)
        .service(list_reviews)
        .service(reply_to_review);
}

/// The shop's reviews, newest first; `replied=true|false` filters.
#[utoipa::path(get, path = "/api/v1/admin/reviews", tag = "orders", params(ReviewFilter),
    responses((status = 200, body = Vec<ReviewOut>), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/reviews")]
async fn list_reviews(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    filter: web::Query<ReviewFilter>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::list_reviews(&state.db, &principal, &filter).await?))
}

/// Reply to a review, once (a reply cannot be edited).
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/reply", tag = "orders", request_body = ReviewReplyIn,
    responses((status = 200, body = ReviewOut), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/reviews/{id}/reply")]
async fn reply_to_review(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<ReviewReplyIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::reply_to_review(&state.db, &principal, *id, &input).await?))
}

/// Total, replied, reply rate in basis points and whether it beats the > 90% target (all reviews,
/// and bad ones: rating ≤ 2).
#[utoipa::path(get, path = "/api/v1/admin/reviews/stats", tag = "orders",
    responses((status = 200, body = ReviewStatsOut), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/reviews/stats")]
async fn review_stats(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::review_stats(&state.db, &principal).await?))
}
