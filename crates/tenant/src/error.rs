use kernel::{ErrorCode, ErrorKind, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("no such tenant")]
    TenantNotFound,
    #[error("no shop is bound to this mini-program appid")]
    UnknownApp,
    #[error("this shop is suspended")]
    Suspended,
    #[error("the shop code is already taken")]
    CodeTaken,
    #[error("this appid is already bound to another shop")]
    AppidTaken,
    #[error("wrong login or password")]
    InvalidCredentials,
    #[error("too many failed logins; the account is locked until {until}")]
    AccountLocked {
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("the account is disabled")]
    AccountDisabled,
    #[error("missing, malformed or revoked credential")]
    InvalidToken,
    #[error("the credential has expired; log in again")]
    TokenExpired,
    #[error("this credential may not {0}")]
    Forbidden(&'static str),
    #[error("no such staff member")]
    StaffNotFound,
    #[error("another staff member of this shop already uses this email or phone")]
    StaffLoginTaken,
    #[error("the shop owner cannot be changed this way")]
    OwnerProtected,
    #[error("the shop's plan allows at most {limit} {what}")]
    PlanLimitReached { what: &'static str, limit: i32 },
    #[error("no such API key")]
    ApiKeyNotFound,
    #[error("WeChat Pay cannot be enabled: {0}")]
    PaymentNotAllowed(&'static str),
    #[error("bind the mini-program appid first")]
    AppNotBound,
    #[error("no certification has been submitted")]
    CertificationNotFound,
    #[error("the certification is not pending a decision")]
    CertificationNotPending,
    #[error("an operator with this email already exists")]
    OperatorExists,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("a stored secret cannot be opened: {0}")]
    Sealed(#[from] infra::secret_box::SecretBoxError),
    #[error(transparent)]
    Password(#[from] infra::password::PasswordError),
}

impl TenantError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl ErrorCode for TenantError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "tenant.invalid_input",
            Self::TenantNotFound => "tenant.not_found",
            Self::UnknownApp => "tenant.unknown_app",
            Self::Suspended => "tenant.suspended",
            Self::CodeTaken => "tenant.code_taken",
            Self::AppidTaken => "tenant.appid_taken",
            Self::InvalidCredentials => "auth.invalid_credentials",
            Self::AccountLocked { .. } => "auth.account_locked",
            Self::AccountDisabled => "auth.account_disabled",
            Self::InvalidToken => "auth.invalid_token",
            Self::TokenExpired => "auth.token_expired",
            Self::Forbidden(_) => "auth.forbidden",
            Self::StaffNotFound => "tenant.staff_not_found",
            Self::StaffLoginTaken => "tenant.staff_login_taken",
            Self::OwnerProtected => "tenant.owner_protected",
            Self::PlanLimitReached { .. } => "tenant.plan_limit_reached",
            Self::ApiKeyNotFound => "tenant.api_key_not_found",
            Self::PaymentNotAllowed(_) => "tenant.payment_not_allowed",
            Self::AppNotBound => "tenant.app_not_bound",
            Self::CertificationNotFound => "tenant.certification_not_found",
            Self::CertificationNotPending => "tenant.certification_not_pending",
            Self::OperatorExists => "platform.operator_exists",
            Self::WrongCurrentPassword => "auth.wrong_current_password",
            Self::Database(_) | Self::Sealed(_) | Self::Password(_) => "internal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::Validation,
            Self::TenantNotFound
            | Self::UnknownApp
            | Self::StaffNotFound
            | Self::ApiKeyNotFound
            | Self::CertificationNotFound => ErrorKind::NotFound,
            Self::Suspended
            | Self::Forbidden(_)
            | Self::OwnerProtected
            | Self::PaymentNotAllowed(_)
            | Self::AccountDisabled => ErrorKind::Forbidden,
            Self::CodeTaken
            | Self::AppidTaken
            | Self::StaffLoginTaken
            | Self::PlanLimitReached { .. }
            | Self::AppNotBound
            | Self::CertificationNotPending
            | Self::OperatorExists => ErrorKind::Conflict,
            Self::InvalidCredentials | Self::InvalidToken | Self::TokenExpired => {
                ErrorKind::Unauthenticated
            }
            Self::WrongCurrentPassword => ErrorKind::Validation,
            Self::AccountLocked { .. } => ErrorKind::Locked,
            Self::Database(_) | Self::Sealed(_) | Self::Password(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            Self::Invalid(fields) => fields.clone(),
            Self::WrongCurrentPassword => {
                vec![FieldError::new("current_password", "is wrong")]
            }
            _ => Vec::new(),
        }
    }
}

/// Collects field errors while parsing an input, then fails once with all of them.
#[derive(Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// The error once some field failed (every failed field yielded `None` from `take`).
    pub fn into_error(self) -> TenantError {
        TenantError::Invalid(self.0)
    }
}
