use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub category_id: Uuid,
    pub title: String,
    pub subtitle: String,
    /// Ordered image URLs (JSON array of strings).
    pub images: Json,
    pub detail_html: String,
    /// Merchant tags (JSON array of strings).
    pub tags: Json,
    /// The tags as `|新品|热卖|`, for filtering by one tag with LIKE on every backend.
    pub tags_text: String,
    /// Lower-cased title, subtitle and tags, for substring search (CJK included).
    pub search_text: String,
    /// `[{"name": "颜色", "values": ["红", "蓝"]}, …]`
    pub spec_attributes: Json,
    pub status: String,
    pub sort_weight: i32,
    pub shipping_weight_grams: i32,
    pub qualification_number: Option<String>,
    pub show_exact_stock: bool,
    pub min_price: i64,
    pub max_price: i64,
    pub sales: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
