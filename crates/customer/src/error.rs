use kernel::{ErrorCode, ErrorKind};

#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    #[error("missing, malformed or revoked customer token")]
    InvalidToken,
    #[error("the customer session has expired; log in again")]
    TokenExpired,
    #[error("this customer token belongs to another shop")]
    WrongShop,
    #[error("the phone number is not a mainland mobile number")]
    InvalidPhone,
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl ErrorCode for CustomerError {
    fn code(&self) -> &'static str {
        match self {
            CustomerError::InvalidToken => "auth.invalid_token",
            CustomerError::TokenExpired => "auth.token_expired",
            CustomerError::WrongShop => "customer.wrong_shop",
            CustomerError::InvalidPhone => "customer.invalid_phone",
            CustomerError::Database(_) => "internal",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            CustomerError::InvalidToken
            | CustomerError::TokenExpired
            | CustomerError::WrongShop => ErrorKind::Unauthenticated,
            CustomerError::InvalidPhone => ErrorKind::Validation,
            CustomerError::Database(_) => ErrorKind::Internal,
        }
    }
}
