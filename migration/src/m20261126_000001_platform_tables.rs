//! Platform-level tables: operators, their sessions, and the tenant registry itself.
//! These are not tenant-owned (on Citus they would be reference tables).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlatformOperators::Table)
                    .col(uuid(PlatformOperators::Id).primary_key())
                    .col(text(PlatformOperators::Email))
                    .col(text(PlatformOperators::Name))
                    .col(text(PlatformOperators::PasswordHash))
                    .col(integer(PlatformOperators::FailedLogins).default(0))
                    .col(timestamp_with_time_zone_null(
                        PlatformOperators::LockedUntil,
                    ))
                    .col(timestamp_with_time_zone(PlatformOperators::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("platform_operators_email_key")
                    .table(PlatformOperators::Table)
                    .col(PlatformOperators::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OperatorSessions::Table)
                    .col(uuid(OperatorSessions::Id).primary_key())
                    .col(uuid(OperatorSessions::OperatorId))
                    .col(text(OperatorSessions::TokenHash))
                    .col(timestamp_with_time_zone(OperatorSessions::ExpiresAt))
                    .col(timestamp_with_time_zone(OperatorSessions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("operator_sessions_operator_fkey")
                            .from(OperatorSessions::Table, OperatorSessions::OperatorId)
                            .to(PlatformOperators::Table, PlatformOperators::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid(Tenants::Id).primary_key())
                    .col(text(Tenants::Code))
                    .col(text(Tenants::Name))
                    .col(text(Tenants::SubjectType))
                    .col(text(Tenants::ContactName))
                    .col(text(Tenants::ContactPhone))
                    .col(text(Tenants::ContactEmail))
                    .col(text(Tenants::Status))
                    .col(text_null(Tenants::SuspendedReason))
                    .col(text(Tenants::CertificationStatus))
                    .col(text(Tenants::PlanName))
                    .col(integer(Tenants::MaxStaff))
                    .col(integer(Tenants::MaxProducts))
                    .col(integer(Tenants::MaxApiKeys))
                    .col(text_null(Tenants::WechatAppid))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("tenants_code_key", Tenants::Code),
            ("tenants_wechat_appid_key", Tenants::WechatAppid),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Tenants::Table)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tenants::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OperatorSessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PlatformOperators::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum PlatformOperators {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    FailedLogins,
    LockedUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OperatorSessions {
    Table,
    Id,
    OperatorId,
    TokenHash,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Tenants {
    Table,
    Id,
    Code,
    Name,
    SubjectType,
    ContactName,
    ContactPhone,
    ContactEmail,
    Status,
    SuspendedReason,
    CertificationStatus,
    PlanName,
    MaxStaff,
    MaxProducts,
    MaxApiKeys,
    WechatAppid,
    CreatedAt,
    UpdatedAt,
}
