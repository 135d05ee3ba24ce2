use kernel::{Page, PageRequest, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::context::invalidate_context;
use super::{is_unique_violation, now, staff};
use crate::entity::tenant;
use crate::error::Problems;
use crate::model::{
    CertificationStatus, OperatorPrincipal, Plan, ProvisionedTenant, Role, SubjectType, Tenant,
    TenantDraft, TenantFilter, TenantStatus,
};
use crate::{TenantError, parse};

pub(crate) fn tenant_from_row(row: tenant::Model) -> Tenant {
    Tenant {
        id: TenantId(row.id),
        subject_type: SubjectType::parse(&row.subject_type).unwrap_or(SubjectType::Personal),
        status: TenantStatus::parse(&row.status).unwrap_or(TenantStatus::Suspended),
        certification_status: CertificationStatus::parse(&row.certification_status)
            .unwrap_or(CertificationStatus::None),
        plan: Plan {
            name: row.plan_name,
            max_staff: row.max_staff,
            max_products: row.max_products,
            max_api_keys: row.max_api_keys,
        },
        code: row.code,
        name: row.name,
        contact_name: row.contact_name,
        contact_phone: row.contact_phone,
        contact_email: row.contact_email,
        suspended_reason: row.suspended_reason,
        wechat_appid: row.wechat_appid,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(crate) async fn tenant_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<tenant::Model, TenantError> {
    tenant::Entity::find_by_id(tenant.as_uuid())
        .one(db)
        .await?
        .ok_or(TenantError::TenantNotFound)
}

/// Creates a shop and its owner in one transaction. Without an owner password, a random initial
/// password is generated and returned once.
pub async fn provision_tenant<C>(
    db: &C,
    operator: &OperatorPrincipal,
    draft: TenantDraft,
) -> Result<ProvisionedTenant, TenantError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut problems = Problems::default();
    let code = problems.take("code", parse::shop_code(&draft.code));
    let name = problems.take("name", parse::text(&draft.name, 64));
    let subject_type = problems.take("subject_type", SubjectType::parse(&draft.subject_type));
    let contact_name = problems.take("contact_name", parse::text(&draft.contact_name, 64));
    let contact_phone = problems.take("contact_phone", parse::telephone(&draft.contact_phone));
    let contact_email = problems.take("contact_email", parse::email(&draft.contact_email));
    let plan = match draft.plan.unwrap_or_default().parse() {
        Ok(plan) => Some(plan),
        Err(fields) => {
            for field in fields {
                problems.take::<()>(&field.field, Err(field.message));
            }
            None
        }
    };
    let owner = staff::StaffDraftParsed::parse(draft.owner, "owner.", &mut problems);
    let (
        Some(code),
        Some(name),
        Some(subject_type),
        Some(contact_name),
        Some(contact_phone),
        Some(contact_email),
        Some(plan),
        Some(owner),
    ) = (
        code,
        name,
        subject_type,
        contact_name,
        contact_phone,
        contact_email,
        plan,
        owner,
    )
    else {
        return Err(problems.into_error());
    };

    let tenant_id = TenantId::new();
    let at = now();
    let row = tenant::ActiveModel {
        id: Set(tenant_id.as_uuid()),
        code: Set(code),
        name: Set(name),
        subject_type: Set(subject_type.as_str().to_owned()),
        contact_name: Set(contact_name),
        contact_phone: Set(contact_phone),
        contact_email: Set(contact_email),
        status: Set(TenantStatus::Active.as_str().to_owned()),
        suspended_reason: Set(None),
        certification_status: Set(CertificationStatus::None.as_str().to_owned()),
        plan_name: Set(plan.name),
        max_staff: Set(plan.max_staff),
        max_products: Set(plan.max_products),
        max_api_keys: Set(plan.max_api_keys),
        wechat_appid: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let (owner_draft, initial_password) = owner.with_password();
    let password_hash = infra::password::hash(owner_draft.password.clone()).await?;

    let txn = db.begin().await?;
    tenant::Entity::insert(row)
        .exec(&txn)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                TenantError::CodeTaken
            } else {
                err.into()
            }
        })?;
    let owner =
        staff::insert_staff(&txn, tenant_id, owner_draft, Role::Owner, password_hash).await?;
    let tenant = tenant_from_row(tenant_row(&txn, tenant_id).await?);
    txn.commit().await?;
    tracing::info!(tenant.id = %tenant_id, tenant.code = %tenant.code, operator.id = %operator.operator_id, "tenant provisioned");
    Ok(ProvisionedTenant {
        tenant,
        owner,
        initial_password,
    })
}

pub async fn list_tenants(
    db: &impl ConnectionTrait,
    filter: &TenantFilter,
    page: &PageRequest,
) -> Result<Page<Tenant>, TenantError> {
    let mut query = tenant::Entity::find().order_by_asc(tenant::Column::Id);
    if let Some(text) = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        query = query.filter(
            Condition::any()
                .add(tenant::Column::Code.contains(text.to_lowercase()))
                .add(tenant::Column::Name.contains(text)),
        );
    }
    if let Some(status) = &filter.status {
        let status = TenantStatus::parse(status).map_err(|m| TenantError::invalid("status", m))?;
        query = query.filter(tenant::Column::Status.eq(status.as_str()));
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(tenant::Column::Id.gt(cursor));
    }
    let limit = page.limit();
    let rows = query.limit(limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, limit, |row| row.id).map(tenant_from_row))
}

pub async fn get_tenant(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Tenant, TenantError> {
    tenant_row(db, tenant).await.map(tenant_from_row)
}

/// Suspends or resumes a shop. A suspended shop's mini-program requests are refused at once:
/// the cached context is dropped in the same call.
pub async fn set_tenant_status(
    db: &impl ConnectionTrait,
    cache: &infra::Cache,
    tenant: TenantId,
    status: &str,
    reason: Option<&str>,
) -> Result<Tenant, TenantError> {
    let status = TenantStatus::parse(status).map_err(|m| TenantError::invalid("status", m))?;
    let reason = match (status, reason) {
        (TenantStatus::Suspended, Some(reason)) => {
            Some(parse::text(reason, 200).map_err(|m| TenantError::invalid("reason", m))?)
        }
        (TenantStatus::Suspended, None) => {
            return Err(TenantError::invalid(
                "reason",
                "is required to suspend a shop",
            ));
        }
        (TenantStatus::Active, _) => None,
    };
    let existing = tenant_row(db, tenant).await?;
    tenant::Entity::update_many()
        .filter(tenant::Column::Id.eq(tenant.as_uuid()))
        .col_expr(tenant::Column::Status, Expr::value(status.as_str()))
        .col_expr(tenant::Column::SuspendedReason, Expr::value(reason))
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now()))
        .exec(db)
        .await?;
    invalidate_context(cache, tenant, existing.wechat_appid.as_deref()).await;
    tracing::info!(tenant.id = %tenant, tenant.status = status.as_str(), "tenant status changed");
    get_tenant(db, tenant).await
}

pub async fn set_plan(
    db: &impl ConnectionTrait,
    cache: &infra::Cache,
    tenant: TenantId,
    plan: Plan,
) -> Result<Tenant, TenantError> {
    let plan = plan.parse().map_err(TenantError::Invalid)?;
    let existing = tenant_row(db, tenant).await?;
    tenant::Entity::update_many()
        .filter(tenant::Column::Id.eq(tenant.as_uuid()))
        .col_expr(tenant::Column::PlanName, Expr::value(plan.name))
        .col_expr(tenant::Column::MaxStaff, Expr::value(plan.max_staff))
        .col_expr(tenant::Column::MaxProducts, Expr::value(plan.max_products))
        .col_expr(tenant::Column::MaxApiKeys, Expr::value(plan.max_api_keys))
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now()))
        .exec(db)
        .await?;
    invalidate_context(cache, tenant, existing.wechat_appid.as_deref()).await;
    get_tenant(db, tenant).await
}
