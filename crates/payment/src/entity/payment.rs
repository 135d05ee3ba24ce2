use sea_orm::entity::prelude::*;

/// One per (tenant, out_trade_no). `state` moves `pending → paid` (or `closed`) by conditional
/// updates only, so a payment is recorded as paid exactly once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub out_trade_no: String,
    pub description: String,
    pub amount_fen: i64,
    pub payer_openid: String,
    pub notify_url: String,
    pub expires_at: Option<DateTimeUtc>,
    pub prepay_id: Option<String>,
    pub prepay_created_at: Option<DateTimeUtc>,
    pub state: String,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    pub fee_rate_ppm: Option<i64>,
    pub fee_fen: Option<i64>,
    pub refund_reserved_fen: i64,
    pub refund_settled_fen: i64,
    /// When the reconciliation worker may query this pending payment next (none: due now).
    pub next_check_at: Option<DateTimeUtc>,
    /// Queries made by the worker; a worker claims a check by incrementing it conditionally.
    pub check_count: i64,
    /// Closing was asked for (the order was cancelled); set before WeChat is called, so a close
    /// that failed is retried by the worker.
    pub close_requested_at: Option<DateTimeUtc>,
    /// The order side (`gateway::flows::order_payment_recorded`) completed for this paid
    /// payment; while null, the reconciliation worker runs it again.
    pub order_settled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
