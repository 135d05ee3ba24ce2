#![doc = include_str!("../README.md")]

mod after_sales_model;
mod entity;
mod error;
mod fulfilment;
mod model;
mod repo;
mod service;

pub use after_sales_model::*;
pub use error::OrderError;
pub use fulfilment::*;
pub use model::*;
pub use service::addresses::{create_address, delete_address, list_addresses, update_address};
pub use service::after_sales::{
    AFTER_SALE_WINDOW_DAYS, ANSWER_TARGET_SECS, apply_after_sale, approve_after_sale,
    claim_after_sale_refund, create_merchant_refund, get_after_sale, get_customer_after_sale,
    list_after_sales, list_customer_after_sales, next_after_sale_status, receive_return,
    record_after_sale_refund, reject_after_sale, stale_after_sale_refunds, submit_return_waybill,
    withdraw_after_sale,
};
pub use service::cart::{add_cart_line, remove_cart_line, set_cart_line_quantity, view_cart};
pub use service::checkout::{find_order_by_key, place_promo_order, preview_checkout, submit_order};
pub use service::export::{MAX_EXPORT_ROWS, OrderExport, export_orders_csv};
pub use service::freight::{get_freight_rule, set_freight_rule};
pub use service::freight_template::{
    ChargeBy, FreightRate, FreightTemplate, RegionRate, delete_freight_template,
    get_freight_template, set_freight_template,
};
pub use service::fulfilment::{
    get_waybill, parcel_to_track, parse_ship_plan, prepare_waybill, set_merchant_remark,
    ship_order_with_waybill,
};
pub use service::kdniao::{get_kdniao_account, kdniao_credentials, set_kdniao_account};
pub use service::lifecycle::{
    cancel_expired_orders, cancel_order, get_customer_order, list_customer_orders, next_status,
};
pub use service::merchant::{
    cancel_order_by_merchant, complete_shipped_orders, confirm_receipt, get_order, list_orders,
    pending_shipping_uploads, record_shipping_upload, ship_order,
};
pub use service::paying::{PaidOutcome, mark_order_paid, note_late_payment_refunded, order_to_pay};
pub use service::pricing::FreightRule;
pub use service::reserve::{StockDrift, reconcile_stock};
pub use service::reserve::{mirror_stock_adjustment, redis_stock};
pub use service::reviews::{
    list_reviews, product_reviews, reply_to_review, review_order_line, review_stats,
};
pub use service::senders::{
    create_sender_address, delete_sender_address, list_sender_addresses, update_sender_address,
};
