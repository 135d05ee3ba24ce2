use sea_orm::entity::prelude::*;

/// The electronic waybill an order was shipped with (at most one per order).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_waybills")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub shipper_code: String,
    pub logistic_code: String,
    pub kdn_order_code: Option<String>,
    pub mark_destination: Option<String>,
    /// The label as HTML, as KDNiao returned it.
    pub print_template: Option<String>,
    /// The sender address snapshot (JSON of `SenderAddress`).
    pub sender: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
