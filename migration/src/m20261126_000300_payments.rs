//! The payment crate's tables: payments (one per out_trade_no), refunds (one per out_refund_no),
//! the per-tenant ledger (one entry per payment or refund) and each tenant's fee rate.

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
        manager
            .create_table(
                Table::create()
                    .table(PaymentSettings::Table)
                    .col(uuid(PaymentSettings::TenantId).primary_key())
                    .col(big_integer(PaymentSettings::FeeRatePpm))
                    .col(timestamp_with_time_zone(PaymentSettings::UpdatedAt))
                    .foreign_key(&mut tenant_fkey(
                        "payment_settings_tenant_fkey",
                        PaymentSettings::Table,
                        PaymentSettings::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(uuid(Payments::TenantId))
                    .col(uuid(Payments::Id))
                    .col(text(Payments::OutTradeNo))
                    .col(text(Payments::Description))
                    .col(big_integer(Payments::AmountFen))
                    .col(text(Payments::PayerOpenid))
                    .col(text(Payments::NotifyUrl))
                    .col(timestamp_with_time_zone_null(Payments::ExpiresAt))
                    .col(text_null(Payments::PrepayId))
                    .col(timestamp_with_time_zone_null(Payments::PrepayCreatedAt))
                    .col(text(Payments::State))
                    .col(text_null(Payments::TransactionId))
                    .col(timestamp_with_time_zone_null(Payments::PaidAt))
                    .col(big_integer_null(Payments::FeeRatePpm))
                    .col(big_integer_null(Payments::FeeFen))
                    .col(big_integer(Payments::RefundReservedFen).default(0))
                    .col(big_integer(Payments::RefundSettledFen).default(0))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .primary_key(Index::create().col(Payments::TenantId).col(Payments::Id))
                    .foreign_key(&mut tenant_fkey(
                        "payments_tenant_fkey",
                        Payments::Table,
                        Payments::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payments_tenant_out_trade_no_key")
                    .table(Payments::Table)
                    .col(Payments::TenantId)
                    .col(Payments::OutTradeNo)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(uuid(Refunds::TenantId))
                    .col(uuid(Refunds::Id))
                    .col(uuid(Refunds::PaymentId))
                    .col(text(Refunds::OutTradeNo))
                    .col(text(Refunds::OutRefundNo))
                    .col(big_integer(Refunds::AmountFen))
                    .col(text_null(Refunds::Reason))
                    .col(text_null(Refunds::NotifyUrl))
                    .col(text(Refunds::Status))
                    .col(text_null(Refunds::RefundId))
                    .col(timestamp_with_time_zone_null(Refunds::SucceededAt))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                    .primary_key(Index::create().col(Refunds::TenantId).col(Refunds::Id))
                    .foreign_key(&mut tenant_fkey(
                        "refunds_tenant_fkey",
                        Refunds::Table,
                        Refunds::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("refunds_payment_fkey")
                            .from(Refunds::Table, (Refunds::TenantId, Refunds::PaymentId))
                            .to(Payments::Table, (Payments::TenantId, Payments::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("refunds_tenant_out_refund_no_key")
                    .table(Refunds::Table)
                    .col(Refunds::TenantId)
                    .col(Refunds::OutRefundNo)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(uuid(LedgerEntries::TenantId))
                    .col(uuid(LedgerEntries::Id))
                    .col(text(LedgerEntries::Kind))
                    .col(uuid(LedgerEntries::SourceId))
                    .col(text(LedgerEntries::OutTradeNo))
                    .col(text_null(LedgerEntries::OutRefundNo))
                    .col(text_null(LedgerEntries::TransactionId))
                    .col(big_integer(LedgerEntries::GrossFen))
                    .col(big_integer(LedgerEntries::FeeFen))
                    .col(big_integer(LedgerEntries::NetFen))
                    .col(timestamp_with_time_zone(LedgerEntries::OccurredAt))
                    .col(timestamp_with_time_zone(LedgerEntries::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(LedgerEntries::TenantId)
                            .col(LedgerEntries::Id),
                    )
                    .foreign_key(&mut tenant_fkey(
                        "ledger_entries_tenant_fkey",
                        LedgerEntries::Table,
                        LedgerEntries::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        // The final guard of "one ledger entry per payment or refund".
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_tenant_source_key")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::TenantId)
                    .col(LedgerEntries::Kind)
                    .col(LedgerEntries::SourceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_tenant_occurred_idx")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::TenantId)
                    .col(LedgerEntries::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LedgerEntries::Table.into_iden(),
            Refunds::Table.into_iden(),
            Payments::Table.into_iden(),
            PaymentSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PaymentSettings {
    Table,
    TenantId,
    FeeRatePpm,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    TenantId,
    Id,
    OutTradeNo,
    Description,
    AmountFen,
    PayerOpenid,
    NotifyUrl,
    ExpiresAt,
    PrepayId,
    PrepayCreatedAt,
    State,
    TransactionId,
    PaidAt,
    FeeRatePpm,
    FeeFen,
    RefundReservedFen,
    RefundSettledFen,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    TenantId,
    Id,
    PaymentId,
    OutTradeNo,
    OutRefundNo,
    AmountFen,
    Reason,
    NotifyUrl,
    Status,
    RefundId,
    SucceededAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    TenantId,
    Id,
    Kind,
    SourceId,
    OutTradeNo,
    OutRefundNo,
    TransactionId,
    GrossFen,
    FeeFen,
    NetFen,
    OccurredAt,
    RecordedAt,
}
