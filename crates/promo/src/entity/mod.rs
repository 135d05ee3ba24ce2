//! sea-orm entities, one file per table. Private to the crate: other crates use the service API.

pub mod customer_count;
pub mod flash_sale;
pub mod item;
pub mod purchase;
