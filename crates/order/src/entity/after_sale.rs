use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_after_sales")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_no: String,
    pub customer_id: Uuid,
    pub kind: String,
    pub status: String,
    pub initiated_by: String,
    pub reason: String,
    /// JSON array of photo URLs.
    pub photos: Json,
    /// JSON of `Vec<AfterSaleLine>`: the lines applied for, snapshotted.
    pub lines: Json,
    pub goods_fen: i64,
    pub freight_fen: i64,
    pub amount_fen: i64,
    pub reject_reason: Option<String>,
    pub return_carrier: Option<String>,
    pub return_tracking_no: Option<String>,
    pub refund_attempt: i32,
    pub out_refund_no: Option<String>,
    pub refund_error: Option<String>,
    pub refunded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
