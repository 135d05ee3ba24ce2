use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_skus")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    /// One value per spec attribute, in attribute order (JSON array of strings).
    pub spec_values: Json,
    /// The values joined with U+001F; unique per product.
    pub combination_key: String,
    pub price: i64,
    pub list_price: Option<i64>,
    pub stock: i64,
    pub merchant_code: Option<String>,
    pub barcode: Option<String>,
    pub low_stock_threshold: i64,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
