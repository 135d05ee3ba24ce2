//! Request body and query extraction with errors that name the offending field.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use kernel::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body: `application/json`, at most `server.body_limit_bytes`, deserialised with the path
/// of any bad field reported (`owner.email: invalid type…`). Write DTOs deny unknown fields.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "request.unsupported_media_type",
                    "the body must be JSON with Content-Type: application/json",
                ));
            }
            let bytes = bytes
                .await
                .map_err(|err| match err.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "request.body_too_large",
                        "the request body is larger than this server accepts",
                    ),
                    _ => ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "request.unreadable_body",
                        "the request body could not be read",
                    ),
                })?;
            deserialize(&bytes).map(JsonBody)
        })
    }
}

pub fn deserialize<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let field = if path == "." { "body".to_owned() } else { path };
        let message = strip_position(&inner.to_string());
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.invalid_json",
            format!("the JSON body is invalid at `{field}`: {message}"),
        )
        .with_fields(vec![FieldError::new(field, message)])
    })?;
    deserializer.end().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.invalid_json",
            "the JSON body has trailing characters",
        )
    })?;
    Ok(value)
}

/// serde_json appends " at line 1 column 17"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Error handler for query strings (`web::Query`).
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "request.invalid_query",
        format!("the query string is invalid: {err}"),
    )
    .into()
}

/// Error handler for path segments (`web::Path`), e.g. an id that is not a UUID.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "request.invalid_path",
        format!("no such resource: {err}"),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "fields are only deserialised")]
    struct Outer {
        owner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "fields are only deserialised")]
    struct Inner {
        age: u32,
    }

    #[test]
    fn a_bad_nested_field_is_named_by_its_path() {
        let error = deserialize::<Outer>(br#"{"owner": {"age": "x"}}"#).err();
        assert!(error.is_some_and(|e| e.to_string().contains("owner.age")));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = deserialize::<Outer>(br#"{"owner": {"age": 1, "admin": true}}"#).err();
        assert!(error.is_some_and(|e| e.to_string().contains("unknown field `admin`")));
    }
}
