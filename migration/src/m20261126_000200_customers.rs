//! The customer crate's tables: customers (one per shop and openid) and their sessions.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_platform_tables::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(uuid(Customers::TenantId))
                    .col(uuid(Customers::Id))
                    .col(text(Customers::Openid))
                    .col(text_null(Customers::Unionid))
                    .col(text_null(Customers::Phone))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::LastLoginAt))
                    .primary_key(Index::create().col(Customers::TenantId).col(Customers::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("customers_tenant_fkey")
                            .from(Customers::Table, Customers::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customers_tenant_openid_key")
                    .table(Customers::Table)
                    .col(Customers::TenantId)
                    .col(Customers::Openid)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerSessions::Table)
                    .col(uuid(CustomerSessions::TenantId))
                    .col(uuid(CustomerSessions::Id))
                    .col(uuid(CustomerSessions::CustomerId))
                    .col(text(CustomerSessions::TokenHash))
                    .col(timestamp_with_time_zone(CustomerSessions::ExpiresAt))
                    .col(timestamp_with_time_zone(CustomerSessions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CustomerSessions::TenantId)
                            .col(CustomerSessions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("customer_sessions_customer_fkey")
                            .from(
                                CustomerSessions::Table,
                                (CustomerSessions::TenantId, CustomerSessions::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerSessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Customers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
    Openid,
    Unionid,
    Phone,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum CustomerSessions {
    Table,
    TenantId,
    Id,
    CustomerId,
    TokenHash,
    ExpiresAt,
    CreatedAt,
}
