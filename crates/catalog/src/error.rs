use kernel::{ErrorCode, ErrorKind, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("no such category")]
    CategoryNotFound,
    #[error("no such product")]
    ProductNotFound,
    #[error("no such SKU")]
    SkuNotFound,
    #[error("categories nest at most three levels deep")]
    CategoryTooDeep,
    #[error("a price must be between 0.01 and 999999.99 yuan (given in fen): {0}")]
    InvalidPrice(String),
    #[error("two SKUs have the same spec combination: {0}")]
    DuplicateSkuCombination(String),
    #[error("a SKU's spec values do not match the product's spec attributes: {0}")]
    SkuCombinationMismatch(String),
    #[error("products in this category need a {what} before going on sale")]
    QualificationRequired { what: &'static str },
    #[error("a product cannot go from {from} to {to}")]
    InvalidStatusTransition {
        from: &'static str,
        to: &'static str,
    },
    #[error("the shop's plan allows at most {limit} products")]
    PlanLimitReached { limit: i32 },
    #[error("not enough stock: {available} left, {requested} requested")]
    InsufficientStock { available: i64, requested: i64 },
    #[error("the CSV file has {} bad rows; nothing was imported", .0.len())]
    InvalidCsv(Vec<FieldError>),
    #[error("the image type is not accepted: send JPEG, PNG, GIF or WebP")]
    UnsupportedImageType,
    #[error("the image is larger than {max_bytes} bytes")]
    ImageTooLarge { max_bytes: usize },
    #[error("the media store failed: {0}")]
    MediaStore(String),
    #[error("the CSV export failed: {0}")]
    Export(String),
    #[error(transparent)]
    Tenant(#[from] tenant::TenantError),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl CatalogError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl ErrorCode for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "catalog.invalid_input",
            Self::CategoryNotFound => "catalog.category_not_found",
            Self::ProductNotFound => "catalog.product_not_found",
            Self::SkuNotFound => "catalog.sku_not_found",
            Self::CategoryTooDeep => "catalog.category_too_deep",
            Self::InvalidPrice(_) => "catalog.invalid_price",
            Self::DuplicateSkuCombination(_) => "catalog.duplicate_sku_combination",
            Self::SkuCombinationMismatch(_) => "catalog.sku_combination_mismatch",
            Self::QualificationRequired { .. } => "catalog.qualification_required",
            Self::InvalidStatusTransition { .. } => "catalog.invalid_status_transition",
            Self::PlanLimitReached { .. } => "catalog.plan_limit_reached",
            Self::InsufficientStock { .. } => "catalog.insufficient_stock",
            Self::InvalidCsv(_) => "catalog.invalid_csv",
            Self::UnsupportedImageType => "catalog.unsupported_image_type",
            Self::ImageTooLarge { .. } => "catalog.image_too_large",
            Self::Tenant(inner) => inner.code(),
            Self::MediaStore(_) | Self::Export(_) | Self::Database(_) => "internal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_)
            | Self::CategoryTooDeep
            | Self::InvalidPrice(_)
            | Self::DuplicateSkuCombination(_)
            | Self::SkuCombinationMismatch(_)
            | Self::InvalidCsv(_)
            | Self::UnsupportedImageType
            | Self::ImageTooLarge { .. } => ErrorKind::Validation,
            Self::CategoryNotFound | Self::ProductNotFound | Self::SkuNotFound => {
                ErrorKind::NotFound
            }
            Self::QualificationRequired { .. }
            | Self::InvalidStatusTransition { .. }
            | Self::PlanLimitReached { .. }
            | Self::InsufficientStock { .. } => ErrorKind::Conflict,
            Self::Tenant(inner) => inner.kind(),
            Self::MediaStore(_) | Self::Export(_) | Self::Database(_) => ErrorKind::Internal,
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            Self::Invalid(fields) | Self::InvalidCsv(fields) => fields.clone(),
            Self::Tenant(inner) => inner.fields(),
            _ => Vec::new(),
        }
    }
}

/// Collects field errors while parsing an input, then fails once with all of them.
#[derive(Default)]
pub(crate) struct Problems(pub Vec<FieldError>);

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

    pub fn into_error(self) -> CatalogError {
        CatalogError::Invalid(self.0)
    }
}
