//! Domain types: inputs are parsed (see `service::parse`) before any write; outputs are what the
//! shop and admin surfaces show. Money is always fen (i64).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Shipped,
    Completed,
    Cancelled,
    /// Refunded in full through after-sales: closed.
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who moves an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Merchant,
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Merchant => "merchant",
            Actor::System => "system",
        }
    }
}

/// What happens to an order; [`crate::next_status`] says where each leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    Pay,
    Ship,
    ConfirmReceipt,
    Cancel(Actor),
    Timeout,
    /// The after-sales refunds reached the paid amount.
    RefundInFull,
}

/// A SKU and a quantity, as sent by the customer (parsed before use).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct LineIn {
    pub sku_id: Uuid,
    pub quantity: i64,
}

/// What changed on a cart line since it was added (or since the price was last seen).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LineNotice {
    PriceChanged { was: i64, now: i64 },
    NotEnoughStock { available: i64 },
    OffShelf,
    Gone,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CartLine {
    pub id: Uuid,
    pub sku_id: Uuid,
    pub quantity: i64,
    pub product_id: Option<Uuid>,
    pub title: String,
    pub spec_text: String,
    pub image: String,
    /// The current price, in fen (0 when the SKU is gone).
    pub unit_price: i64,
    pub line_total: i64,
    /// Can be checked out as is.
    pub available: bool,
    pub notices: Vec<LineNotice>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    /// The total of the available lines, in fen.
    pub goods_total: i64,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct AddressIn {
    pub consignee: String,
    pub mobile: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    pub id: Uuid,
    pub consignee: String,
    pub mobile: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub is_default: bool,
}

/// The checkout request: the lines (the whole cart when absent) and the address.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct CheckoutIn {
    pub address_id: Option<Uuid>,
    pub lines: Option<Vec<LineIn>>,
    #[serde(default)]
    pub remark: String,
}

/// One figure of the price and the rule that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Figure {
    pub amount: i64,
    pub rule: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PricedLine {
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub spec_text: String,
    pub image: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Pricing {
    pub lines: Vec<PricedLine>,
    pub goods_total: Figure,
    /// Filled by the promotion engine; empty for now.
    pub discounts: Vec<Figure>,
    pub freight: Figure,
    pub payable: Figure,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrderTransition {
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Order {
    pub id: Uuid,
    pub order_no: String,
    pub customer_id: Uuid,
    pub status: OrderStatus,
    pub lines: Vec<PricedLine>,
    pub goods_total: i64,
    pub discount_total: i64,
    pub freight: i64,
    pub payable: i64,
    pub pricing: Pricing,
    pub address: Address,
    pub remark: String,
    pub cancel_reason: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipment: Option<Shipment>,
    /// The merchant's own note (admin API only; never shown to the customer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_remark: Option<String>,
    /// Refunded through after-sales (WeChat confirmed), in fen.
    pub refunded_fen: i64,
    /// Its after-sales, oldest first.
    pub after_sales: Vec<crate::AfterSaleBrief>,
    pub created_at: DateTime<Utc>,
    pub timeline: Vec<OrderTransition>,
    /// The flash sale this order was placed through (its source), if any.
    pub promo_activity_id: Option<Uuid>,
}

impl Order {
    /// What the customer may see: the merchant's remark removed.
    pub(crate) fn for_customer(mut self) -> Order {
        self.merchant_remark = None;
        self
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_no: String,
    pub shipped_at: DateTime<Utc>,
    /// The upload to WeChat: `pending`, `uploaded` or `failed` (retried until uploaded).
    pub upload_status: String,
    pub upload_error: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ShipmentIn {
    /// The carrier's name or code, e.g. `SF` (顺丰).
    pub carrier: String,
    pub tracking_no: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct MerchantCancelIn {
    pub reason: String,
}

/// Filters of the merchant's order list; all optional.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct OrderFilter {
    pub status: Option<String>,
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (RFC 3339), exclusive.
    pub to: Option<DateTime<Utc>>,
    pub order_no: Option<String>,
    /// The customer's id.
    pub customer_id: Option<Uuid>,
    /// Orders with a line of this product.
    pub product_id: Option<Uuid>,
}

/// What WeChat needs to hear about a shipment (see `upload_shipping_info`).
#[derive(Clone, Debug)]
pub struct ShippingUpload {
    pub order_id: Uuid,
    pub tenant_id: kernel::TenantId,
    pub order_no: String,
    pub payer_openid: String,
    pub carrier: String,
    pub tracking_no: String,
    pub item_desc: String,
    pub consignee_mobile: String,
}

/// What one sweep of expired orders did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// The order numbers cancelled by this sweep.
    pub cancelled: Vec<String>,
    /// The same orders with their shop (to close their WeChat payments).
    pub cancelled_in: Vec<(kernel::TenantId, String)>,
    /// Those of them placed through a flash sale (their units go back to the sale).
    pub promo_cancelled: Vec<(kernel::TenantId, String)>,
}

/// One line of a flash-sale order: the SKU, the quantity and the sale price (fen).
#[derive(Clone, Debug)]
pub struct PromoLine {
    pub sku_id: Uuid,
    pub quantity: i64,
    pub unit_price: i64,
}

/// An order placed through a promotion that already holds the stock (see
/// [`crate::place_promo_order`]).
#[derive(Clone, Debug)]
pub struct PromoOrderIn {
    pub promo_activity_id: Uuid,
    pub address_id: Uuid,
    pub lines: Vec<PromoLine>,
}
