use sea_orm::entity::prelude::*;

/// The tenant registry (a platform table: its own id is the tenant id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub subject_type: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub status: String,
    pub suspended_reason: Option<String>,
    pub certification_status: String,
    pub plan_name: String,
    pub max_staff: i32,
    pub max_products: i32,
    pub max_api_keys: i32,
    pub wechat_appid: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
