use kernel::{ErrorCode, ErrorKind, FieldError};

/// What can go wrong taking a payment or a refund. Codes are stable (`docs/api.md`).
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("this shop cannot take payments: {0}")]
    NotEnabled(&'static str),
    #[error("the shop's WeChat Pay configuration is unusable: {0}")]
    BadConfig(&'static str),
    #[error("no payment with this out_trade_no")]
    PaymentNotFound,
    #[error("no refund with this out_refund_no")]
    RefundNotFound,
    #[error("this out_trade_no was already used with other parameters")]
    ParamsChanged,
    #[error("this payment is already paid")]
    AlreadyPaid,
    #[error("this payment is closed")]
    Closed,
    #[error("this payment is not paid, so it cannot be refunded")]
    NotPaid,
    #[error("the refunds would exceed the paid amount ({refundable} fen still refundable)")]
    RefundExceedsPaid { refundable: i64 },
    #[error("this out_refund_no was already used with other parameters")]
    RefundParamsChanged,
    #[error("WeChat Pay refused the request ({status} {code}): {message}")]
    WechatRefused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("WeChat Pay could not be reached or failed: {0}")]
    WechatUnavailable(String),
    #[error("WeChat Pay's answer failed verification: {0}")]
    UnverifiedResponse(&'static str),
    #[error("WeChat Pay's answer could not be understood: {0}")]
    BadResponse(String),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Tenant(#[from] tenant::TenantError),
}

impl PaymentError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl ErrorCode for PaymentError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "payment.invalid_input",
            Self::NotEnabled(_) => "payment.not_enabled",
            Self::BadConfig(_) => "payment.bad_config",
            Self::PaymentNotFound => "payment.not_found",
            Self::RefundNotFound => "payment.refund_not_found",
            Self::ParamsChanged => "payment.params_changed",
            Self::AlreadyPaid => "payment.already_paid",
            Self::Closed => "payment.closed",
            Self::NotPaid => "payment.not_paid",
            Self::RefundExceedsPaid { .. } => "payment.refund_exceeds_paid",
            Self::RefundParamsChanged => "payment.refund_params_changed",
            Self::WechatRefused { .. } => "payment.wechat_refused",
            Self::WechatUnavailable(_) => "payment.wechat_unavailable",
            Self::UnverifiedResponse(_) => "payment.unverified_response",
            Self::BadResponse(_) => "payment.bad_response",
            Self::Database(_) => "internal",
            Self::Tenant(inner) => inner.code(),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid { .. } => ErrorKind::Validation,
            Self::NotEnabled(_) => ErrorKind::Forbidden,
            Self::PaymentNotFound | Self::RefundNotFound => ErrorKind::NotFound,
            Self::BadConfig(_)
            | Self::ParamsChanged
            | Self::AlreadyPaid
            | Self::Closed
            | Self::NotPaid
            | Self::RefundExceedsPaid { .. }
            | Self::RefundParamsChanged
            | Self::WechatRefused { .. } => ErrorKind::Conflict,
            Self::WechatUnavailable(_) | Self::UnverifiedResponse(_) | Self::BadResponse(_) => {
                ErrorKind::Unavailable
            }
            Self::Database(_) => ErrorKind::Internal,
            Self::Tenant(inner) => inner.kind(),
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            Self::Invalid { field, message } => vec![FieldError::new(*field, message.clone())],
            Self::Tenant(inner) => inner.fields(),
            _ => Vec::new(),
        }
    }
}
