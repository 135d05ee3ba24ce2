use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::openapi;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(openapi_json)
        .service(docs_page);
}

#[derive(Serialize, ToSchema)]
pub struct ReadinessOut {
    pub database: &'static str,
    pub cache: &'static str,
    pub cache_backend: &'static str,
}

/// Liveness: the process answers. Does no I/O.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness: the database and the cache answer. 503 (with which one failed) otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = ReadinessOut), (status = 503, body = ReadinessOut)))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = infra::db::ping(&state.db).await;
    let cache = state.cache.ping().await;
    if let Err(err) = &database {
        tracing::warn!(error = %err, "readiness: database unavailable");
    }
    if let Err(err) = &cache {
        tracing::warn!(error = %err, "readiness: cache unavailable");
    }
    let body = ReadinessOut {
        database: if database.is_ok() {
            "ok"
        } else {
            "unavailable"
        },
        cache: if cache.is_ok() { "ok" } else { "unavailable" },
        cache_backend: state.cache.backend_name(),
    };
    if database.is_ok() && cache.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text")))]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(
            state
                .metrics
                .render(&state.db, &state.cache, &state.catalog_cache),
        )
}

/// This API's OpenAPI 3 document, generated from the code.
#[get("/api/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::document_json())
}

/// A readable page of the API, rendered from the OpenAPI document (no external assets).
#[get("/api/docs")]
async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(openapi::docs_html())
}
