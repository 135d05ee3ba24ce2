use sea_orm::entity::prelude::*;

/// One row per tenant. Columns ending in `_sealed` are AES-256-GCM ciphertexts (infra::SecretBox).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub appid: Option<String>,
    pub app_secret_sealed: Option<String>,
    pub api_base_url: Option<String>,
    pub mch_id: Option<String>,
    pub apiv3_key_sealed: Option<String>,
    pub private_key_sealed: Option<String>,
    pub merchant_cert_serial: Option<String>,
    pub wechatpay_public_key_id: Option<String>,
    pub wechatpay_public_key_pem: Option<String>,
    pub pay_api_base_url: Option<String>,
    pub pay_enabled: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
