#![doc = include_str!("../README.md")]

mod entity;
mod error;
mod model;
mod repo;
mod service;

pub use error::CustomerError;
pub use model::{Customer, CustomerPrincipal, CustomerSession};
pub use service::{authenticate_customer, bind_phone, customer_profile, sign_in};
