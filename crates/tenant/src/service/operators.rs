use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::lockout::{lock_after, refuse_if_locked};
use super::{is_unique_violation, now};
use crate::entity::{operator_session, platform_operator};
use crate::error::Problems;
use crate::model::{IssuedToken, LoginPolicy, OperatorPrincipal};
use crate::{TenantError, parse};
use infra::credential::{self as credentials, CredentialKind};

/// Creates a platform operator (used by `kaidian operator create`).
pub async fn create_operator(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    password: &str,
) -> Result<OperatorPrincipal, TenantError> {
    let mut problems = Problems::default();
    let email = problems.take("email", parse::email(email));
    let name = problems.take("name", parse::text(name, 64));
    let password = problems.take("password", parse::password(password));
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(problems.into_error());
    };
    let password_hash = infra::password::hash(password).await?;
    let id = kernel::new_id();
    let row = platform_operator::ActiveModel {
        id: Set(id),
        email: Set(email.clone()),
        name: Set(name),
        password_hash: Set(password_hash),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now()),
    };
    platform_operator::Entity::insert(row)
        .exec(db)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                TenantError::OperatorExists
            } else {
                err.into()
            }
        })?;
    tracing::info!(operator.id = %id, "platform operator created");
    Ok(OperatorPrincipal {
        operator_id: id,
        email,
    })
}

/// Creates the first operator from configuration when there is none yet. Returns whether it did.
pub async fn ensure_bootstrap_operator(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<bool, TenantError> {
    if platform_operator::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    create_operator(db, email, "Platform operator", password).await?;
    Ok(true)
}

pub async fn log_in_operator(
    db: &impl ConnectionTrait,
    policy: &LoginPolicy,
    email: &str,
    password: &str,
) -> Result<IssuedToken, TenantError> {
    let email = email.trim().to_lowercase();
    let Some(operator) = platform_operator::Entity::find()
        .filter(platform_operator::Column::Email.eq(&email))
        .one(db)
        .await?
    else {
        infra::password::verify(password.to_owned(), infra::password::DUMMY_HASH.to_owned()).await;
        return Err(TenantError::InvalidCredentials);
    };
    let at = now();
    refuse_if_locked(operator.locked_until, at)?;
    if !infra::password::verify(password.to_owned(), operator.password_hash.clone()).await {
        let failures = operator.failed_logins + 1;
        let locked_until = lock_after(failures, policy, at);
        platform_operator::Entity::update_many()
            .filter(platform_operator::Column::Id.eq(operator.id))
            .col_expr(
                platform_operator::Column::FailedLogins,
                Expr::value(if locked_until.is_some() { 0 } else { failures }),
            )
            .col_expr(
                platform_operator::Column::LockedUntil,
                Expr::value(locked_until),
            )
            .exec(db)
            .await?;
        if locked_until.is_some() {
            tracing::warn!(operator.id = %operator.id, "operator locked out after repeated failed logins");
        }
        return Err(TenantError::InvalidCredentials);
    }
    platform_operator::Entity::update_many()
        .filter(platform_operator::Column::Id.eq(operator.id))
        .col_expr(platform_operator::Column::FailedLogins, Expr::value(0))
        .col_expr(
            platform_operator::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .exec(db)
        .await?;
    let session_id = kernel::new_id();
    let (token, digest) = credentials::issue(CredentialKind::Operator, None, session_id);
    let expires_at = at + policy.session_ttl;
    operator_session::Entity::insert(operator_session::ActiveModel {
        id: Set(session_id),
        operator_id: Set(operator.id),
        token_hash: Set(digest),
        expires_at: Set(expires_at),
        created_at: Set(at),
    })
    .exec(db)
    .await?;
    Ok(IssuedToken { token, expires_at })
}

pub async fn authenticate_operator(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<OperatorPrincipal, TenantError> {
    let credential =
        credentials::parse(token, CredentialKind::Operator).ok_or(TenantError::InvalidToken)?;
    let session = operator_session::Entity::find_by_id(credential.id)
        .one(db)
        .await?
        .filter(|session| credential.matches(&session.token_hash))
        .ok_or(TenantError::InvalidToken)?;
    if session.expires_at <= now() {
        return Err(TenantError::TokenExpired);
    }
    let operator = platform_operator::Entity::find_by_id(session.operator_id)
        .one(db)
        .await?
        .ok_or(TenantError::InvalidToken)?;
    Ok(OperatorPrincipal {
        operator_id: operator.id,
        email: operator.email,
    })
}
