use chrono::{Duration, Utc};
use infra::credential::{self, CredentialKind};
use kernel::TenantId;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::CustomerError;
use crate::entity::{customer, customer_session};
use crate::model::{Customer, CustomerPrincipal, CustomerSession};
use crate::repo::scoped;

fn customer_from_row(row: customer::Model) -> Customer {
    Customer {
        id: row.id,
        openid: row.openid,
        unionid: row.unionid,
        phone: row.phone,
        created_at: row.created_at,
        last_login_at: row.last_login_at,
    }
}

/// Records that the WeChat user `openid` logged in to the shop (creating the customer the first
/// time, concurrently safe) and opens a session bound to that shop.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    openid: &str,
    unionid: Option<&str>,
    session_ttl: Duration,
) -> Result<CustomerSession, CustomerError> {
    let now = Utc::now();
    let row = customer::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        openid: Set(openid.to_owned()),
        unionid: Set(unionid.map(str::to_owned)),
        phone: Set(None),
        created_at: Set(now),
        last_login_at: Set(now),
    };
    customer::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([customer::Column::TenantId, customer::Column::Openid])
                .update_column(customer::Column::LastLoginAt)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if let Some(unionid) = unionid {
        scoped(tenant)
            .update_customers()
            .filter(customer::Column::Openid.eq(openid))
            .col_expr(
                customer::Column::Unionid,
                Expr::value(Some(unionid.to_owned())),
            )
            .exec(db)
            .await?;
    }
    let found = scoped(tenant)
        .customers()
        .filter(customer::Column::Openid.eq(openid))
        .one(db)
        .await?
        .ok_or(CustomerError::InvalidToken)?;
    let session_id = kernel::new_id();
    let (token, digest) = credential::issue(CredentialKind::Customer, Some(tenant), session_id);
    let expires_at = now + session_ttl;
    customer_session::Entity::insert(customer_session::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(session_id),
        customer_id: Set(found.id),
        token_hash: Set(digest),
        expires_at: Set(expires_at),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    tracing::info!(tenant.id = %tenant, customer.id = %found.id, "customer logged in");
    Ok(CustomerSession {
        token,
        expires_at,
        customer: customer_from_row(found),
    })
}

/// Checks a customer token for the shop the request is for: a token of another shop is refused.
pub async fn authenticate_customer(
    db: &impl ConnectionTrait,
    shop: TenantId,
    token: &str,
) -> Result<CustomerPrincipal, CustomerError> {
    let credential =
        credential::parse(token, CredentialKind::Customer).ok_or(CustomerError::InvalidToken)?;
    let tenant = credential.tenant.ok_or(CustomerError::InvalidToken)?;
    if tenant != shop {
        return Err(CustomerError::WrongShop);
    }
    let session = scoped(tenant)
        .sessions()
        .filter(customer_session::Column::Id.eq(credential.id))
        .one(db)
        .await?
        .filter(|session| credential.matches(&session.token_hash))
        .ok_or(CustomerError::InvalidToken)?;
    if session.expires_at <= Utc::now() {
        return Err(CustomerError::TokenExpired);
    }
    let found = scoped(tenant)
        .customers()
        .filter(customer::Column::Id.eq(session.customer_id))
        .one(db)
        .await?
        .ok_or(CustomerError::InvalidToken)?;
    Ok(CustomerPrincipal {
        tenant_id: tenant,
        customer_id: found.id,
        openid: found.openid,
    })
}

pub async fn customer_profile(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
) -> Result<Customer, CustomerError> {
    scoped(principal.tenant_id)
        .customers()
        .filter(customer::Column::Id.eq(principal.customer_id))
        .one(db)
        .await?
        .map(customer_from_row)
        .ok_or(CustomerError::InvalidToken)
}

/// Keeps the phone number WeChat confirmed for this customer (11-digit mainland mobile).
pub async fn bind_phone(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    phone: &str,
) -> Result<Customer, CustomerError> {
    let phone = phone.trim();
    if !(phone.len() == 11 && phone.starts_with('1') && phone.chars().all(|c| c.is_ascii_digit())) {
        return Err(CustomerError::InvalidPhone);
    }
    scoped(principal.tenant_id)
        .update_customers()
        .filter(customer::Column::Id.eq(principal.customer_id))
        .col_expr(customer::Column::Phone, Expr::value(Some(phone.to_owned())))
        .exec(db)
        .await?;
    customer_profile(db, principal).await
}
