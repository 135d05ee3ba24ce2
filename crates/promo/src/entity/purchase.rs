use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub flash_sale_id: Uuid,
    pub sku_id: Uuid,
    pub customer_id: Uuid,
    pub idempotency_key: String,
    /// Set once the order is placed.
    pub order_no: Option<String>,
    pub quantity: i64,
    /// `reserved` or `released`.
    pub state: String,
    pub created_at: DateTimeUtc,
    pub released_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
