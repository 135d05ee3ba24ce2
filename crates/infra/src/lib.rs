#![doc = include_str!("../README.md")]

pub mod cache;
pub mod credential;
pub mod db;
pub mod password;
pub mod secret_box;
pub mod telemetry;
pub mod token;

pub use cache::{Cache, CacheKey, CacheStats};
pub use secret_box::SecretBox;
