use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::ShopTenant;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_shop_info);
}

#[derive(Serialize, ToSchema)]
pub struct ShopInfoOut {
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    pub appid: Option<String>,
    /// Whether this shop can take WeChat Pay payments.
    pub pay_enabled: bool,
}

/// The shop this mini-program belongs to (resolved from `X-WX-Appid` or WeChat's Referer).
#[utoipa::path(get, path = "/api/v1/shop/info", tag = "shop",
    params(("X-WX-Appid" = Option<String>, Header, description = "the calling mini-program's appid")),
    responses((status = 200, body = ShopInfoOut), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
#[get("/info")]
async fn get_shop_info(ShopTenant(shop): ShopTenant) -> HttpResponse {
    HttpResponse::Ok().json(ShopInfoOut {
        tenant_id: shop.tenant_id.as_uuid(),
        code: shop.code,
        name: shop.name,
        appid: shop.appid,
        pay_enabled: shop.pay_enabled,
    })
}
