//! `/api/v1/admin/*`: the merchant's API (staff session or API key; the tenant is the credential's).

use actix_web::web;

pub mod after_sales;
pub mod api_keys;
pub mod auth;
pub mod catalog;
pub mod certification;
pub mod freight;
pub mod kdniao;
pub mod orders;
pub mod payments;
pub mod promo;
pub mod reconciliation;
pub mod reviews;
pub mod sender_addresses;
pub mod shop;
pub mod staff;
pub mod wechat;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(shop::configure)
        .configure(staff::configure)
        .configure(api_keys::configure)
        .configure(certification::configure)
        .configure(wechat::configure)
        .configure(catalog::configure)
        .configure(payments::configure)
        .configure(reconciliation::configure)
        .configure(orders::configure)
        .configure(freight::configure)
        .configure(sender_addresses::configure)
        .configure(kdniao::configure)
        .configure(after_sales::configure)
        .configure(reviews::configure)
        .configure(promo::configure);
}
