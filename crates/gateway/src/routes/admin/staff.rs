use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::routes::dto::StaffOut;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_staff)
        .service(create_staff)
        .service(update_staff)
        .service(reset_staff_password);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffIn {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// admin | operator | service
    pub role: String,
    /// Omit to have an initial password generated and returned once.
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedStaffOut {
    pub staff: StaffOut,
    pub initial_password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPatchIn {
    pub name: Option<String>,
    pub role: Option<String>,
    /// active | disabled
    pub status: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    /// Omit to have one generated and returned once.
    pub new_password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordResetOut {
    pub new_password: Option<String>,
}

/// The shop's staff.
#[utoipa::path(get, path = "/api/v1/admin/staff", tag = "admin", responses((status = 200, body = [StaffOut])), security(("bearer" = [])))]
#[get("/staff")]
async fn list_staff(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let members = tenant::list_staff(&state.db, &principal).await?;
    Ok(HttpResponse::Ok().json(members.into_iter().map(StaffOut::from).collect::<Vec<_>>()))
}

/// Add a staff member (within the plan's limit).
#[utoipa::path(post, path = "/api/v1/admin/staff", tag = "admin", request_body = StaffIn,
    responses((status = 201, body = CreatedStaffOut), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/staff")]
async fn create_staff(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<StaffIn>,
) -> Result<HttpResponse, ApiError> {
    let draft = tenant::StaffDraft {
        name: input.name,
        email: input.email,
        phone: input.phone,
        role: input.role,
        password: input.password,
    };
    let (member, initial_password) = tenant::create_staff(&state.db, &principal, draft).await?;
    Ok(HttpResponse::Created().json(CreatedStaffOut {
        staff: member.into(),
        initial_password,
    }))
}

/// Rename, change the role of, disable or enable a staff member.
#[utoipa::path(patch, path = "/api/v1/admin/staff/{id}", tag = "admin", request_body = StaffPatchIn,
    responses((status = 200, body = StaffOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[patch("/staff/{id}")]
async fn update_staff(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<StaffPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let patch = tenant::StaffPatch {
        name: input.name,
        role: input.role,
        status: input.status,
    };
    let member = tenant::update_staff(&state.db, &principal, id.into_inner(), patch).await?;
    Ok(HttpResponse::Ok().json(StaffOut::from(member)))
}

/// The owner resets a staff member's password (and lifts any lock-out).
#[utoipa::path(post, path = "/api/v1/admin/staff/{id}/password-reset", tag = "admin", request_body = PasswordResetIn,
    responses((status = 200, body = PasswordResetOut), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/staff/{id}/password-reset")]
async fn reset_staff_password(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<PasswordResetIn>,
) -> Result<HttpResponse, ApiError> {
    let new_password = tenant::reset_staff_password(
        &state.db,
        &principal,
        id.into_inner(),
        input.new_password.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(PasswordResetOut { new_password }))
}
