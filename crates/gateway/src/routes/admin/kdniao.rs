use actix_web::{HttpResponse, get, put, web};

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type KdniaoAccountIn = order::KdniaoAccountIn;
pub type KdniaoAccountOut = order::KdniaoAccountOut;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_kdniao_account).service(set_kdniao_account);
}

/// The shop's KDNiao (快递鸟) account for electronic waybills and tracking; the AppKey masked.
#[utoipa::path(get, path = "/api/v1/admin/kdniao", tag = "orders",
    responses((status = 200, body = KdniaoAccountOut), (status = 403, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/kdniao")]
async fn get_kdniao_account(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(order::get_kdniao_account(&state.db, &state.secrets, &principal).await?))
}

/// Set the shop's KDNiao account (EBusinessID and AppKey, sealed at rest; owner only).
#[utoipa::path(put, path = "/api/v1/admin/kdniao", tag = "orders", request_body = KdniaoAccountIn,
    responses((status = 200, body = KdniaoAccountOut), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/kdniao")]
async fn set_kdniao_account(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<KdniaoAccountIn>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(order::set_kdniao_account(&state.db, &state.secrets, &principal, &input).await?))
}
