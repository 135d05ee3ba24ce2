use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use tenant::Permission;
use utoipa::ToSchema;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::routes::dto::CertificationOut;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_certification).service(submit_certification);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationIn {
    pub legal_name: String,
    /// The 18-character unified social credit code (统一社会信用代码).
    pub licence_number: String,
    pub legal_representative: String,
    /// https URLs of the licence scans (1 to 10).
    pub document_urls: Vec<String>,
}

/// The shop's latest certification submission.
#[utoipa::path(get, path = "/api/v1/admin/certification", tag = "admin",
    responses((status = 200, body = CertificationOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/certification")]
async fn get_certification(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ViewShop)?;
    let certification = tenant::current_certification(&state.db, principal.tenant_id).await?;
    Ok(HttpResponse::Ok().json(CertificationOut::from(certification)))
}

/// Submit the shop's legal subject for verification (owner only).
#[utoipa::path(post, path = "/api/v1/admin/certification", tag = "admin", request_body = CertificationIn,
    responses((status = 201, body = CertificationOut), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/certification")]
async fn submit_certification(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<CertificationIn>,
) -> Result<HttpResponse, ApiError> {
    let draft = tenant::CertificationDraft {
        legal_name: input.legal_name,
        licence_number: input.licence_number,
        legal_representative: input.legal_representative,
        document_urls: input.document_urls,
    };
    let certification =
        tenant::submit_certification(&state.db, &state.cache, &principal, draft).await?;
    Ok(HttpResponse::Created().json(CertificationOut::from(certification)))
}
