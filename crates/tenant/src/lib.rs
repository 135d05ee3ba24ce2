#![doc = include_str!("../README.md")]

mod entity;
mod error;
pub mod model;
pub mod parse;
mod repo;
mod service;

pub use error::TenantError;
pub use infra::credential::{CredentialKind, kind_of as credential_kind};
pub use model::*;
pub use service::api_keys::{authenticate_api_key, create_api_key, list_api_keys, revoke_api_key};
pub use service::certification::{
    current_certification, decide_certification, submit_certification,
};
pub use service::context::{resolve_app, tenant_context};
pub use service::operators::{
    authenticate_operator, create_operator, ensure_bootstrap_operator, log_in_operator,
};
pub use service::staff::{
    authenticate_staff, change_own_password, create_staff, list_staff, log_in_staff,
    reset_staff_password, update_staff,
};
pub use service::tenants::{
    get_tenant, list_tenants, provision_tenant, set_plan, set_tenant_status,
};
pub use service::wechat::{app_credentials, bind_app, pay_secrets, set_pay_config, wechat_config};
