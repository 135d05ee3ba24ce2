use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_no: String,
    pub order_line_id: Uuid,
    pub customer_id: Uuid,
    pub product_id: Uuid,
    pub sku_id: Uuid,
    pub title: String,
    pub spec_text: String,
    pub rating: i16,
    pub body: String,
    /// JSON array of photo URLs.
    pub photos: Json,
    pub reply: Option<String>,
    pub replied_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
