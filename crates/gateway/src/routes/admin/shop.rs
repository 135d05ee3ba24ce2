use actix_web::{HttpResponse, get, web};
use tenant::Permission;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::routes::dto::TenantOut;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_shop);
}

/// The merchant's own shop: status, certification, plan and binding.
#[utoipa::path(get, path = "/api/v1/admin/shop", tag = "admin", responses((status = 200, body = TenantOut)), security(("bearer" = [])))]
#[get("/shop")]
async fn get_shop(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ViewShop)?;
    let shop = tenant::get_tenant(&state.db, principal.tenant_id).await?;
    Ok(HttpResponse::Ok().json(TenantOut::from(shop)))
}
