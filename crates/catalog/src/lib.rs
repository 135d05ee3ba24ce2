#![doc = include_str!("../README.md")]

mod entity;
mod error;
mod hot_cache;
pub mod model;
pub mod parse;
mod repo;
mod service;

pub use error::CatalogError;
pub use hot_cache::{CachedView, CatalogCache, ViewCounts};
pub use model::*;
pub use service::categories::{create_category, list_categories, update_category};
pub use service::checkout::{CheckoutSku, skus_for_checkout};
pub use service::csv_io::{
    CSV_COLUMNS, ImportReport, MAX_IMPORT_ROWS, export_products_csv, import_products_csv,
};
pub use service::media::{
    ImageKind, LocalDiskStore, MediaStore, StoreFuture, UploadedImage, media_key,
    upload_product_image,
};
pub use service::products::{create_product, get_product, list_products, update_product};
pub use service::shop::{shop_category_tree, shop_product_detail, shop_product_list};
pub use service::skus::update_sku;
pub use service::status::{set_product_status, set_products_status};
pub use service::stock::{
    MERCHANT_REASONS, StockChange, adjust_stock, list_low_stock, list_low_stock_alerts,
    list_stock_adjustments, record_stock_adjustment,
};
