use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::lockout::{lock_after, refuse_if_locked};
use super::tenants::tenant_row;
use super::{is_unique_violation, now};
use crate::entity::{staff, staff_session, tenant};
use crate::error::Problems;
use crate::model::{
    Actor, AdminPrincipal, IssuedToken, LoginPolicy, Permission, Role, StaffDraft, StaffMember,
    StaffPatch, StaffSession, StaffStatus,
};
use crate::repo::scoped;
use crate::{TenantError, parse};
use infra::credential::{self as credentials, CredentialKind};

const INITIAL_PASSWORD_BYTES: usize = 12;

/// A staff draft whose fields have been parsed.
pub(crate) struct StaffDraftParsed {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    role: Option<Role>,
    password: Option<String>,
}

/// Ready to insert: the password is known (given or generated).
pub(crate) struct StaffDraftReady {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
}

impl StaffDraftParsed {
    /// Parses a draft, reporting problems under `prefix` (`owner.` for a tenant's owner).
    pub(crate) fn parse(draft: StaffDraft, prefix: &str, problems: &mut Problems) -> Option<Self> {
        let field = |name: &str| format!("{prefix}{name}");
        let name = problems.take(&field("name"), parse::text(&draft.name, 64));
        let email = match draft.email.as_deref() {
            Some(email) => problems
                .take(&field("email"), parse::email(email))
                .map(Some),
            None => Some(None),
        };
        let phone = match draft.phone.as_deref() {
            Some(phone) => problems
                .take(&field("phone"), parse::mobile(phone))
                .map(Some),
            None => Some(None),
        };
        let role = if prefix.is_empty() {
            problems
                .take(&field("role"), Role::parse(&draft.role))
                .map(Some)
        } else {
            Some(None)
        };
        let password = match draft.password.as_deref() {
            Some(password) => problems
                .take(&field("password"), parse::password(password))
                .map(Some),
            None => Some(None),
        };
        if matches!((&email, &phone), (Some(None), Some(None))) {
            problems.take::<()>(
                &field("email"),
                Err("an email or a phone is required to log in".to_owned()),
            );
            return None;
        }
        Some(StaffDraftParsed {
            name: name?,
            email: email?,
            phone: phone?,
            role: role?,
            password: password?,
        })
    }

    /// The draft with a password; when none was given, a generated one returned once.
    pub(crate) fn with_password(self) -> (StaffDraftReady, Option<String>) {
        let (password, generated) = match self.password {
            Some(password) => (password, None),
            None => {
                let generated = infra::token::random_secret(INITIAL_PASSWORD_BYTES);
                (generated.clone(), Some(generated))
            }
        };
        (
            StaffDraftReady {
                name: self.name,
                email: self.email,
                phone: self.phone,
                password,
            },
            generated,
        )
    }
}

pub(crate) fn member_from_row(row: staff::Model) -> StaffMember {
    StaffMember {
        id: row.id,
        role: Role::parse(&row.role).unwrap_or(Role::Service),
        status: StaffStatus::parse(&row.status).unwrap_or(StaffStatus::Disabled),
        name: row.name,
        email: row.email,
        phone: row.phone,
        locked_until: row.locked_until,
        created_at: row.created_at,
    }
}

pub(crate) async fn insert_staff(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    draft: StaffDraftReady,
    role: Role,
    password_hash: String,
) -> Result<StaffMember, TenantError> {
    let at = now();
    let row = staff::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        name: Set(draft.name),
        email: Set(draft.email),
        phone: Set(draft.phone),
        role: Set(role.as_str().to_owned()),
        password_hash: Set(password_hash),
        status: Set(StaffStatus::Active.as_str().to_owned()),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let inserted = staff::Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                TenantError::StaffLoginTaken
            } else {
                err.into()
            }
        })?;
    Ok(member_from_row(inserted))
}

async fn staff_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: Uuid,
) -> Result<staff::Model, TenantError> {
    scoped(tenant)
        .staff()
        .filter(staff::Column::Id.eq(staff_id))
        .one(db)
        .await?
        .ok_or(TenantError::StaffNotFound)
}

/// Logs a staff member in with the shop code, their email or phone, and their password.
pub async fn log_in_staff(
    db: &impl ConnectionTrait,
    policy: &LoginPolicy,
    shop_code: &str,
    login: &str,
    password: &str,
) -> Result<StaffSession, TenantError> {
    let shop = tenant::Entity::find()
        .filter(tenant::Column::Code.eq(shop_code.trim().to_lowercase()))
        .one(db)
        .await?;
    let login = login.trim().to_lowercase();
    let member = match &shop {
        Some(shop) => {
            scoped(TenantId(shop.id))
                .staff()
                .filter(
                    Condition::any()
                        .add(staff::Column::Email.eq(&login))
                        .add(staff::Column::Phone.eq(&login)),
                )
                .one(db)
                .await?
        }
        None => None,
    };
    let (Some(shop), Some(member)) = (shop, member) else {
        infra::password::verify(password.to_owned(), infra::password::DUMMY_HASH.to_owned()).await;
        return Err(TenantError::InvalidCredentials);
    };
    let tenant = TenantId(shop.id);
    let at = now();
    refuse_if_locked(member.locked_until, at)?;
    if !infra::password::verify(password.to_owned(), member.password_hash.clone()).await {
        let failures = member.failed_logins + 1;
        let locked_until = lock_after(failures, policy, at);
        scoped(tenant)
            .update_staff()
            .filter(staff::Column::Id.eq(member.id))
            .col_expr(
                staff::Column::FailedLogins,
                Expr::value(if locked_until.is_some() { 0 } else { failures }),
            )
            .col_expr(staff::Column::LockedUntil, Expr::value(locked_until))
            .exec(db)
            .await?;
        if locked_until.is_some() {
            tracing::warn!(tenant.id = %tenant, staff.id = %member.id, "staff locked out after repeated failed logins");
        }
        return Err(TenantError::InvalidCredentials);
    }
    if member.status != StaffStatus::Active.as_str() {
        return Err(TenantError::AccountDisabled);
    }
    scoped(tenant)
        .update_staff()
        .filter(staff::Column::Id.eq(member.id))
        .col_expr(staff::Column::FailedLogins, Expr::value(0))
        .col_expr(
            staff::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .exec(db)
        .await?;
    let token = open_session(db, policy, tenant, member.id).await?;
    Ok(StaffSession {
        token,
        tenant_id: tenant,
        staff: member_from_row(member),
    })
}

async fn open_session(
    db: &impl ConnectionTrait,
    policy: &LoginPolicy,
    tenant: TenantId,
    staff_id: Uuid,
) -> Result<IssuedToken, TenantError> {
    let session_id = kernel::new_id();
    let (token, digest) = credentials::issue(CredentialKind::Staff, Some(tenant), session_id);
    let at = now();
    let expires_at = at + policy.session_ttl;
    staff_session::Entity::insert(staff_session::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(session_id),
        staff_id: Set(staff_id),
        token_hash: Set(digest),
        expires_at: Set(expires_at),
        created_at: Set(at),
    })
    .exec(db)
    .await?;
    Ok(IssuedToken { token, expires_at })
}

/// Checks a staff session token: the tenant comes from the token, never from the request.
pub async fn authenticate_staff(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<AdminPrincipal, TenantError> {
    let credential =
        credentials::parse(token, CredentialKind::Staff).ok_or(TenantError::InvalidToken)?;
    let tenant = credential.tenant.ok_or(TenantError::InvalidToken)?;
    let session = scoped(tenant)
        .staff_sessions()
        .filter(staff_session::Column::Id.eq(credential.id))
        .one(db)
        .await?
        .filter(|session| credential.matches(&session.token_hash))
        .ok_or(TenantError::InvalidToken)?;
    if session.expires_at <= now() {
        return Err(TenantError::TokenExpired);
    }
    let member = staff_row(db, tenant, session.staff_id)
        .await
        .map_err(|_| TenantError::InvalidToken)?;
    if member.status != StaffStatus::Active.as_str() {
        return Err(TenantError::InvalidToken);
    }
    Ok(AdminPrincipal {
        tenant_id: tenant,
        actor: Actor::Staff {
            staff_id: member.id,
            session_id: session.id,
            role: Role::parse(&member.role).unwrap_or(Role::Service),
        },
    })
}

/// Adds a staff member (never a second owner). Without a password, an initial one is generated
/// and returned once.
pub async fn create_staff(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    draft: StaffDraft,
) -> Result<(StaffMember, Option<String>), TenantError> {
    principal.require(Permission::ManageStaff)?;
    let mut problems = Problems::default();
    let Some(parsed) = StaffDraftParsed::parse(draft, "", &mut problems) else {
        return Err(problems.into_error());
    };
    let role = parsed.role.unwrap_or(Role::Service);
    if role == Role::Owner {
        return Err(TenantError::OwnerProtected);
    }
    let tenant = principal.tenant_id;
    let limit = tenant_row(db, tenant).await?.max_staff;
    let count = scoped(tenant).staff().count(db).await?;
    if count >= u64::try_from(limit).unwrap_or(0) {
        return Err(TenantError::PlanLimitReached {
            what: "staff members",
            limit,
        });
    }
    let (ready, generated) = parsed.with_password();
    let password_hash = infra::password::hash(ready.password.clone()).await?;
    let member = insert_staff(db, tenant, ready, role, password_hash).await?;
    tracing::info!(tenant.id = %tenant, staff.id = %member.id, staff.role = role.as_str(), "staff member added");
    Ok((member, generated))
}

pub async fn list_staff(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<Vec<StaffMember>, TenantError> {
    principal.require(Permission::ManageStaff)?;
    let rows = scoped(principal.tenant_id)
        .staff()
        .order_by_asc(staff::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(member_from_row).collect())
}

/// Renames, changes the role of, or disables/enables a staff member. The owner is untouchable
/// here; disabling someone ends their sessions.
pub async fn update_staff(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    staff_id: Uuid,
    patch: StaffPatch,
) -> Result<StaffMember, TenantError> {
    principal.require(Permission::ManageStaff)?;
    let tenant = principal.tenant_id;
    let member = staff_row(db, tenant, staff_id).await?;
    if member.role == Role::Owner.as_str() {
        return Err(TenantError::OwnerProtected);
    }
    let mut problems = Problems::default();
    let name = patch
        .name
        .as_deref()
        .map(|name| problems.take("name", parse::text(name, 64)));
    let role = patch
        .role
        .as_deref()
        .map(|role| problems.take("role", Role::parse(role)));
    let status = patch
        .status
        .as_deref()
        .map(|status| problems.take("status", StaffStatus::parse(status)));
    let (Some(name), Some(role), Some(status)) = (
        name.map_or(Some(None), |n| n.map(Some)),
        role.map_or(Some(None), |r| r.map(Some)),
        status.map_or(Some(None), |s| s.map(Some)),
    ) else {
        return Err(problems.into_error());
    };
    if role == Some(Role::Owner) {
        return Err(TenantError::OwnerProtected);
    }
    let mut update = scoped(tenant)
        .update_staff()
        .filter(staff::Column::Id.eq(staff_id))
        .col_expr(staff::Column::UpdatedAt, Expr::value(now()));
    if let Some(name) = name {
        update = update.col_expr(staff::Column::Name, Expr::value(name));
    }
    if let Some(role) = role {
        update = update.col_expr(staff::Column::Role, Expr::value(role.as_str()));
    }
    if let Some(status) = status {
        update = update.col_expr(staff::Column::Status, Expr::value(status.as_str()));
    }
    update.exec(db).await?;
    if status == Some(StaffStatus::Disabled) {
        end_sessions(db, tenant, staff_id, None).await?;
    }
    staff_row(db, tenant, staff_id).await.map(member_from_row)
}

/// Changes the caller's own password (the current one is required); other sessions end.
pub async fn change_own_password(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    current_password: &str,
    new_password: &str,
) -> Result<(), TenantError> {
    let Actor::Staff {
        staff_id,
        session_id,
        ..
    } = principal.actor
    else {
        return Err(TenantError::Forbidden(
            "change a password (API keys have none)",
        ));
    };
    let new_password =
        parse::password(new_password).map_err(|m| TenantError::invalid("new_password", m))?;
    let tenant = principal.tenant_id;
    let member = staff_row(db, tenant, staff_id).await?;
    if !infra::password::verify(current_password.to_owned(), member.password_hash).await {
        return Err(TenantError::WrongCurrentPassword);
    }
    set_password(db, tenant, staff_id, new_password).await?;
    end_sessions(db, tenant, staff_id, Some(session_id)).await
}

/// The owner sets a new password for a staff member (generated when `None`, and returned once),
/// clears any lock-out and ends that member's sessions.
pub async fn reset_staff_password(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    staff_id: Uuid,
    new_password: Option<&str>,
) -> Result<Option<String>, TenantError> {
    principal.require(Permission::ManageStaff)?;
    if !matches!(
        principal.actor,
        Actor::Staff {
            role: Role::Owner,
            ..
        }
    ) {
        return Err(TenantError::Forbidden(
            "reset passwords (only the owner may)",
        ));
    }
    let tenant = principal.tenant_id;
    let member = staff_row(db, tenant, staff_id).await?;
    if member.role == Role::Owner.as_str() {
        return Err(TenantError::OwnerProtected);
    }
    let (password, generated) = match new_password {
        Some(password) => (
            parse::password(password).map_err(|m| TenantError::invalid("new_password", m))?,
            None,
        ),
        None => {
            let generated = infra::token::random_secret(INITIAL_PASSWORD_BYTES);
            (generated.clone(), Some(generated))
        }
    };
    set_password(db, tenant, staff_id, password).await?;
    end_sessions(db, tenant, staff_id, None).await?;
    tracing::info!(tenant.id = %tenant, staff.id = %staff_id, "staff password reset by the owner");
    Ok(generated)
}

async fn set_password(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: Uuid,
    password: String,
) -> Result<(), TenantError> {
    let password_hash = infra::password::hash(password).await?;
    scoped(tenant)
        .update_staff()
        .filter(staff::Column::Id.eq(staff_id))
        .col_expr(staff::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(staff::Column::FailedLogins, Expr::value(0))
        .col_expr(
            staff::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(staff::Column::UpdatedAt, Expr::value(now()))
        .exec(db)
        .await?;
    Ok(())
}

async fn end_sessions(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: Uuid,
    keep: Option<Uuid>,
) -> Result<(), TenantError> {
    let mut delete = scoped(tenant)
        .delete_staff_sessions()
        .filter(staff_session::Column::StaffId.eq(staff_id));
    if let Some(keep) = keep {
        delete = delete.filter(staff_session::Column::Id.ne(keep));
    }
    delete.exec(db).await?;
    Ok(())
}
