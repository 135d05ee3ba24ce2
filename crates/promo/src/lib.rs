#![doc = include_str!("../README.md")]

mod entity;
mod error;
mod limits;
mod model;
mod repo;
mod service;

pub use error::PromoError;
pub use limits::{BudgetPermit, FlashSaleBudget, RateLimiter, RateLimits};
pub use model::*;
pub use service::admin::{
    create_flash_sale, get_flash_sale, list_flash_sales, stop_flash_sale, update_flash_sale,
};
pub use service::buy::{
    Reserved, attach_order, give_back, redis_remaining, release_for_order, reserve_purchase,
};
pub use service::settle::settle_ended_sales;
pub use service::shop::shop_flash_sales;
