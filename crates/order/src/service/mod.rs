//! Use cases, as plain async functions taking `db` first, then the cache if any, then the tenant.

pub mod addresses;
pub mod after_sales;
pub mod cart;
pub mod checkout;
pub mod export;
pub mod freight;
pub mod freight_template;
pub mod fulfilment;
pub mod kdniao;
pub mod lifecycle;
pub mod merchant;
pub mod parse;
pub mod paying;
pub mod pricing;
pub mod reserve;
pub mod reviews;
pub mod senders;

use chrono::{DateTime, Utc};

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}
