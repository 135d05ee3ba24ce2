//! Extractors that establish who is speaking and for which shop. The tenant always comes from a
//! credential (admin) or from the mini-program's appid (shop), never from the request body.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, REFERER};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use tenant::{
    AdminPrincipal, CredentialKind, OperatorPrincipal, TenantContext, TenantError, TenantStatus,
};

use crate::error::ApiError;
use crate::state::AppState;

pub const APPID_HEADER: &str = "x-wx-appid";

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.missing_token",
                "send a credential as `Authorization: Bearer <token>`",
            )
        })
}

fn record_tenant(tenant: kernel::TenantId) {
    tracing::Span::current().record("tenant.id", tracing::field::display(tenant));
}

/// A platform operator's session.
pub struct OperatorAuth(pub OperatorPrincipal);

impl FromRequest for OperatorAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let found = state(req).and_then(|state| Ok((state, bearer(req)?)));
        Box::pin(async move {
            let (state, token) = found?;
            let principal = tenant::authenticate_operator(&state.db, &token).await?;
            Ok(OperatorAuth(principal))
        })
    }
}

/// A merchant's staff session or API key; the tenant is the credential's.
pub struct AdminAuth(pub AdminPrincipal);

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let found = state(req).and_then(|state| Ok((state, bearer(req)?)));
        Box::pin(async move {
            let (state, token) = found?;
            let principal = match tenant::credential_kind(&token) {
                Some(CredentialKind::Staff) => {
                    tenant::authenticate_staff(&state.db, &token).await?
                }
                Some(CredentialKind::ApiKey) => {
                    tenant::authenticate_api_key(&state.db, &token).await?
                }
                _ => return Err(TenantError::InvalidToken.into()),
            };
            record_tenant(principal.tenant_id);
            Ok(AdminAuth(principal))
        })
    }
}

/// The shop a mini-program request is for: from `X-WX-Appid`, or else from the Referer WeChat
/// always sends (`https://servicewechat.com/{appid}/{version}/page-frame.html`). This routes the
/// request; it authenticates nothing. Unknown appid → 404, suspended shop → 403.
pub struct ShopTenant(pub TenantContext);

pub fn appid_from_referer(referer: &str) -> Option<&str> {
    let rest = referer.strip_prefix("https://servicewechat.com/")?;
    let (appid, rest) = rest.split_once('/')?;
    rest.ends_with("page-frame.html").then_some(appid)
}

impl FromRequest for ShopTenant {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let appid = header(APPID_HEADER).or_else(|| {
            header(REFERER.as_str())
                .as_deref()
                .and_then(appid_from_referer)
                .map(str::to_owned)
        });
        let state = state(req);
        Box::pin(async move {
            let state = state?;
            let appid = appid.ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "tenant.missing_appid",
                    "say which mini-program is calling: the X-WX-Appid header or WeChat's Referer",
                )
            })?;
            let context = tenant::resolve_app(&state.db, &state.cache, &appid).await?;
            record_tenant(context.tenant_id);
            if context.status == TenantStatus::Suspended {
                return Err(TenantError::Suspended.into());
            }
            Ok(ShopTenant(context))
        })
    }
}

/// A logged-in customer of the shop the request is for. A customer token of another shop is
/// refused (401 `customer.wrong_shop`).
pub struct ShopCustomer {
    pub shop: TenantContext,
    pub customer: customer::CustomerPrincipal,
}

impl FromRequest for ShopCustomer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let shop = ShopTenant::from_request(req, payload);
        let found = state(req).and_then(|state| Ok((state, bearer(req)?)));
        Box::pin(async move {
            let ShopTenant(shop) = shop.await?;
            let (state, token) = found?;
            let customer =
                customer::authenticate_customer(&state.db, shop.tenant_id, &token).await?;
            Ok(ShopCustomer { shop, customer })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_appid_is_read_from_wechats_referer() {
        assert_eq!(
            appid_from_referer("https://servicewechat.com/wx1234567890abcdef/12/page-frame.html"),
            Some("wx1234567890abcdef")
        );
        assert_eq!(
            appid_from_referer("https://example.com/wx1234567890abcdef/1/page-frame.html"),
            None
        );
        assert_eq!(
            appid_from_referer("https://servicewechat.com/wx1234567890abcdef/1/other.html"),
            None
        );
    }
}
