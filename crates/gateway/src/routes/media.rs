//! `/media/<tenant>/<file>`: product images uploaded through the admin API, served publicly
//! (mini-programs load them by URL). Only names the upload made are looked up.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, get, web};

use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_media);
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "media.not_found", "no such file")
}

#[get("/media/{tenant}/{file}")]
async fn get_media(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, file) = path.into_inner();
    let (key, kind) = catalog::media_key(&tenant, &file).ok_or_else(not_found)?;
    let bytes = state.media.get(&key).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, kind.content_type()))
        // Names are never reused, so a file never changes.
        .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
