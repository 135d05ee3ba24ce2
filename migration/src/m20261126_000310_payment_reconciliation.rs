//! Reconciliation of payments: when each pending payment is next queried at WeChat (with a count
//! of checks, which doubles as the lease a worker takes by a conditional update), whether closing
//! it was asked for (so a close that failed is retried), when the order side of a paid payment
//! last completed (so one that failed is retried), and the flag of a payment that arrived for a
//! cancelled order and was refunded. Additive only: the previous release ignores them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            ColumnDef::new(Payments::NextCheckAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            big_integer(Payments::CheckCount).default(0).to_owned(),
            ColumnDef::new(Payments::CloseRequestedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Payments::OrderSettledAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Payments::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // Payments paid before this release had their order side run by their notification.
        manager
            .exec_stmt(
                Query::update()
                    .table(Payments::Table)
                    .value(Payments::OrderSettledAt, Expr::col(Payments::UpdatedAt))
                    .and_where(Expr::col(Payments::State).eq("paid"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LedgerEntries::Table)
                    .add_column(boolean(LedgerEntries::LatePaymentRefunded).default(false))
                    .to_owned(),
            )
            .await?;
        // The worker's scan: pending payments by when they were prepared.
        manager
            .create_index(
                Index::create()
                    .name("payments_state_prepay_created_at_idx")
                    .table(Payments::Table)
                    .col(Payments::State)
                    .col(Payments::PrepayCreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("payments_state_prepay_created_at_idx")
                    .table(Payments::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LedgerEntries::Table)
                    .drop_column(LedgerEntries::LatePaymentRefunded)
                    .to_owned(),
            )
            .await?;
        for column in [
            Payments::OrderSettledAt,
            Payments::CloseRequestedAt,
            Payments::CheckCount,
            Payments::NextCheckAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Payments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    State,
    PrepayCreatedAt,
    NextCheckAt,
    CheckCount,
    CloseRequestedAt,
    OrderSettledAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    LatePaymentRefunded,
}
