use sea_orm::entity::prelude::*;

/// One row per tenant: its KDNiao account; the AppKey only as a `SecretBox` ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_kdniao_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub ebusiness_id: String,
    pub app_key_sealed: String,
    pub api_base_url: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
