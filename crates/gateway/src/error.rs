//! The one error type of the HTTP surface. Every crate's typed error converts into it through
//! `ErrorCode`, and its `ResponseError` impl maps the kind to the status — in one place.
//! Body: `{code, message, request_id}` (+ `fields`). 5xx bodies say nothing more; their cause is
//! logged once by the request middleware.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use kernel::{ErrorCode, ErrorKind, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::middleware::current_request_id;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
    /// For 5xx: what really went wrong, logged and never sent.
    cause: Option<String>,
    /// For 429: the `Retry-After` header, in seconds.
    retry_after_secs: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, dotted snake_case error code (see docs/api.md).
    pub code: &'static str,
    pub message: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Locked => StatusCode::LOCKED,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::BadGateway => StatusCode::BAD_GATEWAY,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            cause: None,
            retry_after_secs: None,
        }
    }

    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; quote the request id when reporting it".to_owned(),
            fields: Vec::new(),
            cause: Some(cause.to_string()),
            retry_after_secs: None,
        }
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message the client sees (opaque for 5xx but 502/503).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl<E: ErrorCode> From<E> for ApiError {
    fn from(error: E) -> Self {
        let status = status_of(error.kind());
        if status.is_server_error() {
            let mut api_error = ApiError::internal(&error);
            api_error.status = status;
            if matches!(error.kind(), ErrorKind::Unavailable | ErrorKind::BadGateway) {
                api_error.code = error.code();
                api_error.message = error.to_string();
            }
            return api_error;
        }
        ApiError {
            status,
            code: error.code(),
            message: error.to_string(),
            fields: error.fields(),
            cause: None,
            retry_after_secs: error.retry_after_secs(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.code),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_secs {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(ErrorBody {
            code: self.code,
            message: self.message.clone(),
            request_id: current_request_id(),
            fields: self.fields.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("database exploded at 10.0.0.7")]
    struct Exploded;

    impl ErrorCode for Exploded {
        fn code(&self) -> &'static str {
            "test.exploded"
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Internal
        }
    }

    #[test]
    fn internal_errors_keep_their_cause_out_of_the_message() {
        let error = ApiError::from(Exploded);
        assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.code, "internal");
        assert!(!error.message.contains("10.0.0.7"));
        assert!(error.to_string().contains("10.0.0.7"));
    }

    #[test]
    fn domain_errors_keep_their_code_and_kind() {
        let error = ApiError::from(tenant::TenantError::AppidTaken);
        assert_eq!(error.status, StatusCode::CONFLICT);
        assert_eq!(error.code, "tenant.appid_taken");
    }
}
