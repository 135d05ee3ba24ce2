//! After-sales and reviews (order crate): `order_after_sales` (the lines applied for, snapshotted
//! as JSON), `order_after_sale_transitions`, `order_reviews`; and, on existing tables, the
//! counters that guard them: `order_lines.after_sale_qty` (units under an open or refunded
//! after-sale), `orders.refund_claimed_fen` (money claimed by them) and `orders.refunded_fen`
//! (money refunded). Expand-only: the previous release ignores the new columns.

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

async fn add_counter(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    // One column per statement: SQLite alters one at a time.
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(big_integer(column).default(0))
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_counter(manager, OrderLines::Table, OrderLines::AfterSaleQty).await?;
        add_counter(manager, Orders::Table, Orders::RefundClaimedFen).await?;
        add_counter(manager, Orders::Table, Orders::RefundedFen).await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderAfterSales::Table)
                    .col(uuid(OrderAfterSales::TenantId))
                    .col(uuid(OrderAfterSales::Id))
                    .col(uuid(OrderAfterSales::OrderId))
                    .col(text(OrderAfterSales::OrderNo))
                    .col(uuid(OrderAfterSales::CustomerId))
                    .col(text(OrderAfterSales::Kind))
                    .col(text(OrderAfterSales::Status))
                    .col(text(OrderAfterSales::InitiatedBy))
                    .col(text(OrderAfterSales::Reason))
                    .col(json(OrderAfterSales::Photos))
                    .col(json(OrderAfterSales::Lines))
                    .col(big_integer(OrderAfterSales::GoodsFen))
                    .col(big_integer(OrderAfterSales::FreightFen))
                    .col(big_integer(OrderAfterSales::AmountFen))
                    .col(text_null(OrderAfterSales::RejectReason))
                    .col(text_null(OrderAfterSales::ReturnCarrier))
                    .col(text_null(OrderAfterSales::ReturnTrackingNo))
                    .col(integer(OrderAfterSales::RefundAttempt).default(0))
                    .col(text_null(OrderAfterSales::OutRefundNo))
                    .col(text_null(OrderAfterSales::RefundError))
                    .col(timestamp_with_time_zone_null(OrderAfterSales::RefundedAt))
                    .col(timestamp_with_time_zone(OrderAfterSales::CreatedAt))
                    .col(timestamp_with_time_zone(OrderAfterSales::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderAfterSales::TenantId)
                            .col(OrderAfterSales::Id),
                    )
                    .foreign_key(&mut order_fkey(
                        "order_after_sales_order_fkey",
                        OrderAfterSales::Table,
                        OrderAfterSales::OrderId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "order_after_sales_order_idx",
            OrderAfterSales::Table,
            &["tenant_id", "order_id"],
            false,
        )
        .await?;
        index(
            manager,
            "order_after_sales_status_idx",
            OrderAfterSales::Table,
            &["tenant_id", "status", "created_at"],
            false,
        )
        .await?;
        index(
            manager,
            "order_after_sales_out_refund_no_key",
            OrderAfterSales::Table,
            &["tenant_id", "out_refund_no"],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderAfterSaleTransitions::Table)
                    .col(uuid(OrderAfterSaleTransitions::TenantId))
                    .col(uuid(OrderAfterSaleTransitions::Id))
                    .col(uuid(OrderAfterSaleTransitions::AfterSaleId))
                    .col(text_null(OrderAfterSaleTransitions::FromStatus))
                    .col(text(OrderAfterSaleTransitions::ToStatus))
                    .col(text(OrderAfterSaleTransitions::Actor))
                    .col(text(OrderAfterSaleTransitions::Reason))
                    .col(timestamp_with_time_zone(
                        OrderAfterSaleTransitions::CreatedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(OrderAfterSaleTransitions::TenantId)
                            .col(OrderAfterSaleTransitions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_after_sale_transitions_after_sale_fkey")
                            .from(
                                OrderAfterSaleTransitions::Table,
                                (
                                    OrderAfterSaleTransitions::TenantId,
                                    OrderAfterSaleTransitions::AfterSaleId,
                                ),
                            )
                            .to(
                                OrderAfterSales::Table,
                                (OrderAfterSales::TenantId, OrderAfterSales::Id),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "order_after_sale_transitions_after_sale_idx",
            OrderAfterSaleTransitions::Table,
            &["tenant_id", "after_sale_id"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderReviews::Table)
                    .col(uuid(OrderReviews::TenantId))
                    .col(uuid(OrderReviews::Id))
                    .col(uuid(OrderReviews::OrderId))
                    .col(text(OrderReviews::OrderNo))
                    .col(uuid(OrderReviews::OrderLineId))
                    .col(uuid(OrderReviews::CustomerId))
                    .col(uuid(OrderReviews::ProductId))
                    .col(uuid(OrderReviews::SkuId))
                    .col(text(OrderReviews::Title))
                    .col(text(OrderReviews::SpecText))
                    .col(small_integer(OrderReviews::Rating))
                    .col(text(OrderReviews::Body))
                    .col(json(OrderReviews::Photos))
                    .col(text_null(OrderReviews::Reply))
                    .col(timestamp_with_time_zone_null(OrderReviews::RepliedAt))
                    .col(timestamp_with_time_zone(OrderReviews::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderReviews::TenantId)
                            .col(OrderReviews::Id),
                    )
                    .foreign_key(&mut order_fkey(
                        "order_reviews_order_fkey",
                        OrderReviews::Table,
                        OrderReviews::OrderId,
                    ))
                    .foreign_key(&mut tenant_fkey(
                        "order_reviews_tenant_fkey",
                        OrderReviews::Table,
                        OrderReviews::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "order_reviews_line_key",
            OrderReviews::Table,
            &["tenant_id", "order_line_id"],
            true,
        )
        .await?;
        index(
            manager,
            "order_reviews_product_idx",
            OrderReviews::Table,
            &["tenant_id", "product_id", "created_at"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrderReviews::Table.into_iden(),
            OrderAfterSaleTransitions::Table.into_iden(),
            OrderAfterSales::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for (table, column) in [
            (Orders::Table.into_iden(), Orders::RefundedFen.into_iden()),
            (
                Orders::Table.into_iden(),
                Orders::RefundClaimedFen.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::AfterSaleQty.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
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
    RefundClaimedFen,
    RefundedFen,
}

#[derive(DeriveIden, Clone)]
enum OrderLines {
    Table,
    AfterSaleQty,
}

#[derive(DeriveIden, Clone)]
enum OrderAfterSales {
    Table,
    TenantId,
    Id,
    OrderId,
    OrderNo,
    CustomerId,
    Kind,
    Status,
    InitiatedBy,
    Reason,
    Photos,
    Lines,
    GoodsFen,
    FreightFen,
    AmountFen,
    RejectReason,
    ReturnCarrier,
    ReturnTrackingNo,
    RefundAttempt,
    OutRefundNo,
    RefundError,
    RefundedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderAfterSaleTransitions {
    Table,
    TenantId,
    Id,
    AfterSaleId,
    FromStatus,
    ToStatus,
    Actor,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum OrderReviews {
    Table,
    TenantId,
    Id,
    OrderId,
    OrderNo,
    OrderLineId,
    CustomerId,
    ProductId,
    SkuId,
    Title,
    SpecText,
    Rating,
    Body,
    Photos,
    Reply,
    RepliedAt,
    CreatedAt,
}
