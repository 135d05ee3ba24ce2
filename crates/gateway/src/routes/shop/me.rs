use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::ShopCustomer;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_me).service(bind_phone);
}

#[derive(Serialize, ToSchema)]
pub struct CustomerOut {
    pub id: Uuid,
    pub phone: Option<String>,
    pub has_unionid: bool,
}

impl From<customer::Customer> for CustomerOut {
    fn from(customer: customer::Customer) -> Self {
        CustomerOut {
            id: customer.id,
            phone: customer.phone,
            has_unionid: customer.unionid.is_some(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneIn {
    /// The code from a `getPhoneNumber` button.
    pub code: String,
}

/// The logged-in customer.
#[utoipa::path(get, path = "/api/v1/shop/me", tag = "shop", responses((status = 200, body = CustomerOut),
    (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[get("/me")]
async fn get_me(
    ShopCustomer {
        customer: principal,
        ..
    }: ShopCustomer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let profile = customer::customer_profile(&state.db, &principal).await?;
    Ok(HttpResponse::Ok().json(CustomerOut::from(profile)))
}

/// Bind the phone number WeChat confirms for a `getPhoneNumber` code.
#[utoipa::path(post, path = "/api/v1/shop/me/phone", tag = "shop", request_body = PhoneIn,
    responses((status = 200, body = CustomerOut), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[post("/me/phone")]
async fn bind_phone(
    ShopCustomer {
        shop,
        customer: principal,
    }: ShopCustomer,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<PhoneIn>,
) -> Result<HttpResponse, ApiError> {
    let profile = crate::flows::bind_customer_phone(&state, &shop, &principal, &input.code).await?;
    Ok(HttpResponse::Ok().json(CustomerOut::from(profile)))
}
