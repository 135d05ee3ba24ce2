use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::json::JsonBody;
use crate::routes::dto::TokenOut;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(log_in_operator);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorLoginIn {
    pub email: String,
    pub password: String,
}

/// Log in as a platform operator.
#[utoipa::path(post, path = "/api/v1/platform/auth/login", tag = "platform", request_body = OperatorLoginIn,
    responses((status = 200, body = TokenOut), (status = 401, body = crate::error::ErrorBody), (status = 423, body = crate::error::ErrorBody)))]
#[post("/auth/login")]
async fn log_in_operator(
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<OperatorLoginIn>,
) -> Result<HttpResponse, ApiError> {
    let token = tenant::log_in_operator(
        &state.db,
        &state.login_policy,
        &input.email,
        &input.password,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TokenOut::from(token)))
}
