//! Tenant-owned tables of the tenant domain: certification, staff, staff sessions, API keys and
//! WeChat configuration. Each has `tenant_id NOT NULL` first in its primary key, unique indexes
//! and foreign keys.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_platform_tables::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn belongs_to_tenant(table: TableRef, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("tenant_id"))
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantCertifications::Table)
                    .col(uuid(TenantCertifications::TenantId))
                    .col(uuid(TenantCertifications::Id))
                    .col(text(TenantCertifications::LegalName))
                    .col(text(TenantCertifications::LicenceNumber))
                    .col(text(TenantCertifications::LegalRepresentative))
                    .col(json(TenantCertifications::DocumentUrls))
                    .col(text(TenantCertifications::Status))
                    .col(text_null(TenantCertifications::RejectReason))
                    .col(uuid(TenantCertifications::SubmittedBy))
                    .col(uuid_null(TenantCertifications::DecidedBy))
                    .col(timestamp_with_time_zone(TenantCertifications::SubmittedAt))
                    .col(timestamp_with_time_zone_null(
                        TenantCertifications::DecidedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(TenantCertifications::TenantId)
                            .col(TenantCertifications::Id),
                    )
                    .foreign_key(&mut belongs_to_tenant(
                        TenantCertifications::Table.into_table_ref(),
                        "tenant_certifications_tenant_fkey",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Staff::Table)
                    .col(uuid(Staff::TenantId))
                    .col(uuid(Staff::Id))
                    .col(text(Staff::Name))
                    .col(text_null(Staff::Email))
                    .col(text_null(Staff::Phone))
                    .col(text(Staff::Role))
                    .col(text(Staff::PasswordHash))
                    .col(text(Staff::Status))
                    .col(integer(Staff::FailedLogins).default(0))
                    .col(timestamp_with_time_zone_null(Staff::LockedUntil))
                    .col(timestamp_with_time_zone(Staff::CreatedAt))
                    .col(timestamp_with_time_zone(Staff::UpdatedAt))
                    .primary_key(Index::create().col(Staff::TenantId).col(Staff::Id))
                    .foreign_key(&mut belongs_to_tenant(
                        Staff::Table.into_table_ref(),
                        "staff_tenant_fkey",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("staff_tenant_email_key", Staff::Email),
            ("staff_tenant_phone_key", Staff::Phone),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Staff::Table)
                        .col(Staff::TenantId)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(StaffSessions::Table)
                    .col(uuid(StaffSessions::TenantId))
                    .col(uuid(StaffSessions::Id))
                    .col(uuid(StaffSessions::StaffId))
                    .col(text(StaffSessions::TokenHash))
                    .col(timestamp_with_time_zone(StaffSessions::ExpiresAt))
                    .col(timestamp_with_time_zone(StaffSessions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(StaffSessions::TenantId)
                            .col(StaffSessions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("staff_sessions_staff_fkey")
                            .from(
                                StaffSessions::Table,
                                (StaffSessions::TenantId, StaffSessions::StaffId),
                            )
                            .to(Staff::Table, (Staff::TenantId, Staff::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(uuid(ApiKeys::TenantId))
                    .col(uuid(ApiKeys::Id))
                    .col(text(ApiKeys::Name))
                    .col(text(ApiKeys::SecretHash))
                    .col(text(ApiKeys::Scopes))
                    .col(uuid(ApiKeys::CreatedBy))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .primary_key(Index::create().col(ApiKeys::TenantId).col(ApiKeys::Id))
                    .foreign_key(&mut belongs_to_tenant(
                        ApiKeys::Table.into_table_ref(),
                        "api_keys_tenant_fkey",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WechatConfigs::Table)
                    .col(uuid(WechatConfigs::TenantId).primary_key())
                    .col(text_null(WechatConfigs::Appid))
                    .col(text_null(WechatConfigs::AppSecretSealed))
                    .col(text_null(WechatConfigs::ApiBaseUrl))
                    .col(text_null(WechatConfigs::MchId))
                    .col(text_null(WechatConfigs::Apiv3KeySealed))
                    .col(text_null(WechatConfigs::PrivateKeySealed))
                    .col(text_null(WechatConfigs::MerchantCertSerial))
                    .col(text_null(WechatConfigs::WechatpayPublicKeyId))
                    .col(text_null(WechatConfigs::WechatpayPublicKeyPem))
                    .col(text_null(WechatConfigs::PayApiBaseUrl))
                    .col(boolean(WechatConfigs::PayEnabled).default(false))
                    .col(timestamp_with_time_zone(WechatConfigs::UpdatedAt))
                    .foreign_key(&mut belongs_to_tenant(
                        WechatConfigs::Table.into_table_ref(),
                        "wechat_configs_tenant_fkey",
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WechatConfigs::Table.into_table_ref(),
            ApiKeys::Table.into_table_ref(),
            StaffSessions::Table.into_table_ref(),
            Staff::Table.into_table_ref(),
            TenantCertifications::Table.into_table_ref(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum TenantCertifications {
    Table,
    TenantId,
    Id,
    LegalName,
    LicenceNumber,
    LegalRepresentative,
    DocumentUrls,
    Status,
    RejectReason,
    SubmittedBy,
    DecidedBy,
    SubmittedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    TenantId,
    Id,
    Name,
    Email,
    Phone,
    Role,
    PasswordHash,
    Status,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffSessions {
    Table,
    TenantId,
    Id,
    StaffId,
    TokenHash,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    TenantId,
    Id,
    Name,
    SecretHash,
    Scopes,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum WechatConfigs {
    Table,
    TenantId,
    Appid,
    AppSecretSealed,
    ApiBaseUrl,
    MchId,
    Apiv3KeySealed,
    PrivateKeySealed,
    MerchantCertSerial,
    WechatpayPublicKeyId,
    WechatpayPublicKeyPem,
    PayApiBaseUrl,
    PayEnabled,
    UpdatedAt,
}
