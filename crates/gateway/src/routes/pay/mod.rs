//! `/api/v1/pay/*`: called by WeChat Pay, not by people. Authenticated by WeChat's signature.

use actix_web::web;

pub mod notify;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(notify::configure);
}
