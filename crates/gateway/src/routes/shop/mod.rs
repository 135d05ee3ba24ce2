//! `/api/v1/shop/*`: the mini-program surface. The shop is resolved from the calling appid.

use actix_web::web;

pub mod catalog;
pub mod info;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(info::configure).configure(catalog::configure);
}
