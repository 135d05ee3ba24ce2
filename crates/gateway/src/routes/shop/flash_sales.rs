//! `/api/v1/shop/flash-sales`: upcoming and live flash sales, and buying in one.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use uuid::Uuid;

use crate::auth::{ShopCustomer, ShopTenant};
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub type ShopFlashSalesOut = promo::ShopFlashSales;
pub type BuyIn = promo::BuyIn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_flash_sales).service(buy_flash_sale);
}

/// Upcoming and live flash sales with the server time and countdowns.
#[utoipa::path(get, path = "/api/v1/shop/flash-sales", tag = "shop",
    params(("X-WX-Appid" = Option<String>, Header, description = "the calling mini-program's appid")),
    responses((status = 200, body = ShopFlashSalesOut)))]
#[get("/flash-sales")]
async fn list_flash_sales(
    ShopTenant(shop): ShopTenant,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(promo::shop_flash_sales(&state.db, shop.tenant_id).await?))
}

/// The client's IP: the peer, or the first forwarded address when configured to trust it.
fn client_ip(request: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for && let Some(ip) = request.connection_info().realip_remote_addr() {
        return ip.to_owned();
    }
    request
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_default()
}

/// Buy in a live flash sale at its price: one order (`Idempotency-Key` makes a retry return it),
/// within the per-customer limit, never oversold.
#[utoipa::path(post, path = "/api/v1/shop/flash-sales/{id}/orders", tag = "shop", request_body = BuyIn,
    params(("Idempotency-Key" = String, Header, description = "1 to 64 of [A-Za-z0-9_-]; the same key gives the same order")),
    responses((status = 201, body = crate::routes::shop::orders::OrderOut),
    (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody),
    (status = 429, body = crate::error::ErrorBody, description = "promo.rate_limited or promo.busy, with Retry-After")),
    security(("bearer" = [])))]
#[post("/flash-sales/{id}/orders")]
async fn buy_flash_sale(
    request: HttpRequest,
    ShopCustomer { customer, .. }: ShopCustomer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    JsonBody(input): JsonBody<BuyIn>,
) -> Result<HttpResponse, ApiError> {
    let key = request
        .headers()
        .get("Idempotency-Key")
        .and_then(|value| value.to_str().ok());
    let ip = client_ip(&request, state.settings.promo.trust_forwarded_for);
    let placed =
        crate::flows::buy_flash_sale(&state, &customer, id.into_inner(), &input, key, &ip).await?;
    Ok(HttpResponse::Created().json(placed))
}
