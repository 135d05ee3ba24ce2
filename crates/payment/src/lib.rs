#![doc = include_str!("../README.md")]

pub mod bill;
mod china_day;
mod client;
mod entity;
mod error;
pub mod fees;
pub mod model;
mod notification;
mod parse;
mod repo;
mod service;
mod statement;

pub use bill::{Difference, DifferenceKind, MatchedTotals, Reconciliation};
pub use china_day::{china_day_bounds, china_day_of, parse_day};
pub use client::{Answer, PayClient, PayClients, RefundAnswer, Transaction, TransactionAmount};
pub use error::PaymentError;
pub use model::*;
pub use service::ledger::{daily_statement, fee_rate, ledger_of_day, set_fee_rate};
pub use service::notify::handle_notification;
pub use service::prepay::{close_payment, get_payment, prepare_jsapi_payment, query_payment};
pub use service::reconcile::{
    check_backoff, claim_payment_check, flag_late_payment_refunded, mark_order_settled,
    payments_due_for_check, reconcile_day,
};
pub use service::refund::{get_refund, query_refund, refund};
pub use statement::{Statement, StatementTotals};
