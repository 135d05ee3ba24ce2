use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_flash_sale_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub flash_sale_id: Uuid,
    pub sku_id: Uuid,
    pub sale_price_fen: i64,
    /// Units the sale holds (set aside from the SKU); after settlement, equal to `sold`.
    pub quantity: i64,
    /// Units held by reserved purchases.
    pub sold: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
