use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_no: String,
    pub customer_id: Uuid,
    pub payer_openid: String,
    pub idempotency_key: String,
    pub status: String,
    pub goods_total: i64,
    pub discount_total: i64,
    pub freight: i64,
    pub payable: i64,
    /// The priced figures with their rules (JSON of `Pricing`).
    pub pricing: Json,
    /// The address snapshot (JSON of `AddressSnapshot`).
    pub address: Json,
    pub remark: String,
    pub cancel_reason: Option<String>,
    pub expires_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub shipped_at: Option<DateTimeUtc>,
    /// `pending`, `uploaded` or `failed`: the shipment's upload to WeChat.
    pub shipping_upload: Option<String>,
    pub shipping_upload_error: Option<String>,
    /// The merchant's own note, never shown to the customer.
    pub merchant_remark: Option<String>,
    /// SHA-256 of the canonical checkout request first sent with `idempotency_key`.
    pub request_digest: Option<String>,
    /// Money claimed by open or refunded after-sales (never above `payable`).
    pub refund_claimed_fen: i64,
    /// Money refunded (WeChat confirmed).
    pub refunded_fen: i64,
    /// The flash sale the order was placed through; its lines' stock was set aside by the sale,
    /// so the order never moves SKU stock.
    pub promo_activity_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
