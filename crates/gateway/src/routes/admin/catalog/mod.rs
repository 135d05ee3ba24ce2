//! `/api/v1/admin/catalog/*`: the merchant's catalog (categories, products, SKUs, stock, CSV,
//! media). Every handler's service call checks `ViewCatalog` or `ManageCatalog`.

use actix_web::web;

pub mod categories;
pub mod csv;
pub mod media;
pub mod products;
pub mod skus;
pub mod stock;
mod upload;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(categories::configure)
        .configure(products::configure)
        .configure(skus::configure)
        .configure(stock::configure)
        .configure(csv::configure)
        .configure(media::configure);
}
