use actix_web::{HttpResponse, delete, get, put, web};

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type FreightRuleIn = order::FreightRule;
pub type FreightRuleOut = order::FreightRule;
pub type FreightTemplateIn = order::FreightTemplate;
pub type FreightTemplateOut = order::FreightTemplate;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_freight_rule)
        .service(set_freight_rule)
        .service(get_freight_template)
        .service(set_freight_template)
        .service(delete_freight_template);
}

/// The shop's freight template (运费模板), if it set one.
#[utoipa::path(get, path = "/api/v1/admin/freight-template", tag = "orders",
    responses((status = 200, body = FreightTemplateOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/freight-template")]
async fn get_freight_template(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::get_freight_template(&state.db, &principal).await?))
}

/// Set the shop's freight template: by piece or by weight, a rate per region (province) and a
/// default rate, free from a goods total (满X包邮). Checkouts are charged by it instead of the
/// flat rule.
#[utoipa::path(put, path = "/api/v1/admin/freight-template", tag = "orders", request_body = FreightTemplateIn,
    responses((status = 200, body = FreightTemplateOut), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/freight-template")]
async fn set_freight_template(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<FreightTemplateIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(order::set_freight_template(&state.db, &principal, input).await?))
}

/// Remove the shop's freight template: checkouts go back to the flat rule.
#[utoipa::path(delete, path = "/api/v1/admin/freight-template", tag = "orders",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[delete("/freight-template")]
async fn delete_freight_template(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    order::delete_freight_template(&state.db, &principal).await?;
    Ok(HttpResponse::NoContent().finish())
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
