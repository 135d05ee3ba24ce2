use kernel::{ErrorCode, ErrorKind, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum PromoError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("no such flash sale")]
    NotFound,
    #[error("the flash sale is not live")]
    NotLive,
    #[error("sold out")]
    SoldOut,
    #[error("you have bought as many as this flash sale allows per customer")]
    LimitReached,
    #[error("not enough stock for SKU {sku_id}: {available} left, {requested} wanted for the sale")]
    InsufficientStock {
        sku_id: uuid::Uuid,
        available: i64,
        requested: i64,
    },
    #[error("the flash sale has started; only stopping it is possible now")]
    AlreadyStarted,
    #[error("the flash sale has already ended or been stopped")]
    AlreadyEnded,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    InProgress,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the shop's flash sale is at capacity; retry in a moment")]
    Busy,
    #[error(transparent)]
    Tenant(#[from] tenant::TenantError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl PromoError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl ErrorCode for PromoError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "promo.invalid_input",
            Self::NotFound => "promo.not_found",
            Self::NotLive => "promo.not_live",
            Self::SoldOut => "promo.sold_out",
            Self::LimitReached => "promo.limit_reached",
            Self::InsufficientStock { .. } => "promo.insufficient_stock",
            Self::AlreadyStarted => "promo.already_started",
            Self::AlreadyEnded => "promo.already_ended",
            Self::InProgress => "promo.in_progress",
            Self::RateLimited { .. } => "promo.rate_limited",
            Self::Busy => "promo.busy",
            Self::Tenant(inner) => inner.code(),
            Self::Catalog(inner) => inner.code(),
            Self::Database(_) => "internal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::Validation,
            Self::NotFound => ErrorKind::NotFound,
            Self::NotLive
            | Self::SoldOut
            | Self::LimitReached
            | Self::InsufficientStock { .. }
            | Self::AlreadyStarted
            | Self::AlreadyEnded
            | Self::InProgress => ErrorKind::Conflict,
            Self::RateLimited { .. } | Self::Busy => ErrorKind::RateLimited,
            Self::Tenant(inner) => inner.kind(),
            Self::Catalog(inner) => inner.kind(),
            Self::Database(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            Self::Invalid(fields) => fields.clone(),
            Self::Catalog(inner) => inner.fields(),
            _ => Vec::new(),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Busy => Some(1),
            _ => None,
        }
    }
}
