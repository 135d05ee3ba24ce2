use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_wechat)
        .service(bind_app)
        .service(set_pay_config);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppBindingIn {
    /// wx + 16 hexadecimal digits; unique on the platform.
    pub appid: String,
    pub app_secret: String,
    /// Where this shop's WeChat server APIs are (the sandbox); omit for real WeChat.
    pub api_base_url: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayConfigIn {
    pub mch_id: String,
    /// Exactly 32 bytes.
    pub apiv3_key: String,
    /// The merchant API private key, PEM (PKCS#8, or PKCS#1 which is converted).
    pub private_key_pem: String,
    pub merchant_cert_serial: String,
    pub wechatpay_public_key_id: String,
    pub wechatpay_public_key_pem: String,
    /// Where this shop's WeChat Pay API is (the sandbox); omit for real WeChat Pay.
    pub api_base_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WechatConfigOut {
    pub appid: Option<String>,
    /// Only the last four characters.
    pub app_secret_masked: Option<String>,
    pub api_base_url: Option<String>,
    pub mch_id: Option<String>,
    pub apiv3_key_masked: Option<String>,
    pub private_key_configured: bool,
    pub merchant_cert_serial: Option<String>,
    pub wechatpay_public_key_id: Option<String>,
    pub pay_api_base_url: Option<String>,
    pub pay_enabled: bool,
}

impl From<tenant::WechatConfigView> for WechatConfigOut {
    fn from(view: tenant::WechatConfigView) -> Self {
        WechatConfigOut {
            appid: view.appid,
            app_secret_masked: view.app_secret_masked,
            api_base_url: view.api_base_url,
            mch_id: view.mch_id,
            apiv3_key_masked: view.apiv3_key_masked,
            private_key_configured: view.private_key_configured,
            merchant_cert_serial: view.merchant_cert_serial,
            wechatpay_public_key_id: view.wechatpay_public_key_id,
            pay_api_base_url: view.pay_api_base_url,
            pay_enabled: view.pay_enabled,
        }
    }
}

/// The shop's WeChat binding, secrets masked.
#[utoipa::path(get, path = "/api/v1/admin/wechat", tag = "admin", responses((status = 200, body = WechatConfigOut)), security(("bearer" = [])))]
#[get("/wechat")]
async fn get_wechat(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let view = tenant::wechat_config(&state.db, &state.secrets, &principal).await?;
    Ok(HttpResponse::Ok().json(WechatConfigOut::from(view)))
}

/// Bind the shop's mini-program (owner only).
#[utoipa::path(put, path = "/api/v1/admin/wechat/app", tag = "admin", request_body = AppBindingIn,
    responses((status = 200, body = WechatConfigOut), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/wechat/app")]
async fn bind_app(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<AppBindingIn>,
) -> Result<HttpResponse, ApiError> {
    let binding = tenant::AppBinding {
        appid: input.appid,
        app_secret: input.app_secret,
        api_base_url: input.api_base_url,
    };
    let view =
        tenant::bind_app(&state.db, &state.cache, &state.secrets, &principal, binding).await?;
    Ok(HttpResponse::Ok().json(WechatConfigOut::from(view)))
}

/// Configure WeChat Pay and enable payments (owner only; verified enterprise or individual business).
#[utoipa::path(put, path = "/api/v1/admin/wechat/pay", tag = "admin", request_body = PayConfigIn,
    responses((status = 200, body = WechatConfigOut), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/wechat/pay")]
async fn set_pay_config(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<PayConfigIn>,
) -> Result<HttpResponse, ApiError> {
    let draft = tenant::PayConfigDraft {
        mch_id: input.mch_id,
        apiv3_key: input.apiv3_key,
        private_key_pem: input.private_key_pem,
        merchant_cert_serial: input.merchant_cert_serial,
        wechatpay_public_key_id: input.wechatpay_public_key_id,
        wechatpay_public_key_pem: input.wechatpay_public_key_pem,
        api_base_url: input.api_base_url,
    };
    let view =
        tenant::set_pay_config(&state.db, &state.cache, &state.secrets, &principal, draft).await?;
    Ok(HttpResponse::Ok().json(WechatConfigOut::from(view)))
}
