//! sea-orm entities, one file per table. Private to the crate: other crates use the service API.

pub mod ledger_entry;
pub mod payment;
pub mod payment_setting;
pub mod refund;
