//! sea-orm entities, one file per table. Private to the crate: other crates use the service API.

pub mod api_key;
pub mod operator_session;
pub mod platform_operator;
pub mod staff;
pub mod staff_session;
pub mod tenant;
pub mod tenant_certification;
pub mod wechat_config;
