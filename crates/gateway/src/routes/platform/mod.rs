//! `/api/v1/platform/*`: the platform operators' API (operator token).

use actix_web::web;

pub mod auth;
pub mod tenants;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(auth::configure).configure(tenants::configure);
}
