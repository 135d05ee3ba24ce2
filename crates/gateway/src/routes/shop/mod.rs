//! `/api/v1/shop/*`: the mini-program surface. The shop is resolved from the calling appid.

use actix_web::web;

pub mod auth;
pub mod catalog;
pub mod info;
pub mod me;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(info::configure)
        .configure(auth::configure)
        .configure(me::configure)
        .configure(catalog::configure);
}
