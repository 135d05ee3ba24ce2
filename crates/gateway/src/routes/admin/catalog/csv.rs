use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, get, post, web};

use super::upload::{BodyError, read_body};
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import_products).service(export_products);
}

/// Import products and SKUs from CSV (one row per SKU; see docs/api.md for the columns). Every row
/// is checked first; if any is bad, the report lists them all and nothing is imported.
#[utoipa::path(post, path = "/api/v1/admin/catalog/import", tag = "catalog",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = catalog::ImportReport), (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[post("/catalog/import")]
async fn import_products(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limit = state.settings.media.max_import_bytes;
    let bytes = read_body(payload, limit).await.map_err(|err| match err {
        BodyError::TooLarge => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.body_too_large",
            format!("a CSV import may be at most {limit} bytes; split the file"),
        ),
        BodyError::Unreadable => ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.unreadable_body",
            "the request body could not be read",
        ),
    })?;
    let report =
        catalog::import_products_csv(&state.db, &state.catalog_cache, &principal, &bytes).await?;
    Ok(HttpResponse::Created().json(report))
}

/// Every product and SKU as CSV, in the import format (UTF-8 with a byte-order mark).
#[utoipa::path(get, path = "/api/v1/admin/catalog/export", tag = "catalog",
    responses((status = 200, body = String, content_type = "text/csv")), security(("bearer" = [])))]
#[get("/catalog/export")]
async fn export_products(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let csv = catalog::export_products_csv(&state.db, &principal).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"products.csv\""))
        .body(csv))
}
