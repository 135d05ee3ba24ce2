//! Domain types: inputs are parsed (see `service::parse`) before any write; outputs are what the
//! admin and shop surfaces show. Money is always fen (i64).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a flash sale is: derived from its times and whether it was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlashSaleStatus {
    Scheduled,
    Live,
    Ended,
    Stopped,
}

impl FlashSaleStatus {
    pub fn at(
        now: DateTime<Utc>,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        stopped: bool,
    ) -> Self {
        if stopped {
            FlashSaleStatus::Stopped
        } else if now < starts_at {
            FlashSaleStatus::Scheduled
        } else if now < ends_at {
            FlashSaleStatus::Live
        } else {
            FlashSaleStatus::Ended
        }
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashSaleItemIn {
    pub sku_id: Uuid,
    /// The sale price, fen, above zero.
    pub sale_price_fen: i64,
    /// Units set aside from the SKU's stock for the sale.
    pub quantity: i64,
}

/// A flash sale as the merchant writes it (create, and edit before it starts).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashSaleIn {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Units one customer may hold (default 1).
    pub per_customer_limit: Option<i64>,
    pub items: Vec<FlashSaleItemIn>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FlashSaleItem {
    pub sku_id: Uuid,
    pub sale_price_fen: i64,
    /// Units the sale holds (after it is settled: the units sold).
    pub quantity: i64,
    /// Units in orders not cancelled.
    pub sold: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FlashSale {
    pub id: Uuid,
    pub title: String,
    pub status: FlashSaleStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub per_customer_limit: i64,
    pub items: Vec<FlashSaleItem>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// When the unsold remainder went back to the SKUs (stop or end).
    pub settled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShopFlashSaleItem {
    pub sku_id: Uuid,
    pub sale_price_fen: i64,
    pub sold_out: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShopFlashSale {
    pub id: Uuid,
    pub title: String,
    pub status: FlashSaleStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Seconds from the server time to the start (0 once live).
    pub seconds_to_start: i64,
    /// Seconds from the server time to the end.
    pub seconds_to_end: i64,
    pub items: Vec<ShopFlashSaleItem>,
}

/// Upcoming and live flash sales, with the server's time for the countdowns.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShopFlashSales {
    pub server_time: DateTime<Utc>,
    pub items: Vec<ShopFlashSale>,
}

/// A customer's attempt to buy.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyIn {
    pub sku_id: Uuid,
    pub quantity: i64,
    pub address_id: Uuid,
}

/// A change a promo call made to a SKU's stock (already in the catalog's ledger); the gateway
/// mirrors it into the order crate's Redis stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StockMove {
    pub sku_id: Uuid,
    pub delta: i64,
}
