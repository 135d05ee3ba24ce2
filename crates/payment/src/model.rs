//! The payment crate's public types: what the order side passes in and gets back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

string_enum! {
    /// Our record of a payment: `pending` from the prepay until WeChat says it is paid (or it is
    /// closed). `paid` is final; refunds are tracked beside it.
    PaymentState { Pending => "pending", Paid => "paid", Closed => "closed" }
}

string_enum! {
    /// `requested` (saved, WeChat not yet sure to have it) → `processing` → `succeeded`, or
    /// `closed` / `abnormal` (WeChat's outcomes), or `failed` (WeChat refused the request).
    RefundStatus {
        Requested => "requested",
        Processing => "processing",
        Succeeded => "succeeded",
        Closed => "closed",
        Abnormal => "abnormal",
        Failed => "failed"
    }
}

string_enum! {
    LedgerKind { Payment => "payment", Refund => "refund" }
}

/// A JSAPI (mini-program) payment to prepare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    /// 6–32 of `[0-9A-Za-z_-|*]`, unique per merchant: the order number.
    pub out_trade_no: String,
    /// Shown in the customer's bill; at most 127 bytes.
    pub description: String,
    pub amount_fen: i64,
    /// The customer's openid under the shop's appid.
    pub payer_openid: String,
    /// Where WeChat posts the result: `…/api/v1/pay/notify/{tenant_id}`.
    pub notify_url: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What the mini-program passes to `wx.requestPayment` (the mini-program supplies its appid).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPaymentParams {
    pub time_stamp: String,
    pub nonce_str: String,
    /// `prepay_id=…`
    pub package: String,
    /// Always `RSA`.
    pub sign_type: String,
    pub pay_sign: String,
    #[serde(skip)]
    pub prepay_id: String,
}

/// Our record of a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub id: Uuid,
    pub out_trade_no: String,
    pub amount_fen: i64,
    pub state: PaymentState,
    pub prepay_id: Option<String>,
    /// Where WeChat posts this payment's results (and, by default, its refunds').
    pub notify_url: String,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub fee_fen: Option<i64>,
    /// Refunds requested and not failed or closed (so the most that may still go back is
    /// `amount_fen − refund_reserved_fen`).
    pub refund_reserved_fen: i64,
    /// Refunds WeChat confirmed.
    pub refunded_fen: i64,
}

/// WeChat's view of a payment (query by out_trade_no).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentQuery {
    /// `SUCCESS | REFUND | NOTPAY | CLOSED | REVOKED | USERPAYING | PAYERROR`.
    pub trade_state: String,
    pub transaction_id: Option<String>,
    pub amount_fen: Option<i64>,
    pub success_time: Option<DateTime<Utc>>,
    /// When WeChat says it is paid, the payment is recorded (exactly once) as a notification
    /// would: a lost notification does not lose a sale.
    pub recorded: Option<PaymentRecorded>,
}

/// A refund of (part of) a paid payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    pub out_trade_no: String,
    /// Unique per merchant: asking again with the same number refunds once.
    pub out_refund_no: String,
    pub amount_fen: i64,
    /// The payment's total, as WeChat requires it; must match our record.
    pub total_fen: i64,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refund {
    pub id: Uuid,
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub status: RefundStatus,
    pub refund_id: Option<String>,
    pub succeeded_at: Option<DateTime<Utc>>,
}

/// One line of a shop's ledger: a payment (positive) or a refund (negative).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub kind: LedgerKind,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    pub transaction_id: Option<String>,
    pub gross_fen: i64,
    pub fee_fen: i64,
    pub net_fen: i64,
    /// On a payment: it arrived for an order already cancelled, and was refunded in full.
    pub late_payment_refunded: bool,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// A pending payment the reconciliation worker should ask WeChat about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuePayment {
    pub tenant_id: kernel::TenantId,
    pub out_trade_no: String,
    /// The payment's check count when it was listed: claiming the check needs it unchanged.
    pub check_count: i64,
    /// Closing was asked for and has not succeeded yet.
    pub close_requested: bool,
    /// Past the deadline it was prepared with: it can no longer be paid for its order.
    pub expired: bool,
    /// Already paid; its order side has not completed (it failed): run it again.
    pub order_side_pending: bool,
}

/// A payment newly recorded as paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentRecorded {
    pub out_trade_no: String,
    pub transaction_id: String,
    pub amount_fen: i64,
    pub paid_at: DateTime<Utc>,
    /// The payment had been closed on our side (order cancelled) before the money arrived:
    /// the order side should refund it.
    pub was_closed: bool,
}

/// Why a notification was refused. Nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    PayNotConfigured,
    MissingHeaders,
    SignatureProbe,
    UnknownSerial,
    StaleTimestamp,
    BadSignature,
    MalformedBody,
    Undecryptable,
    MerchantMismatch,
    AppMismatch,
    UnknownPayment,
    UnknownRefund,
    AmountMismatch,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::PayNotConfigured => "pay_not_configured",
            Refusal::MissingHeaders => "missing_headers",
            Refusal::SignatureProbe => "signature_probe",
            Refusal::UnknownSerial => "unknown_serial",
            Refusal::StaleTimestamp => "stale_timestamp",
            Refusal::BadSignature => "bad_signature",
            Refusal::MalformedBody => "malformed_body",
            Refusal::Undecryptable => "undecryptable",
            Refusal::MerchantMismatch => "merchant_mismatch",
            Refusal::AppMismatch => "app_mismatch",
            Refusal::UnknownPayment => "unknown_payment",
            Refusal::UnknownRefund => "unknown_refund",
            Refusal::AmountMismatch => "amount_mismatch",
        }
    }

    /// Refusals about who sent it (answer 401), rather than what it says (400).
    pub fn is_authentication(self) -> bool {
        matches!(
            self,
            Refusal::MissingHeaders
                | Refusal::SignatureProbe
                | Refusal::UnknownSerial
                | Refusal::StaleTimestamp
                | Refusal::BadSignature
        )
    }
}

/// What a notification did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum NotificationOutcome {
    /// The payment is now recorded as paid; the order side checks the amount and marks it paid.
    PaymentRecorded(PaymentRecorded),
    /// Recorded before (a duplicate, retry or concurrent delivery): nothing changed.
    PaymentAlreadyRecorded {
        out_trade_no: String,
    },
    /// A refund reached a final state just now.
    RefundRecorded {
        out_trade_no: String,
        out_refund_no: String,
        status: RefundStatus,
        amount_fen: i64,
    },
    RefundAlreadyRecorded {
        out_refund_no: String,
    },
    /// An event we take no action on (acknowledged so WeChat stops sending it).
    Ignored {
        event_type: String,
    },
    Refused(Refusal),
}

/// The signature headers of a notification, as received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationHeaders {
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub signature: Option<String>,
    pub serial: Option<String>,
}
