use serde::Serialize;
use utoipa::ToSchema;

/// What kind of failure an error is; the gateway maps each kind to exactly one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed (400).
    BadRequest,
    /// The request is well-formed but a field is not acceptable (422).
    Validation,
    /// No valid credential (401).
    Unauthenticated,
    /// A valid credential without the right to do this (403).
    Forbidden,
    /// The thing does not exist, or not for this tenant (404).
    NotFound,
    /// The request conflicts with the current state (409).
    Conflict,
    /// The account is locked for now (423).
    Locked,
    /// Too many requests (429).
    RateLimited,
    /// A dependency is unavailable (503).
    Unavailable,
    /// A dependency answered, but refused or garbled the call (502); the message says how.
    BadGateway,
    /// A bug or an unexpected failure (500); the body never says more.
    Internal,
}

/// Implemented by every crate's error type: a stable, dotted snake_case code
/// (`tenant.appid_taken`) that clients can rely on, and a kind for the status.
pub trait ErrorCode: std::error::Error {
    fn code(&self) -> &'static str;
    fn kind(&self) -> ErrorKind;
    /// Field-level details for validation errors.
    fn fields(&self) -> Vec<FieldError> {
        Vec::new()
    }
    /// For rate-limit errors: when to retry (the `Retry-After` header, in seconds).
    fn retry_after_secs(&self) -> Option<u64> {
        None
    }
}

/// One invalid field: its JSON path and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
