//! sea-orm entities, one file per table. Private to the crate: other crates use the service API.

pub mod category;
pub mod low_stock_alert;
pub mod product;
pub mod sku;
pub mod stock_adjustment;
