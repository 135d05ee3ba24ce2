//! After-sales and reviews: their states, inputs and outputs. Money is fen (i64).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Refund only, or return the goods and then refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AfterSaleKind {
    RefundOnly,
    ReturnAndRefund,
}

impl AfterSaleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AfterSaleKind::RefundOnly => "refund_only",
            AfterSaleKind::ReturnAndRefund => "return_and_refund",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [AfterSaleKind::RefundOnly, AfterSaleKind::ReturnAndRefund]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// Where an after-sale is: `requested → approved (refund only) | awaiting_return → return_shipped
/// → received` then `refunding → refunded`; `refund_failed` (WeChat refused; approve again to
/// retry); `rejected` (merchant) and `withdrawn` (customer) end it without a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AfterSaleStatus {
    Requested,
    Approved,
    AwaitingReturn,
    ReturnShipped,
    Received,
    Refunding,
    Refunded,
    RefundFailed,
    Rejected,
    Withdrawn,
}

impl AfterSaleStatus {
    pub const ALL: [AfterSaleStatus; 10] = [
        AfterSaleStatus::Requested,
        AfterSaleStatus::Approved,
        AfterSaleStatus::AwaitingReturn,
        AfterSaleStatus::ReturnShipped,
        AfterSaleStatus::Received,
        AfterSaleStatus::Refunding,
        AfterSaleStatus::Refunded,
        AfterSaleStatus::RefundFailed,
        AfterSaleStatus::Rejected,
        AfterSaleStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AfterSaleStatus::Requested => "requested",
            AfterSaleStatus::Approved => "approved",
            AfterSaleStatus::AwaitingReturn => "awaiting_return",
            AfterSaleStatus::ReturnShipped => "return_shipped",
            AfterSaleStatus::Received => "received",
            AfterSaleStatus::Refunding => "refunding",
            AfterSaleStatus::Refunded => "refunded",
            AfterSaleStatus::RefundFailed => "refund_failed",
            AfterSaleStatus::Rejected => "rejected",
            AfterSaleStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Ended without a refund: its units and money are free again.
    pub fn releases_claim(self) -> bool {
        matches!(self, AfterSaleStatus::Rejected | AfterSaleStatus::Withdrawn)
    }

    /// Waiting for the merchant's answer (counts against the 30-minute answer target).
    pub fn awaits_merchant(self) -> bool {
        matches!(
            self,
            AfterSaleStatus::Requested | AfterSaleStatus::ReturnShipped
        )
    }
}

impl std::fmt::Display for AfterSaleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an after-sale; [`crate::next_after_sale_status`] says where each leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterSaleEvent {
    Approve,
    Reject,
    Withdraw,
    ShipReturn,
    Receive,
    StartRefund,
    RefundSucceeded,
    RefundFailed,
}

impl AfterSaleEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AfterSaleEvent::Approve => "approve",
            AfterSaleEvent::Reject => "reject",
            AfterSaleEvent::Withdraw => "withdraw",
            AfterSaleEvent::ShipReturn => "ship_return",
            AfterSaleEvent::Receive => "receive",
            AfterSaleEvent::StartRefund => "start_refund",
            AfterSaleEvent::RefundSucceeded => "refund_succeeded",
            AfterSaleEvent::RefundFailed => "refund_failed",
        }
    }
}

/// A line applied for, by SKU of the order.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterSaleLineIn {
    pub sku_id: Uuid,
    pub quantity: i64,
}

/// The customer's application.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterSaleIn {
    /// `refund_only` or `return_and_refund`.
    pub kind: String,
    /// Required, 1 to 200 characters.
    pub reason: String,
    /// At most 9 `https://` (or `http://`) URLs.
    #[serde(default)]
    pub photos: Vec<String>,
    pub lines: Vec<AfterSaleLineIn>,
}

/// The merchant's refund by line: an after-sale made by the merchant, approved at once.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantRefundIn {
    pub reason: String,
    pub lines: Vec<AfterSaleLineIn>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterSaleRejectIn {
    pub reason: String,
}

/// The return's shipment, given by the customer.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnWaybillIn {
    pub carrier: String,
    pub tracking_no: String,
}

/// A line of an after-sale, snapshotted from the order line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AfterSaleLine {
    pub order_line_id: Uuid,
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub spec_text: String,
    pub unit_price: i64,
    pub quantity: i64,
    /// `unit_price × quantity`.
    pub amount_fen: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReturnShipment {
    pub carrier: String,
    pub tracking_no: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AfterSaleTransition {
    pub from: Option<AfterSaleStatus>,
    pub to: AfterSaleStatus,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AfterSale {
    pub id: Uuid,
    pub order_no: String,
    pub customer_id: Uuid,
    pub kind: AfterSaleKind,
    pub status: AfterSaleStatus,
    /// `customer` or `merchant` (a refund by line the merchant made).
    pub initiated_by: String,
    pub reason: String,
    pub photos: Vec<String>,
    pub lines: Vec<AfterSaleLine>,
    /// The lines' amounts.
    pub goods_fen: i64,
    /// The order's freight, refunded with the after-sale that covers the order's last unit.
    pub freight_fen: i64,
    /// What is refunded: goods + freight.
    pub amount_fen: i64,
    pub reject_reason: Option<String>,
    pub return_shipment: Option<ReturnShipment>,
    /// The WeChat refund's number, once a refund was started.
    pub out_refund_no: Option<String>,
    /// Why the last refund attempt failed (`refund_failed`).
    pub refund_error: Option<String>,
    pub refunded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Seconds since it was made.
    pub age_seconds: i64,
    /// Waiting for the merchant longer than the 30-minute answer target.
    pub over_answer_target: bool,
    pub timeline: Vec<AfterSaleTransition>,
}

/// An after-sale as its order shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AfterSaleBrief {
    pub id: Uuid,
    pub kind: AfterSaleKind,
    pub status: AfterSaleStatus,
    pub amount_fen: i64,
}

/// Filters of the merchant's after-sale queue; all optional.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct AfterSaleFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub order_no: Option<String>,
    /// Only those waiting for the merchant past the 30-minute target (`true`) or not (`false`).
    pub over_answer_target: Option<bool>,
}

/// A refund to send to WeChat Pay for an after-sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AfterSaleRefund {
    pub after_sale_id: Uuid,
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub amount_fen: i64,
    /// The order's paid amount (its payable).
    pub total_fen: i64,
    pub reason: String,
}

/// How a refund ended, as WeChat Pay reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundResult {
    Succeeded { at: DateTime<Utc> },
    Failed(String),
}

/// A review of one order line.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewIn {
    pub sku_id: Uuid,
    /// 1 to 5.
    pub rating: i64,
    /// At most 500 characters.
    #[serde(default)]
    pub text: String,
    /// At most 9 `https://` (or `http://`) URLs.
    #[serde(default)]
    pub photos: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewReplyIn {
    /// 1 to 500 characters; a review is replied to once.
    pub text: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Review {
    pub id: Uuid,
    pub order_no: Option<String>,
    pub product_id: Uuid,
    pub sku_id: Uuid,
    pub title: String,
    pub spec_text: String,
    pub rating: i64,
    pub text: String,
    pub photos: Vec<String>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Filters of the merchant's review list.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct ReviewFilter {
    /// Only replied (`true`) or unreplied (`false`) reviews.
    pub replied: Option<bool>,
}

/// The shop's reply rate. Rates are integer basis points (1/10000), rounded down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReviewStats {
    pub total: i64,
    pub replied: i64,
    pub reply_rate_bp: i64,
    /// Bad reviews (差评: rating 1 or 2), whose reply rate the seed asks to keep above 90%.
    pub negative_total: i64,
    pub negative_replied: i64,
    pub negative_reply_rate_bp: i64,
    /// Every review counted: `reply_rate_bp > 9000`.
    pub meets_target: bool,
    /// Bad reviews only: `negative_reply_rate_bp > 9000` (true when there are none).
    pub negative_meets_target: bool,
}
