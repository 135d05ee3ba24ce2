#![doc = include_str!("../README.md")]

mod entity;
mod error;
mod model;
mod repo;
mod service;

pub use error::OrderError;
pub use model::*;
pub use service::addresses::{create_address, delete_address, list_addresses, update_address};
pub use service::cart::{add_cart_line, remove_cart_line, set_cart_line_quantity, view_cart};
pub use service::checkout::{find_order_by_key, place_promo_order, preview_checkout, submit_order};
pub use service::freight::{get_freight_rule, set_freight_rule};
pub use service::lifecycle::{
    cancel_expired_orders, cancel_order, get_customer_order, list_customer_orders, next_status,
};
pub use service::merchant::{
    cancel_order_by_merchant, complete_shipped_orders, confirm_receipt, get_order, list_orders,
    pending_shipping_uploads, record_shipping_upload, ship_order,
};
pub use service::paying::{PaidOutcome, mark_order_paid, order_to_pay};
pub use service::pricing::FreightRule;
pub use service::reserve::{StockDrift, reconcile_stock};
pub use service::reserve::{mirror_stock_adjustment, redis_stock};
