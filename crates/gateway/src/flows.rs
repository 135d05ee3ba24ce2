//! Use cases that span several domain crates, orchestrated here so that no domain crate depends
//! on another's internals: the gateway calls each crate's public service API in turn.

use chrono::Duration;
use customer::{Customer, CustomerPrincipal, CustomerSession};
use tenant::TenantContext;

use crate::error::ApiError;
use crate::state::AppState;

/// The shop's mini-program credentials with the base URL its WeChat calls go to.
pub async fn shop_app(
    state: &AppState,
    shop: &TenantContext,
) -> Result<wechat::AppCredentials, ApiError> {
    let secrets = tenant::app_credentials(&state.db, &state.secrets, shop.tenant_id)
        .await?
        .ok_or(wechat::WechatError::NotConfigured)?;
    Ok(wechat::AppCredentials {
        appid: secrets.appid,
        secret: secrets.app_secret,
        base_url: secrets
            .api_base_url
            .unwrap_or_else(|| state.wechat.api_base_url.clone()),
    })
}

/// `wx.login()` code → code2Session with this shop's appid and secret → the shop's customer →
/// a session bound to the shop. WeChat's session_key is dropped here; it never leaves the server.
pub async fn log_in_customer(
    state: &AppState,
    shop: &TenantContext,
    code: &str,
) -> Result<CustomerSession, ApiError> {
    let app = shop_app(state, shop).await?;
    let session = state
        .wechat
        .mini_program
        .code_to_session(&app, code)
        .await?;
    let ttl = Duration::days(state.settings.security.customer_session_ttl_days);
    Ok(customer::sign_in(
        &state.db,
        shop.tenant_id,
        &session.openid,
        session.unionid.as_deref(),
        ttl,
    )
    .await?)
}

/// A `getPhoneNumber` code → the phone number WeChat confirms → kept on the customer.
pub async fn bind_customer_phone(
    state: &AppState,
    shop: &TenantContext,
    principal: &CustomerPrincipal,
    code: &str,
) -> Result<Customer, ApiError> {
    let app = shop_app(state, shop).await?;
    let base_url = app.base_url.clone();
    let phone = state
        .wechat
        .tokens
        .with_token(&app, |token| {
            let base_url = base_url.clone();
            async move {
                state
                    .wechat
                    .mini_program
                    .phone_number(&base_url, &token, code)
                    .await
            }
        })
        .await?;
    Ok(customer::bind_phone(&state.db, principal, &phone.pure_phone_number).await?)
}

/// A merchant's stock adjustment, mirrored into the order crate's Redis stock so that Redis and
/// the database keep agreeing.
pub async fn adjust_stock_by_merchant(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    sku_id: uuid::Uuid,
    input: &catalog::NewStockAdjustment,
) -> Result<catalog::StockAdjustment, ApiError> {
    let entry =
        catalog::record_stock_adjustment(&state.db, &state.catalog_cache, principal, sku_id, input)
            .await?;
    order::mirror_stock_adjustment(
        &state.catalog_cache,
        principal.tenant_id,
        sku_id,
        entry.delta,
    )
    .await;
    Ok(entry)
}
