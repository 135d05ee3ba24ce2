//! Shapes shared by several resources.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    /// Send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl From<tenant::IssuedToken> for TokenOut {
    fn from(issued: tenant::IssuedToken) -> Self {
        TokenOut {
            token: issued.token,
            expires_at: issued.expires_at,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDto {
    pub name: String,
    pub max_staff: i32,
    pub max_products: i32,
    pub max_api_keys: i32,
}

impl From<tenant::Plan> for PlanDto {
    fn from(plan: tenant::Plan) -> Self {
        PlanDto {
            name: plan.name,
            max_staff: plan.max_staff,
            max_products: plan.max_products,
            max_api_keys: plan.max_api_keys,
        }
    }
}

impl From<PlanDto> for tenant::Plan {
    fn from(plan: PlanDto) -> Self {
        tenant::Plan {
            name: plan.name,
            max_staff: plan.max_staff,
            max_products: plan.max_products,
            max_api_keys: plan.max_api_keys,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TenantOut {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// enterprise | individual_business | personal
    pub subject_type: &'static str,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// active | suspended
    pub status: &'static str,
    pub suspended_reason: Option<String>,
    /// none | pending | verified | rejected
    pub certification_status: &'static str,
    pub plan: PlanDto,
    pub wechat_appid: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<tenant::Tenant> for TenantOut {
    fn from(tenant: tenant::Tenant) -> Self {
        TenantOut {
            id: tenant.id.as_uuid(),
            code: tenant.code,
            name: tenant.name,
            subject_type: tenant.subject_type.as_str(),
            contact_name: tenant.contact_name,
            contact_phone: tenant.contact_phone,
            contact_email: tenant.contact_email,
            status: tenant.status.as_str(),
            suspended_reason: tenant.suspended_reason,
            certification_status: tenant.certification_status.as_str(),
            plan: tenant.plan.into(),
            wechat_appid: tenant.wechat_appid,
            created_at: tenant.created_at,
            updated_at: tenant.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StaffOut {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// owner | admin | operator | service
    pub role: &'static str,
    /// active | disabled
    pub status: &'static str,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<tenant::StaffMember> for StaffOut {
    fn from(member: tenant::StaffMember) -> Self {
        StaffOut {
            id: member.id,
            name: member.name,
            email: member.email,
            phone: member.phone,
            role: member.role.as_str(),
            status: member.status.as_str(),
            locked_until: member.locked_until,
            created_at: member.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CertificationOut {
    pub id: Uuid,
    pub legal_name: String,
    pub licence_number: String,
    pub legal_representative: String,
    pub document_urls: Vec<String>,
    /// pending | verified | rejected
    pub status: &'static str,
    pub reject_reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<tenant::Certification> for CertificationOut {
    fn from(c: tenant::Certification) -> Self {
        CertificationOut {
            id: c.id,
            legal_name: c.legal_name,
            licence_number: c.licence_number,
            legal_representative: c.legal_representative,
            document_urls: c.document_urls,
            status: c.status.as_str(),
            reject_reason: c.reject_reason,
            submitted_at: c.submitted_at,
            decided_at: c.decided_at,
        }
    }
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1 to 100, default 20.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}
