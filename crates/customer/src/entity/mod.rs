pub mod customer;
pub mod customer_session;
