//! Use cases, as plain async functions taking `db` first, then the cache if any, then the tenant.

pub mod addresses;
pub mod after_sales;
pub mod cart;
pub mod checkout;
pub mod freight;
pub mod lifecycle;
pub mod merchant;
pub mod parse;
pub mod paying;
pub mod pricing;
pub mod reserve;
pub mod reviews;

use chrono::{DateTime, Utc};

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}
