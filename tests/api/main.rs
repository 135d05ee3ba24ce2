//! The one integration-test binary. Every test drives the real gateway over HTTP, on the embedded
//! backend (SQLite + in-process cache) and — when KAIDIAN_TEST_DATABASE_URL and
//! KAIDIAN_TEST_REDIS_URL are set, as `.ci/run` sets them — on PostgreSQL + Redis.

mod catalog_helpers;
mod helpers;

mod after_sales;
mod bad_input;
mod catalog_bad_input;
mod catalog_cache;
mod catalog_files;
mod catalog_flow;
mod customers;
mod foundation;
mod fulfilment;
mod isolation;
mod orders;
mod payments;
mod promo;
mod sandbox;
