use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use tenant::Actor;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::routes::dto::{StaffOut, TokenOut};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(log_in_staff)
        .service(get_me)
        .service(change_password);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffLoginIn {
    /// The shop's code.
    pub shop: String,
    /// Email or mobile number.
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct StaffLoginOut {
    #[serde(flatten)]
    pub token: TokenOut,
    pub tenant_id: Uuid,
    pub staff: StaffOut,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub tenant_id: Uuid,
    /// staff | api_key
    pub kind: &'static str,
    pub id: Uuid,
    pub role: Option<&'static str>,
    pub scopes: Vec<&'static str>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeIn {
    pub current_password: String,
    pub new_password: String,
}

/// Log in as a member of a shop's staff. Five wrong passwords in a row lock the account.
#[utoipa::path(post, path = "/api/v1/admin/auth/login", tag = "admin", request_body = StaffLoginIn,
    responses((status = 200, body = StaffLoginOut), (status = 401, body = crate::error::ErrorBody), (status = 423, body = crate::error::ErrorBody)))]
#[post("/auth/login")]
async fn log_in_staff(
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<StaffLoginIn>,
) -> Result<HttpResponse, ApiError> {
    let session = tenant::log_in_staff(
        &state.db,
        &state.login_policy,
        &input.shop,
        &input.login,
        &input.password,
    )
    .await?;
    Ok(HttpResponse::Ok().json(StaffLoginOut {
        token: session.token.into(),
        tenant_id: session.tenant_id.as_uuid(),
        staff: session.staff.into(),
    }))
}

/// Who the credential belongs to.
#[utoipa::path(get, path = "/api/v1/admin/me", tag = "admin", responses((status = 200, body = MeOut)), security(("bearer" = [])))]
#[get("/me")]
async fn get_me(AdminAuth(principal): AdminAuth) -> HttpResponse {
    let me = match &principal.actor {
        Actor::Staff { staff_id, role, .. } => MeOut {
            tenant_id: principal.tenant_id.as_uuid(),
            kind: "staff",
            id: *staff_id,
            role: Some(role.as_str()),
            scopes: Vec::new(),
        },
        Actor::ApiKey { key_id, scopes } => MeOut {
            tenant_id: principal.tenant_id.as_uuid(),
            kind: "api_key",
            id: *key_id,
            role: None,
            scopes: scopes.iter().map(|scope| scope.as_str()).collect(),
        },
    };
    HttpResponse::Ok().json(me)
}

/// Change one's own password; other sessions end.
#[utoipa::path(put, path = "/api/v1/admin/me/password", tag = "admin", request_body = PasswordChangeIn,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/me/password")]
async fn change_password(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<PasswordChangeIn>,
) -> Result<HttpResponse, ApiError> {
    tenant::change_own_password(
        &state.db,
        &principal,
        &input.current_password,
        &input.new_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
