use actix_web::{HttpResponse, get, put, web};

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type FreightRuleIn = order::FreightRule;
pub type FreightRuleOut = order::FreightRule;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_freight_rule).service(set_freight_rule);
}

/// The shop's freight rule: a flat fee per order, free from a goods total (满X包邮).
#[utoipa::path(get, path = "/api/v1/admin/freight-rule", tag = "orders",
    responses((status = 200, body = FreightRuleOut), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/freight-rule")]
async fn get_freight_rule(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::get_freight_rule(&state.db, &principal).await?))
}

/// Set the shop's freight rule; checkouts use it from now on.
#[utoipa::path(put, path = "/api/v1/admin/freight-rule", tag = "orders", request_body = FreightRuleIn,
    responses((status = 200, body = FreightRuleOut), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/freight-rule")]
async fn set_freight_rule(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<FreightRuleIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::set_freight_rule(&state.db, &principal, input).await?))
}
