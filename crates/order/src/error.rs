use kernel::{ErrorCode, ErrorKind, FieldError};
use uuid::Uuid;

use crate::after_sales_model::AfterSaleStatus;
use crate::model::OrderStatus;

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("no such SKU in this shop: {0}")]
    SkuNotFound(Uuid),
    #[error("the product of SKU {0} is not on sale")]
    SkuNotOnSale(Uuid),
    #[error("not enough stock for SKU {sku_id}: {available} left, {requested} requested")]
    InsufficientStock {
        sku_id: Uuid,
        available: i64,
        requested: i64,
    },
    #[error("no such cart line")]
    CartLineNotFound,
    #[error("the cart holds at most {0} lines")]
    CartFull(usize),
    #[error("there is nothing to check out")]
    NothingToCheckOut,
    #[error("no such address")]
    AddressNotFound,
    #[error("at most {0} addresses per customer")]
    TooManyAddresses(usize),
    #[error("no such order")]
    OrderNotFound,
    #[error("an order cannot go from {from} to {to}")]
    IllegalTransition { from: OrderStatus, to: OrderStatus },
    #[error("the order was not paid in time")]
    PaymentExpired,
    #[error("the Idempotency-Key header is required: 1 to 64 letters, digits, '-' or '_'")]
    InvalidIdempotencyKey,
    #[error("no such after-sale")]
    AfterSaleNotFound,
    #[error("an after-sale in {from} cannot {event}")]
    AfterSaleIllegalTransition {
        from: AfterSaleStatus,
        event: &'static str,
    },
    #[error("after-sales are for paid, shipped or completed orders (this one is {0})")]
    AfterSaleNotAllowed(OrderStatus),
    #[error("the after-sale window closed {0} days after completion")]
    AfterSaleWindowClosed(i64),
    #[error("at most {available} more of SKU {sku_id} can be applied for")]
    AfterSaleQuantityExceeded { sku_id: Uuid, available: i64 },
    #[error("refunds would exceed the paid amount: {refundable} fen left")]
    RefundExceedsPaid { refundable: i64 },
    #[error("only a completed order can be reviewed")]
    ReviewNotAllowed,
    #[error("this line has been reviewed already")]
    ReviewExists,
    #[error("no such review")]
    ReviewNotFound,
    #[error("this review has been replied to already")]
    ReviewAlreadyReplied,
    #[error(transparent)]
    Tenant(#[from] tenant::TenantError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl OrderError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl ErrorCode for OrderError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "order.invalid_input",
            Self::SkuNotFound(_) => "order.sku_not_found",
            Self::SkuNotOnSale(_) => "order.sku_not_on_sale",
            Self::InsufficientStock { .. } => "order.insufficient_stock",
            Self::CartLineNotFound => "order.cart_line_not_found",
            Self::CartFull(_) => "order.cart_full",
            Self::NothingToCheckOut => "order.nothing_to_check_out",
            Self::AddressNotFound => "order.address_not_found",
            Self::TooManyAddresses(_) => "order.too_many_addresses",
            Self::OrderNotFound => "order.not_found",
            Self::IllegalTransition { .. } => "order.illegal_transition",
            Self::InvalidIdempotencyKey => "order.invalid_idempotency_key",
            Self::PaymentExpired => "order.payment_expired",
            Self::AfterSaleNotFound => "order.after_sale_not_found",
            Self::AfterSaleIllegalTransition { .. } => "order.after_sale_illegal_transition",
            Self::AfterSaleNotAllowed(_) => "order.after_sale_not_allowed",
            Self::AfterSaleWindowClosed(_) => "order.after_sale_window_closed",
            Self::AfterSaleQuantityExceeded { .. } => "order.after_sale_quantity_exceeded",
            Self::RefundExceedsPaid { .. } => "order.refund_exceeds_paid",
            Self::ReviewNotAllowed => "order.review_not_allowed",
            Self::ReviewExists => "order.review_exists",
            Self::ReviewNotFound => "order.review_not_found",
            Self::ReviewAlreadyReplied => "order.review_already_replied",
            Self::Catalog(inner) => inner.code(),
            Self::Tenant(inner) => inner.code(),
            Self::Database(_) => "internal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_)
            | Self::SkuNotOnSale(_)
            | Self::NothingToCheckOut
            | Self::CartFull(_)
            | Self::TooManyAddresses(_) => ErrorKind::Validation,
            Self::InvalidIdempotencyKey => ErrorKind::BadRequest,
            Self::SkuNotFound(_)
            | Self::CartLineNotFound
            | Self::AddressNotFound
            | Self::OrderNotFound
            | Self::AfterSaleNotFound
            | Self::ReviewNotFound => ErrorKind::NotFound,
            Self::InsufficientStock { .. }
            | Self::IllegalTransition { .. }
            | Self::PaymentExpired
            | Self::AfterSaleIllegalTransition { .. }
            | Self::AfterSaleNotAllowed(_)
            | Self::AfterSaleWindowClosed(_)
            | Self::AfterSaleQuantityExceeded { .. }
            | Self::RefundExceedsPaid { .. }
            | Self::ReviewNotAllowed
            | Self::ReviewExists
            | Self::ReviewAlreadyReplied => ErrorKind::Conflict,
            Self::Catalog(inner) => inner.kind(),
            Self::Tenant(inner) => inner.kind(),
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
}
