//! The order crate's tables: cart lines, shipping addresses, orders, their lines (snapshots) and
//! their status transitions. Every key leads with `tenant_id`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_platform_tables::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn tenant_fkey(
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn order_fkey(
    name: &str,
    table: impl IntoIden + Clone,
    column: impl IntoIden + Clone,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table.clone(), (Orders::TenantId, column))
        .to(Orders::Table, (Orders::TenantId, Orders::Id))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderCartLines::Table)
                    .col(uuid(OrderCartLines::TenantId))
                    .col(uuid(OrderCartLines::Id))
                    .col(uuid(OrderCartLines::CustomerId))
                    .col(uuid(OrderCartLines::SkuId))
                    .col(big_integer(OrderCartLines::Quantity))
                    .col(big_integer(OrderCartLines::SeenPrice))
                    .col(timestamp_with_time_zone(OrderCartLines::CreatedAt))
                    .col(timestamp_with_time_zone(OrderCartLines::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderCartLines::TenantId)
                            .col(OrderCartLines::Id),
                    )
                    .foreign_key(&mut tenant_fkey(
                        "order_cart_lines_tenant_fkey",
                        OrderCartLines::Table,
                        OrderCartLines::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "order_cart_lines_customer_sku_key",
            OrderCartLines::Table,
            &["tenant_id", "customer_id", "sku_id"],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderAddresses::Table)
                    .col(uuid(OrderAddresses::TenantId))
                    .col(uuid(OrderAddresses::Id))
                    .col(uuid(OrderAddresses::CustomerId))
                    .col(text(OrderAddresses::Consignee))
                    .col(text(OrderAddresses::Mobile))
                    .col(text(OrderAddresses::Province))
                    .col(text(OrderAddresses::City))
                    .col(text(OrderAddresses::District))
                    .col(text(OrderAddresses::Detail))
                    .col(boolean(OrderAddresses::IsDefault))
                    .col(timestamp_with_time_zone(OrderAddresses::CreatedAt))
                    .col(timestamp_with_time_zone(OrderAddresses::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderAddresses::TenantId)
                            .col(OrderAddresses::Id),
                    )
                    .foreign_key(&mut tenant_fkey(
                        "order_addresses_tenant_fkey",
                        OrderAddresses::Table,
                        OrderAddresses::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "order_addresses_customer_idx",
            OrderAddresses::Table,
            &["tenant_id", "customer_id"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(uuid(Orders::TenantId))
                    .col(uuid(Orders::Id))
                    .col(text(Orders::OrderNo))
                    .col(uuid(Orders::CustomerId))
                    .col(text(Orders::PayerOpenid))
                    .col(text(Orders::IdempotencyKey))
                    .col(text(Orders::Status))
                    .col(big_integer(Orders::GoodsTotal))
                    .col(big_integer(Orders::DiscountTotal))
                    .col(big_integer(Orders::Freight))
                    .col(big_integer(Orders::Payable))
                    .col(json(Orders::Pricing))
                    .col(json(Orders::Address))
                    .col(text(Orders::Remark))
                    .col(text_null(Orders::CancelReason))
                    .col(timestamp_with_time_zone(Orders::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Orders::PaidAt))
                    .col(text_null(Orders::Carrier))
                    .col(text_null(Orders::TrackingNo))
                    .col(timestamp_with_time_zone_null(Orders::ShippedAt))
                    .col(text_null(Orders::ShippingUpload))
                    .col(text_null(Orders::ShippingUploadError))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .primary_key(Index::create().col(Orders::TenantId).col(Orders::Id))
                    .foreign_key(&mut tenant_fkey(
                        "orders_tenant_fkey",
                        Orders::Table,
                        Orders::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "orders_tenant_no_key",
            Orders::Table,
            &["tenant_id", "order_no"],
            true,
        )
        .await?;
        index(
            manager,
            "orders_tenant_customer_idempotency_key",
            Orders::Table,
            &["tenant_id", "customer_id", "idempotency_key"],
            true,
        )
        .await?;
        index(
            manager,
            "orders_tenant_status_expires_idx",
            Orders::Table,
            &["tenant_id", "status", "expires_at"],
            false,
        )
        .await?;
        index(
            manager,
            "orders_status_expires_idx",
            Orders::Table,
            &["status", "expires_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(uuid(OrderLines::TenantId))
                    .col(uuid(OrderLines::Id))
                    .col(uuid(OrderLines::OrderId))
                    .col(uuid(OrderLines::SkuId))
                    .col(uuid(OrderLines::ProductId))
                    .col(text(OrderLines::Title))
                    .col(text(OrderLines::SpecText))
                    .col(text(OrderLines::Image))
                    .col(big_integer(OrderLines::UnitPrice))
                    .col(big_integer(OrderLines::Quantity))
                    .col(big_integer(OrderLines::LineTotal))
                    .primary_key(
                        Index::create()
                            .col(OrderLines::TenantId)
                            .col(OrderLines::Id),
                    )
                    .foreign_key(&mut order_fkey(
                        "order_lines_order_fkey",
                        OrderLines::Table,
                        OrderLines::OrderId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "order_lines_order_idx",
            OrderLines::Table,
            &["tenant_id", "order_id"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderTransitions::Table)
                    .col(uuid(OrderTransitions::TenantId))
                    .col(uuid(OrderTransitions::Id))
                    .col(uuid(OrderTransitions::OrderId))
                    .col(text_null(OrderTransitions::FromStatus))
                    .col(text(OrderTransitions::ToStatus))
                    .col(text(OrderTransitions::Actor))
                    .col(text(OrderTransitions::Reason))
                    .col(timestamp_with_time_zone(OrderTransitions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderTransitions::TenantId)
                            .col(OrderTransitions::Id),
                    )
                    .foreign_key(&mut order_fkey(
                        "order_transitions_order_fkey",
                        OrderTransitions::Table,
                        OrderTransitions::OrderId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderFreightRules::Table)
                    .col(uuid(OrderFreightRules::TenantId).primary_key())
                    .col(big_integer(OrderFreightRules::FlatFee))
                    .col(big_integer_null(OrderFreightRules::FreeOver))
                    .col(timestamp_with_time_zone(OrderFreightRules::UpdatedAt))
                    .foreign_key(&mut tenant_fkey(
                        "order_freight_rules_tenant_fkey",
                        OrderFreightRules::Table,
                        OrderFreightRules::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "order_transitions_order_idx",
            OrderTransitions::Table,
            &["tenant_id", "order_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrderFreightRules::Table.into_iden(),
            OrderTransitions::Table.into_iden(),
            OrderLines::Table.into_iden(),
            Orders::Table.into_iden(),
            OrderAddresses::Table.into_iden(),
            OrderCartLines::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum OrderCartLines {
    Table,
    TenantId,
    Id,
    CustomerId,
    SkuId,
    Quantity,
    SeenPrice,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderAddresses {
    Table,
    TenantId,
    Id,
    CustomerId,
    Consignee,
    Mobile,
    Province,
    City,
    District,
    Detail,
    IsDefault,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum Orders {
    Table,
    TenantId,
    Id,
    OrderNo,
    CustomerId,
    PayerOpenid,
    IdempotencyKey,
    Status,
    GoodsTotal,
    DiscountTotal,
    Freight,
    Payable,
    Pricing,
    Address,
    Remark,
    CancelReason,
    ExpiresAt,
    PaidAt,
    Carrier,
    TrackingNo,
    ShippedAt,
    ShippingUpload,
    ShippingUploadError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderLines {
    Table,
    TenantId,
    Id,
    OrderId,
    SkuId,
    ProductId,
    Title,
    SpecText,
    Image,
    UnitPrice,
    Quantity,
    LineTotal,
}

#[derive(DeriveIden, Clone)]
enum OrderTransitions {
    Table,
    TenantId,
    Id,
    OrderId,
    FromStatus,
    ToStatus,
    Actor,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderFreightRules {
    Table,
    TenantId,
    FlatFee,
    FreeOver,
    UpdatedAt,
}
