//! The mini-program's view: upcoming and live sales with server-time countdowns.

use kernel::TenantId;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::admin::sale_items;
use super::now;
use crate::entity::flash_sale;
use crate::error::PromoError;
use crate::model::{FlashSaleStatus, ShopFlashSale, ShopFlashSaleItem, ShopFlashSales};
use crate::repo::scoped;

pub async fn shop_flash_sales(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<ShopFlashSales, PromoError> {
    let now = now();
    let rows = scoped(tenant)
        .flash_sales()
        .filter(flash_sale::Column::StoppedAt.is_null())
        .filter(flash_sale::Column::EndsAt.gt(now))
        .order_by_asc(flash_sale::Column::StartsAt)
        .limit(50)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let items = sale_items(db, tenant, &ids).await?;
    let sales = rows
        .into_iter()
        .map(|row| ShopFlashSale {
            id: row.id,
            title: row.title,
            status: FlashSaleStatus::at(now, row.starts_at, row.ends_at, false),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            seconds_to_start: (row.starts_at - now).num_seconds().max(0),
            seconds_to_end: (row.ends_at - now).num_seconds().max(0),
            items: items
                .iter()
                .filter(|item| item.flash_sale_id == row.id)
                .map(|item| ShopFlashSaleItem {
                    sku_id: item.sku_id,
                    sale_price_fen: item.sale_price_fen,
                    sold_out: item.sold >= item.quantity,
                })
                .collect(),
        })
        .collect();
    Ok(ShopFlashSales {
        server_time: now,
        items: sales,
    })
}
