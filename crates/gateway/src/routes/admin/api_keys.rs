use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_api_keys)
        .service(create_api_key)
        .service(revoke_api_key);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    pub name: String,
    /// Any of shop:read, catalog:read, catalog:write, orders:read, orders:write
    pub scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<&'static str>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<tenant::ApiKey> for ApiKeyOut {
    fn from(key: tenant::ApiKey) -> Self {
        ApiKeyOut {
            id: key.id,
            name: key.name,
            scopes: key.scopes.iter().map(|scope| scope.as_str()).collect(),
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKeyOut {
    #[serde(flatten)]
    pub key: ApiKeyOut,
    /// The key itself, shown this once; send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// The shop's API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/admin/api-keys", tag = "admin", responses((status = 200, body = [ApiKeyOut])), security(("bearer" = [])))]
#[get("/api-keys")]
async fn list_api_keys(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let keys = tenant::list_api_keys(&state.db, &principal).await?;
    Ok(HttpResponse::Ok().json(keys.into_iter().map(ApiKeyOut::from).collect::<Vec<_>>()))
}

/// Create an API key; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/admin/api-keys", tag = "admin", request_body = ApiKeyIn,
    responses((status = 201, body = CreatedApiKeyOut)), security(("bearer" = [])))]
#[post("/api-keys")]
async fn create_api_key(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<ApiKeyIn>,
) -> Result<HttpResponse, ApiError> {
    let created = tenant::create_api_key(&state.db, &principal, &input.name, &input.scopes).await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyOut {
        key: created.key.into(),
        secret: created.secret,
    }))
}

/// Revoke an API key, at once.
#[utoipa::path(delete, path = "/api/v1/admin/api-keys/{id}", tag = "admin",
    responses((status = 200, body = ApiKeyOut), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[delete("/api-keys/{id}")]
async fn revoke_api_key(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let key = tenant::revoke_api_key(&state.db, &principal, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ApiKeyOut::from(key)))
}
