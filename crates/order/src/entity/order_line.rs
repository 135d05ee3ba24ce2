use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub spec_text: String,
    pub image: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
    /// Units under an open or refunded after-sale (never above `quantity`).
    pub after_sale_qty: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
