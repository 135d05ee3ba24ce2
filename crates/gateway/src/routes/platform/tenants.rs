use actix_web::{HttpResponse, get, post, put, web};
use kernel::{Page, PageRequest, TenantId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::OperatorAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::routes::dto::{CertificationOut, PlanDto, StaffOut, TenantOut};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_tenants)
        .service(provision_tenant)
        .service(get_tenant)
        .service(suspend_tenant)
        .service(resume_tenant)
        .service(set_plan)
        .service(get_certification)
        .service(decide_certification);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerIn {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Omit to have an initial password generated and returned once.
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantIn {
    /// 3–32 of a-z, 0-9 and '-': the shop's login code.
    pub code: String,
    pub name: String,
    /// enterprise | individual_business | personal
    pub subject_type: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub plan: Option<PlanDto>,
    pub owner: OwnerIn,
}

#[derive(Serialize, ToSchema)]
pub struct ProvisionedTenantOut {
    pub tenant: TenantOut,
    pub owner: StaffOut,
    /// Present only when no owner password was given; shown this once.
    pub initial_password: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TenantQuery {
    /// Matches the code or the name.
    pub q: Option<String>,
    /// active | suspended
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct TenantPageOut {
    pub items: Vec<TenantOut>,
    pub next_cursor: Option<Uuid>,
}

impl From<Page<tenant::Tenant>> for TenantPageOut {
    fn from(page: Page<tenant::Tenant>) -> Self {
        TenantPageOut {
            next_cursor: page.next_cursor,
            items: page.items.into_iter().map(TenantOut::from).collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendIn {
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// verify | reject
    pub decision: String,
    /// Required to reject.
    pub reason: Option<String>,
}

/// List and search tenants.
#[utoipa::path(get, path = "/api/v1/platform/tenants", tag = "platform", params(TenantQuery),
    responses((status = 200, body = TenantPageOut)), security(("bearer" = [])))]
#[get("/tenants")]
async fn list_tenants(
    OperatorAuth(_operator): OperatorAuth,
    state: web::Data<AppState>,
    query: web::Query<TenantQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = tenant::TenantFilter {
        query: query.q,
        status: query.status,
    };
    let page = PageRequest {
        limit: query.limit,
        cursor: query.cursor,
    };
    let tenants = tenant::list_tenants(&state.db, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(TenantPageOut::from(tenants)))
}

/// Provision a tenant (a merchant shop) and its owner.
#[utoipa::path(post, path = "/api/v1/platform/tenants", tag = "platform", request_body = TenantIn,
    responses((status = 201, body = ProvisionedTenantOut), (status = 409, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/tenants")]
async fn provision_tenant(
    OperatorAuth(operator): OperatorAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<TenantIn>,
) -> Result<HttpResponse, ApiError> {
    let draft = tenant::TenantDraft {
        code: input.code,
        name: input.name,
        subject_type: input.subject_type,
        contact_name: input.contact_name,
        contact_phone: input.contact_phone,
        contact_email: input.contact_email,
        plan: input.plan.map(Into::into),
        owner: tenant::StaffDraft {
            name: input.owner.name,
            email: input.owner.email,
            phone: input.owner.phone,
            role: "owner".to_owned(),
            password: input.owner.password,
        },
    };
    let provisioned = tenant::provision_tenant(&state.db, &operator, draft).await?;
    Ok(HttpResponse::Created().json(ProvisionedTenantOut {
        tenant: provisioned.tenant.into(),
        owner: provisioned.owner.into(),
        initial_password: provisioned.initial_password,
    }))
}

/// One tenant.
#[utoipa::path(get, path = "/api/v1/platform/tenants/{id}", tag = "platform",
    responses((status = 200, body = TenantOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/tenants/{id}")]
async fn get_tenant(
    OperatorAuth(_operator): OperatorAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant::get_tenant(&state.db, TenantId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(tenant)))
}

/// Suspend a shop: its mini-program requests are refused (403 `tenant.suspended`) at once.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{id}/suspend", tag = "platform", request_body = SuspendIn,
    responses((status = 200, body = TenantOut)), security(("bearer" = [])))]
#[post("/tenants/{id}/suspend")]
async fn suspend_tenant(
    OperatorAuth(_operator): OperatorAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<SuspendIn>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant::set_tenant_status(
        &state.db,
        &state.cache,
        TenantId(id.into_inner()),
        "suspended",
        Some(&input.reason),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(tenant)))
}

/// Resume a suspended shop.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{id}/resume", tag = "platform",
    responses((status = 200, body = TenantOut)), security(("bearer" = [])))]
#[post("/tenants/{id}/resume")]
async fn resume_tenant(
    OperatorAuth(_operator): OperatorAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant::set_tenant_status(
        &state.db,
        &state.cache,
        TenantId(id.into_inner()),
        "active",
        None,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(tenant)))
}

/// Set a tenant's plan limits.
#[utoipa::path(put, path = "/api/v1/platform/tenants/{id}/plan", tag = "platform", request_body = PlanDto,
    responses((status = 200, body = TenantOut)), security(("bearer" = [])))]
#[put("/tenants/{id}/plan")]
async fn set_plan(
    OperatorAuth(_operator): OperatorAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<PlanDto>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant::set_plan(
        &state.db,
        &state.cache,
        TenantId(id.into_inner()),
        input.into(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(tenant)))
}

/// The tenant's latest certification submission.
#[utoipa::path(get, path = "/api/v1/platform/tenants/{id}/certification", tag = "platform",
    responses((status = 200, body = CertificationOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/tenants/{id}/certification")]
async fn get_certification(
    OperatorAuth(_operator): OperatorAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let certification = tenant::current_certification(&state.db, TenantId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(CertificationOut::from(certification)))
}

/// Verify or reject the pending certification.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{id}/certification/decision", tag = "platform",
    request_body = DecisionIn, responses((status = 200, body = CertificationOut), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/tenants/{id}/certification/decision")]
async fn decide_certification(
    OperatorAuth(operator): OperatorAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<DecisionIn>,
) -> Result<HttpResponse, ApiError> {
    let decision = match (input.decision.as_str(), input.reason) {
        ("verify", _) => tenant::CertificationDecision::Verify,
        ("reject", Some(reason)) => tenant::CertificationDecision::Reject { reason },
        ("reject", None) => {
            return Err(tenant::TenantError::invalid("reason", "is required to reject").into());
        }
        _ => {
            return Err(
                tenant::TenantError::invalid("decision", "must be verify or reject").into(),
            );
        }
    };
    let certification = tenant::decide_certification(
        &state.db,
        &state.cache,
        &operator,
        TenantId(id.into_inner()),
        decision,
    )
    .await?;
    Ok(HttpResponse::Ok().json(CertificationOut::from(certification)))
}
