//! The OpenAPI 3 document, generated from the handlers' annotations, and a plain HTML page
//! rendered from it (no CDN assets, so it works offline).

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{admin, health, pay, platform, shop};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Kaidian", description = "Multi-tenant WeChat mini-program shop platform"),
    modifiers(&BearerAuth),
    paths(
        health::healthz, health::readyz, health::metrics,
        platform::auth::log_in_operator,
        platform::tenants::list_tenants, platform::tenants::provision_tenant, platform::tenants::get_tenant,
        platform::tenants::suspend_tenant, platform::tenants::resume_tenant, platform::tenants::set_plan,
        platform::tenants::get_certification, platform::tenants::decide_certification,
        admin::auth::log_in_staff, admin::auth::get_me, admin::auth::change_password,
        admin::shop::get_shop,
        admin::staff::list_staff, admin::staff::create_staff, admin::staff::update_staff, admin::staff::reset_staff_password,
        admin::api_keys::list_api_keys, admin::api_keys::create_api_key, admin::api_keys::revoke_api_key,
        admin::certification::get_certification, admin::certification::submit_certification,
        admin::wechat::get_wechat, admin::wechat::bind_app, admin::wechat::set_pay_config,
        admin::payments::get_ledger, admin::payments::get_statement, admin::payments::set_fee_rate,
        admin::reconciliation::get_reconciliation,
        shop::info::get_shop_info, shop::auth::log_in_customer, shop::me::get_me, shop::me::bind_phone,
        admin::catalog::categories::list_categories, admin::catalog::categories::create_category,
        admin::catalog::categories::update_category,
        admin::catalog::products::list_products, admin::catalog::products::create_product,
        admin::catalog::products::get_product, admin::catalog::products::update_product,
        admin::catalog::products::set_product_status, admin::catalog::products::set_products_status,
        admin::catalog::skus::update_sku,
        admin::catalog::stock::create_stock_adjustment, admin::catalog::stock::list_stock_adjustments,
        admin::catalog::stock::list_low_stock, admin::catalog::stock::list_low_stock_alerts,
        admin::catalog::csv::import_products, admin::catalog::csv::export_products,
        admin::catalog::media::upload_image,
        shop::catalog::get_category_tree, shop::catalog::list_products, shop::catalog::get_product,
        shop::cart::get_cart, shop::cart::add_cart_line, shop::cart::update_cart_line, shop::cart::remove_cart_line,
        shop::addresses::list_addresses, shop::addresses::create_address, shop::addresses::update_address,
        shop::addresses::delete_address,
        shop::orders::preview_checkout, shop::orders::submit_order, shop::orders::list_orders,
        shop::orders::get_order, shop::orders::cancel_order, shop::orders::pay_order,
        shop::orders::confirm_receipt, shop::orders::track_order,
        admin::orders::list_orders, admin::orders::get_order, admin::orders::cancel_order, admin::orders::ship_order,
        admin::orders::batch_ship, admin::orders::get_waybill, admin::orders::set_remark, admin::orders::export_orders,
        admin::sender_addresses::list_sender_addresses, admin::sender_addresses::create_sender_address,
        admin::sender_addresses::update_sender_address, admin::sender_addresses::delete_sender_address,
        admin::kdniao::get_kdniao_account, admin::kdniao::set_kdniao_account,
        admin::freight::get_freight_rule, admin::freight::set_freight_rule,
        admin::freight::get_freight_template, admin::freight::set_freight_template, admin::freight::delete_freight_template,
        admin::orders::refund_order_lines,
        admin::after_sales::list_after_sales, admin::after_sales::get_after_sale,
        admin::after_sales::approve_after_sale, admin::after_sales::reject_after_sale,
        admin::after_sales::receive_after_sale_return,
        admin::reviews::list_reviews, admin::reviews::reply_to_review, admin::reviews::review_stats,
        shop::after_sales::apply_after_sale, shop::after_sales::list_after_sales,
        shop::after_sales::get_after_sale, shop::after_sales::submit_return_waybill,
        shop::after_sales::withdraw_after_sale,
        shop::reviews::review_order_line, shop::reviews::product_reviews,
        admin::promo::list_flash_sales, admin::promo::create_flash_sale, admin::promo::get_flash_sale,
        admin::promo::update_flash_sale, admin::promo::stop_flash_sale,
        shop::flash_sales::list_flash_sales, shop::flash_sales::buy_flash_sale,
        pay::notify::receive_pay_notification,
    ),
    tags(
        (name = "platform", description = "Platform operators: tenants, plans, certification decisions"),
        (name = "admin", description = "Merchants: staff, API keys, certification, WeChat binding, ledger and statements"),
        (name = "catalog", description = "Merchants: categories, products, SKUs, stock, CSV and media"),
        (name = "orders", description = "Merchants: orders, their timeline, cancel, ship (KDNiao waybills), batch ship, remark, CSV export; sender addresses, freight; after-sales, refunds by line, reviews"),
        (name = "promo", description = "Merchants: flash sales (限时秒杀)"),
        (name = "shop", description = "The mini-program surface, routed by appid"),
        (name = "pay", description = "Called by WeChat Pay: payment and refund notifications"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn docs_html() -> &'static str {
    static HTML: OnceLock<String> = OnceLock::new();
    HTML.get_or_init(|| {
        let doc = ApiDoc::openapi();
        let mut rows = String::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let tag = operation.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
                let summary = operation.summary.clone().unwrap_or_default();
                let mut statuses: Vec<&String> = operation.responses.responses.keys().collect();
                statuses.sort();
                let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
                rows.push_str(&format!(
                    "<tr><td>{}</td><td><b>{method}</b></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                    escape(&tag),
                    escape(path),
                    escape(&summary),
                    statuses.join(" ")
                ));
            }
        }
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Kaidian API</title>\
             <style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}}</style></head>\
             <body><h1>Kaidian API</h1><p>The machine-readable document is at <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
             Errors are <code>{{code, message, request_id}}</code> (+ <code>fields</code>); codes are listed in docs/api.md.</p>\
             <table><tr><th>area</th><th>method</th><th>path</th><th>what</th><th>statuses</th></tr>\n{rows}</table></body></html>"
        )
    })
}
