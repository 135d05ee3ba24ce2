//! The routing table. Each resource lives in its own module with a `configure` function.

use actix_web::web;

pub mod admin;
pub mod dto;
pub mod health;
pub mod media;
pub mod pay;
pub mod platform;
pub mod shop;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(media::configure)
        .service(web::scope("/api/v1/platform").configure(platform::configure))
        .service(web::scope("/api/v1/admin").configure(admin::configure))
        .service(web::scope("/api/v1/shop").configure(shop::configure))
        .service(web::scope("/api/v1/pay").configure(pay::configure));
}

/// The scheme and host a request came in on (for URLs WeChat calls back, when no public base URL
/// is configured).
pub(crate) fn request_base_url(request: &actix_web::HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}
