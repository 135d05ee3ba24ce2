//! The one integration-test binary. Every test drives the real gateway over HTTP, on the embedded
//! backend (SQLite + in-process cache) and — when KAIDIAN_TEST_DATABASE_URL and
//! KAIDIAN_TEST_REDIS_URL are set, as `.ci/run` sets them — on PostgreSQL + Redis.

mod helpers;

mod bad_input;
mod customers;
mod foundation;
mod isolation;
mod payments;
mod sandbox;
