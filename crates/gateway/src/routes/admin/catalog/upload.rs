//! Reading a raw request body (CSV files, images) up to a limit, without the JSON body limit.

use actix_web::web;
use futures_util::StreamExt;

/// The body, or `Err(())` as soon as it grows past `limit` bytes.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub enum BodyError {
    TooLarge,
    Unreadable,
}
