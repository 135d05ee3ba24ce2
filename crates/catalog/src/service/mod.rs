//! Use cases, as plain async functions taking `db` first, then the cache, then the tenant or the
//! admin principal (whose tenant it is).

pub mod categories;
pub mod checkout;
pub mod csv_io;
pub mod media;
pub mod products;
pub mod shop;
pub mod skus;
pub mod status;
pub mod stock;

use chrono::{DateTime, Utc};

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

pub(crate) fn strings(value: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}
