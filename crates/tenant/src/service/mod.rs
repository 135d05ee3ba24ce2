//! Use cases, as plain async functions taking `db` first and the tenant (or principal) next.

pub mod api_keys;
pub mod certification;
pub mod context;
pub mod operators;
pub mod staff;
pub mod tenants;
pub mod wechat;

mod lockout;

use chrono::{DateTime, Utc};

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Whether a database error is a unique-constraint violation (the same on SQLite and Postgres).
pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
