//! `/api/v1/shop/*`: the mini-program surface. The shop is resolved from the calling appid.

use actix_web::web;

pub mod addresses;
pub mod after_sales;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod flash_sales;
pub mod info;
pub mod me;
pub mod orders;
pub mod reviews;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(info::configure)
        .configure(auth::configure)
        .configure(me::configure)
        .configure(catalog::configure)
        .configure(cart::configure)
        .configure(addresses::configure)
        .configure(orders::configure)
        .configure(after_sales::configure)
        .configure(reviews::configure)
        .configure(flash_sales::configure);
}
