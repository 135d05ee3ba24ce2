use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};

use super::upload::{BodyError, read_body};
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(upload_image);
}

/// Upload a product image (the raw bytes as the body: JPEG, PNG, GIF or WebP, checked by content).
#[utoipa::path(post, path = "/api/v1/admin/catalog/media", tag = "catalog",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = catalog::UploadedImage), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/catalog/media")]
async fn upload_image(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let max_bytes = state.settings.media.max_image_bytes;
    let bytes = match read_body(payload, max_bytes).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            return Err(catalog::CatalogError::ImageTooLarge { max_bytes }.into());
        }
        Err(BodyError::Unreadable) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.unreadable_body",
                "the request body could not be read",
            ));
        }
    };
    let uploaded =
        catalog::upload_product_image(state.media.as_ref(), &principal, bytes, max_bytes).await?;
    Ok(HttpResponse::Created().json(uploaded))
}
