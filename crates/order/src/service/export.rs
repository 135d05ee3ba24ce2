//! The merchant's CSV export of orders: the list's filters, newest first, at most
//! [`MAX_EXPORT_ROWS`] rows read in pages. UTF-8 with a BOM so Excel opens it as UTF-8; amounts
//! in fen and as yuan text; times in China time (UTC+8).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::merchant::filtered_orders;
use crate::entity::{order, order_line};
use crate::error::OrderError;
use crate::model::{Address, OrderFilter, OrderStatus};
use crate::repo::scoped;

/// The most rows one export holds; narrow the filters (the date range) for more.
pub const MAX_EXPORT_ROWS: usize = 5_000;
const PAGE: u64 = 500;

pub const EXPORT_COLUMNS: &[&str] = &[
    "订单号",
    "下单时间(北京时间)",
    "状态",
    "客户ID",
    "收货人",
    "手机",
    "收货地址",
    "商品",
    "件数",
    "商品金额(分)",
    "优惠(分)",
    "运费(分)",
    "实付(分)",
    "实付(元)",
    "快递公司",
    "运单号",
    "发货时间(北京时间)",
    "买家留言",
    "商家备注",
];

/// The export: the CSV bytes and whether rows were left out (more than [`MAX_EXPORT_ROWS`]).
pub struct OrderExport {
    pub csv: Vec<u8>,
    pub rows: usize,
    pub truncated: bool,
}

/// `12.34` for 1234 fen; `-0.05` for -5.
pub fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// `2026-11-26 20:05:09`, in China time.
pub fn china_time(at: DateTime<Utc>) -> String {
    (at + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn status_text(status: &str) -> &'static str {
    match OrderStatus::parse(status) {
        Some(OrderStatus::PendingPayment) => "待付款",
        Some(OrderStatus::Paid) => "待发货",
        Some(OrderStatus::Shipped) => "已发货",
        Some(OrderStatus::Completed) => "已完成",
        Some(OrderStatus::Cancelled) => "已取消",
        Some(OrderStatus::Refunded) => "已退款",
        None => "未知",
    }
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with
/// `'`, so text a customer typed cannot run in the merchant's Excel.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn csv_error(error: impl std::fmt::Display) -> OrderError {
    OrderError::Database(sea_orm::DbErr::Custom(format!("csv export: {error}")))
}

pub async fn export_orders_csv(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    filter: &OrderFilter,
) -> Result<OrderExport, OrderError> {
    principal.require(Permission::ViewOrders)?;
    let tenant = principal.tenant_id;
    let base = filtered_orders(tenant, filter)?;
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(EXPORT_COLUMNS).map_err(csv_error)?;
    let mut rows = 0;
    let mut truncated = false;
    let mut before: Option<Uuid> = None;
    'pages: loop {
        let mut page = base.clone().order_by_desc(order::Column::Id).limit(PAGE);
        if let Some(before) = before {
            page = page.filter(order::Column::Id.lt(before));
        }
        let orders = page.all(db).await?;
        let Some(last) = orders.last() else { break };
        before = Some(last.id);
        let ids: Vec<Uuid> = orders.iter().map(|row| row.id).collect();
        let mut lines: HashMap<Uuid, Vec<order_line::Model>> = HashMap::new();
        for line in scoped(tenant)
            .order_lines()
            .filter(order_line::Column::OrderId.is_in(ids))
            .order_by_asc(order_line::Column::Id)
            .all(db)
            .await?
        {
            lines.entry(line.order_id).or_default().push(line);
        }
        let full_page = orders.len() as u64 == PAGE;
        for row in orders {
            if rows == MAX_EXPORT_ROWS {
                truncated = true;
                break 'pages;
            }
            let lines = lines.remove(&row.id).unwrap_or_default();
            let address: Option<Address> = serde_json::from_value(row.address.clone()).ok();
            let goods = lines
                .iter()
                .map(|line| {
                    if line.spec_text.is_empty() {
                        format!("{}×{}", line.title, line.quantity)
                    } else {
                        format!("{}({})×{}", line.title, line.spec_text, line.quantity)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            let pieces: i64 = lines.iter().map(|line| line.quantity).sum();
            let (consignee, mobile, full_address) = address.map_or_else(Default::default, |a| {
                (
                    a.consignee,
                    a.mobile,
                    format!("{}{}{}{}", a.province, a.city, a.district, a.detail),
                )
            });
            writer
                .write_record([
                    row.order_no.clone(),
                    china_time(row.created_at),
                    status_text(&row.status).to_owned(),
                    row.customer_id.to_string(),
                    cell(&consignee),
                    cell(&mobile),
                    cell(&full_address),
                    cell(&goods),
                    pieces.to_string(),
                    row.goods_total.to_string(),
                    row.discount_total.to_string(),
                    row.freight.to_string(),
                    row.payable.to_string(),
                    yuan_text(row.payable),
                    cell(row.carrier.as_deref().unwrap_or_default()),
                    cell(row.tracking_no.as_deref().unwrap_or_default()),
                    row.shipped_at.map(china_time).unwrap_or_default(),
                    cell(&row.remark),
                    cell(row.merchant_remark.as_deref().unwrap_or_default()),
                ])
                .map_err(csv_error)?;
            rows += 1;
        }
        if !full_page {
            break;
        }
    }
    let csv = writer.into_inner().map_err(csv_error)?;
    Ok(OrderExport {
        csv,
        rows,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_are_written_as_yuan_with_two_decimals() {
        assert_eq!(yuan_text(6000), "60.00");
        assert_eq!(yuan_text(5), "0.05");
        assert_eq!(yuan_text(123_456), "1234.56");
        assert_eq!(yuan_text(-5), "-0.05");
        assert_eq!(yuan_text(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn times_are_china_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T16:30:00Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(china_time(at), "2026-11-27 00:30:00");
    }

    #[test]
    fn cells_that_look_like_formulas_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("文三路"), "文三路");
    }
}
