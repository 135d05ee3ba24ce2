//! Use cases, as plain async functions taking `db` first, then the cache if any, then the tenant.

pub mod admin;
pub mod buy;
pub mod parse;
pub mod redis_stock;
pub mod settle;
pub mod shop;

use chrono::{DateTime, Utc};

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}
