use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};

use super::context::invalidate_context;
use super::now;
use super::tenants::tenant_row;
use crate::entity::{tenant, tenant_certification};
use crate::error::Problems;
use crate::model::{
    AdminPrincipal, Certification, CertificationDecision, CertificationDraft, CertificationStatus,
    OperatorPrincipal, Permission, SubjectType,
};
use crate::repo::scoped;
use crate::{TenantError, parse};

const MAX_DOCUMENTS: usize = 10;

fn certification_from_row(row: tenant_certification::Model) -> Certification {
    Certification {
        id: row.id,
        legal_name: row.legal_name,
        licence_number: row.licence_number,
        legal_representative: row.legal_representative,
        document_urls: serde_json::from_value(row.document_urls).unwrap_or_default(),
        status: CertificationStatus::parse(&row.status).unwrap_or(CertificationStatus::Pending),
        reject_reason: row.reject_reason,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
    }
}

async fn latest(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<tenant_certification::Model>, TenantError> {
    Ok(scoped(tenant)
        .certifications()
        .order_by_desc(tenant_certification::Column::Id)
        .one(db)
        .await?)
}

/// The owner submits the shop's legal subject for verification. Only enterprises and individual
/// businesses can be certified; a submission waits for an operator's decision.
pub async fn submit_certification<C>(
    db: &C,
    cache: &infra::Cache,
    principal: &AdminPrincipal,
    draft: CertificationDraft,
) -> Result<Certification, TenantError>
where
    C: ConnectionTrait + TransactionTrait,
{
    principal.require(Permission::ManageCertification)?;
    let tenant = principal.tenant_id;
    let shop = tenant_row(db, tenant).await?;
    if shop.subject_type == SubjectType::Personal.as_str() {
        return Err(TenantError::PaymentNotAllowed(
            "a personal shop cannot be certified; the platform operator must change its subject type",
        ));
    }
    let mut problems = Problems::default();
    let legal_name = problems.take("legal_name", parse::text(&draft.legal_name, 100));
    let licence_number = problems.take(
        "licence_number",
        parse::licence_number(&draft.licence_number),
    );
    let legal_representative = problems.take(
        "legal_representative",
        parse::text(&draft.legal_representative, 64),
    );
    let mut documents = Vec::new();
    if draft.document_urls.is_empty() || draft.document_urls.len() > MAX_DOCUMENTS {
        problems.take::<()>(
            "document_urls",
            Err(format!(
                "between 1 and {MAX_DOCUMENTS} documents are required"
            )),
        );
    }
    for (index, url) in draft.document_urls.iter().enumerate() {
        if let Some(url) =
            problems.take(&format!("document_urls[{index}]"), parse::document_url(url))
        {
            documents.push(url);
        }
    }
    let (Some(legal_name), Some(licence_number), Some(legal_representative), true) = (
        legal_name,
        licence_number,
        legal_representative,
        !documents.is_empty() && documents.len() == draft.document_urls.len(),
    ) else {
        return Err(problems.into_error());
    };
    let current = shop.certification_status.as_str();
    if current == CertificationStatus::Pending.as_str()
        || current == CertificationStatus::Verified.as_str()
    {
        return Err(TenantError::CertificationNotPending);
    }
    let at = now();
    let row = tenant_certification::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        legal_name: Set(legal_name),
        licence_number: Set(licence_number),
        legal_representative: Set(legal_representative),
        document_urls: Set(serde_json::json!(documents)),
        status: Set(CertificationStatus::Pending.as_str().to_owned()),
        reject_reason: Set(None),
        submitted_by: Set(principal.actor_id()),
        decided_by: Set(None),
        submitted_at: Set(at),
        decided_at: Set(None),
    };
    let txn = db.begin().await?;
    let inserted = tenant_certification::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    set_tenant_certification_status(&txn, tenant, CertificationStatus::Pending).await?;
    txn.commit().await?;
    invalidate_context(cache, tenant, shop.wechat_appid.as_deref()).await;
    tracing::info!(tenant.id = %tenant, "certification submitted");
    Ok(certification_from_row(inserted))
}

pub async fn current_certification(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Certification, TenantError> {
    latest(db, tenant)
        .await?
        .map(certification_from_row)
        .ok_or(TenantError::CertificationNotFound)
}

/// An operator verifies or rejects (with a reason) the pending certification.
pub async fn decide_certification<C>(
    db: &C,
    cache: &infra::Cache,
    operator: &OperatorPrincipal,
    tenant: TenantId,
    decision: CertificationDecision,
) -> Result<Certification, TenantError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let shop = tenant_row(db, tenant).await?;
    let pending = latest(db, tenant)
        .await?
        .ok_or(TenantError::CertificationNotFound)?;
    if pending.status != CertificationStatus::Pending.as_str() {
        return Err(TenantError::CertificationNotPending);
    }
    let (status, reason) = match decision {
        CertificationDecision::Verify => (CertificationStatus::Verified, None),
        CertificationDecision::Reject { reason } => (
            CertificationStatus::Rejected,
            Some(parse::text(&reason, 200).map_err(|m| TenantError::invalid("reason", m))?),
        ),
    };
    let txn = db.begin().await?;
    let updated = scoped(tenant)
        .update_certifications()
        .filter(tenant_certification::Column::Id.eq(pending.id))
        .filter(tenant_certification::Column::Status.eq(CertificationStatus::Pending.as_str()))
        .col_expr(
            tenant_certification::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(
            tenant_certification::Column::RejectReason,
            Expr::value(reason),
        )
        .col_expr(
            tenant_certification::Column::DecidedBy,
            Expr::value(Some(operator.operator_id)),
        )
        .col_expr(
            tenant_certification::Column::DecidedAt,
            Expr::value(Some(now())),
        )
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(TenantError::CertificationNotPending);
    }
    set_tenant_certification_status(&txn, tenant, status).await?;
    txn.commit().await?;
    invalidate_context(cache, tenant, shop.wechat_appid.as_deref()).await;
    tracing::info!(tenant.id = %tenant, operator.id = %operator.operator_id, certification.status = status.as_str(), "certification decided");
    current_certification(db, tenant).await
}

async fn set_tenant_certification_status(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    status: CertificationStatus,
) -> Result<(), TenantError> {
    tenant::Entity::update_many()
        .filter(tenant::Column::Id.eq(tenant.as_uuid()))
        .col_expr(
            tenant::Column::CertificationStatus,
            Expr::value(status.as_str()),
        )
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now()))
        .exec(db)
        .await?;
    Ok(())
}
