use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ShopTenant;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::routes::shop::me::CustomerOut;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(log_in_customer);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerLoginIn {
    /// The code from `wx.login()`.
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerLoginOut {
    /// Valid for this shop only.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub customer: CustomerOut,
}

/// Log a mini-program user in with the code from `wx.login()` (code2Session with the shop's appid).
#[utoipa::path(post, path = "/api/v1/shop/auth/login", tag = "shop", request_body = CustomerLoginIn,
    params(("X-WX-Appid" = Option<String>, Header, description = "the calling mini-program's appid")),
    responses((status = 200, body = CustomerLoginOut), (status = 401, body = crate::error::ErrorBody),
    (status = 503, body = crate::error::ErrorBody)))]
#[post("/auth/login")]
async fn log_in_customer(
    ShopTenant(shop): ShopTenant,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<CustomerLoginIn>,
) -> Result<HttpResponse, ApiError> {
    let session = crate::flows::log_in_customer(&state, &shop, &input.code).await?;
    Ok(HttpResponse::Ok().json(CustomerLoginOut {
        token: session.token,
        expires_at: session.expires_at,
        customer: session.customer.into(),
    }))
}
