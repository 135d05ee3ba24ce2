//! Fulfilment: freight templates (one JSON row per tenant), the merchant's sender addresses, the shop's KDNiao account (AppKey sealed), the
//! electronic waybills printed for orders, and on `orders` the merchant's remark and the digest of
//! the checkout request its Idempotency-Key was first used with. Every key leads with
//! `tenant_id`. Additive only: the previous release ignores the new columns and tables.

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(text_null(Orders::MerchantRemark))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(text_null(Orders::RequestDigest))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderSenderAddresses::Table)
                    .col(uuid(OrderSenderAddresses::TenantId))
                    .col(uuid(OrderSenderAddresses::Id))
                    .col(text(OrderSenderAddresses::Name))
                    .col(text(OrderSenderAddresses::Mobile))
                    .col(text(OrderSenderAddresses::Province))
                    .col(text(OrderSenderAddresses::City))
                    .col(text(OrderSenderAddresses::District))
                    .col(text(OrderSenderAddresses::Detail))
                    .col(boolean(OrderSenderAddresses::IsDefault))
                    .col(timestamp_with_time_zone(OrderSenderAddresses::CreatedAt))
                    .col(timestamp_with_time_zone(OrderSenderAddresses::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderSenderAddresses::TenantId)
                            .col(OrderSenderAddresses::Id),
                    )
                    .foreign_key(&mut tenant_fkey(
                        "order_sender_addresses_tenant_fkey",
                        OrderSenderAddresses::Table,
                        OrderSenderAddresses::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderKdniaoAccounts::Table)
                    .col(uuid(OrderKdniaoAccounts::TenantId).primary_key())
                    .col(text(OrderKdniaoAccounts::EbusinessId))
                    .col(text(OrderKdniaoAccounts::AppKeySealed))
                    .col(text_null(OrderKdniaoAccounts::ApiBaseUrl))
                    .col(timestamp_with_time_zone(OrderKdniaoAccounts::UpdatedAt))
                    .foreign_key(&mut tenant_fkey(
                        "order_kdniao_accounts_tenant_fkey",
                        OrderKdniaoAccounts::Table,
                        OrderKdniaoAccounts::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderWaybills::Table)
                    .col(uuid(OrderWaybills::TenantId))
                    .col(uuid(OrderWaybills::Id))
                    .col(uuid(OrderWaybills::OrderId))
                    .col(text(OrderWaybills::ShipperCode))
                    .col(text(OrderWaybills::LogisticCode))
                    .col(text_null(OrderWaybills::KdnOrderCode))
                    .col(text_null(OrderWaybills::MarkDestination))
                    .col(text_null(OrderWaybills::PrintTemplate))
                    .col(json(OrderWaybills::Sender))
                    .col(timestamp_with_time_zone(OrderWaybills::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderWaybills::TenantId)
                            .col(OrderWaybills::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_waybills_order_fkey")
                            .from(
                                OrderWaybills::Table,
                                (OrderWaybills::TenantId, OrderWaybills::OrderId),
                            )
                            .to(Orders::Table, (Orders::TenantId, Orders::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("order_waybills_tenant_order_key")
                    .table(OrderWaybills::Table)
                    .col(OrderWaybills::TenantId)
                    .col(OrderWaybills::OrderId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderFreightTemplates::Table)
                    .col(uuid(OrderFreightTemplates::TenantId).primary_key())
                    .col(json(OrderFreightTemplates::Template))
                    .col(timestamp_with_time_zone(OrderFreightTemplates::UpdatedAt))
                    .foreign_key(&mut tenant_fkey(
                        "order_freight_templates_tenant_fkey",
                        OrderFreightTemplates::Table,
                        OrderFreightTemplates::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("order_lines_tenant_product_idx")
                    .table(OrderLines::Table)
                    .col(OrderLines::TenantId)
                    .col(OrderLines::ProductId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_tenant_customer_idx")
                    .table(Orders::Table)
                    .col(Orders::TenantId)
                    .col(Orders::CustomerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("orders_tenant_customer_idx")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("order_lines_tenant_product_idx")
                    .table(OrderLines::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            OrderFreightTemplates::Table.into_iden(),
            OrderWaybills::Table.into_iden(),
            OrderKdniaoAccounts::Table.into_iden(),
            OrderSenderAddresses::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Orders::RequestDigest, Orders::MerchantRemark] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum Orders {
    Table,
    TenantId,
    Id,
    CustomerId,
    MerchantRemark,
    RequestDigest,
}

#[derive(DeriveIden, Clone)]
enum OrderLines {
    Table,
    TenantId,
    ProductId,
}

#[derive(DeriveIden, Clone)]
enum OrderSenderAddresses {
    Table,
    TenantId,
    Id,
    Name,
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
enum OrderKdniaoAccounts {
    Table,
    TenantId,
    EbusinessId,
    AppKeySealed,
    ApiBaseUrl,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderWaybills {
    Table,
    TenantId,
    Id,
    OrderId,
    ShipperCode,
    LogisticCode,
    KdnOrderCode,
    MarkDestination,
    PrintTemplate,
    Sender,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderFreightTemplates {
    Table,
    TenantId,
    Template,
    UpdatedAt,
}
