//! The promo crate's tables: flash sales, their items (quantity set aside, units sold), each
//! customer's count per sale and each purchase (reserved or released); plus the order's source
//! (`orders.promo_activity_id`, nullable, so the previous release keeps working).

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

fn sale_fkey(
    name: &str,
    table: impl IntoIden + Clone,
    column: impl IntoIden + Clone,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table.clone(), (PromoFlashSales::TenantId, column))
        .to(
            PromoFlashSales::Table,
            (PromoFlashSales::TenantId, PromoFlashSales::Id),
        )
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
                    .table(PromoFlashSales::Table)
                    .col(uuid(PromoFlashSales::TenantId))
                    .col(uuid(PromoFlashSales::Id))
                    .col(text(PromoFlashSales::Title))
                    .col(timestamp_with_time_zone(PromoFlashSales::StartsAt))
                    .col(timestamp_with_time_zone(PromoFlashSales::EndsAt))
                    .col(big_integer(PromoFlashSales::PerCustomerLimit))
                    .col(timestamp_with_time_zone_null(PromoFlashSales::StoppedAt))
                    .col(timestamp_with_time_zone_null(PromoFlashSales::SettledAt))
                    .col(timestamp_with_time_zone(PromoFlashSales::CreatedAt))
                    .col(timestamp_with_time_zone(PromoFlashSales::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(PromoFlashSales::TenantId)
                            .col(PromoFlashSales::Id),
                    )
                    .foreign_key(&mut tenant_fkey(
                        "promo_flash_sales_tenant_fkey",
                        PromoFlashSales::Table,
                        PromoFlashSales::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "promo_flash_sales_settle_idx",
            PromoFlashSales::Table,
            &["settled_at", "ends_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromoFlashSaleItems::Table)
                    .col(uuid(PromoFlashSaleItems::TenantId))
                    .col(uuid(PromoFlashSaleItems::Id))
                    .col(uuid(PromoFlashSaleItems::FlashSaleId))
                    .col(uuid(PromoFlashSaleItems::SkuId))
                    .col(big_integer(PromoFlashSaleItems::SalePriceFen))
                    .col(big_integer(PromoFlashSaleItems::Quantity))
                    .col(big_integer(PromoFlashSaleItems::Sold))
                    .primary_key(
                        Index::create()
                            .col(PromoFlashSaleItems::TenantId)
                            .col(PromoFlashSaleItems::Id),
                    )
                    .foreign_key(&mut sale_fkey(
                        "promo_flash_sale_items_sale_fkey",
                        PromoFlashSaleItems::Table,
                        PromoFlashSaleItems::FlashSaleId,
                    ))
                    .check(Expr::col(PromoFlashSaleItems::Sold).gte(0))
                    .check(
                        Expr::col(PromoFlashSaleItems::Sold)
                            .lte(Expr::col(PromoFlashSaleItems::Quantity)),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "promo_flash_sale_items_sale_sku_key",
            PromoFlashSaleItems::Table,
            &["tenant_id", "flash_sale_id", "sku_id"],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromoCustomerCounts::Table)
                    .col(uuid(PromoCustomerCounts::TenantId))
                    .col(uuid(PromoCustomerCounts::FlashSaleId))
                    .col(uuid(PromoCustomerCounts::CustomerId))
                    .col(big_integer(PromoCustomerCounts::Bought))
                    .primary_key(
                        Index::create()
                            .col(PromoCustomerCounts::TenantId)
                            .col(PromoCustomerCounts::FlashSaleId)
                            .col(PromoCustomerCounts::CustomerId),
                    )
                    .foreign_key(&mut sale_fkey(
                        "promo_customer_counts_sale_fkey",
                        PromoCustomerCounts::Table,
                        PromoCustomerCounts::FlashSaleId,
                    ))
                    .check(Expr::col(PromoCustomerCounts::Bought).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromoPurchases::Table)
                    .col(uuid(PromoPurchases::TenantId))
                    .col(uuid(PromoPurchases::Id))
                    .col(uuid(PromoPurchases::FlashSaleId))
                    .col(uuid(PromoPurchases::SkuId))
                    .col(uuid(PromoPurchases::CustomerId))
                    .col(text(PromoPurchases::IdempotencyKey))
                    .col(text_null(PromoPurchases::OrderNo))
                    .col(big_integer(PromoPurchases::Quantity))
                    .col(text(PromoPurchases::State))
                    .col(timestamp_with_time_zone(PromoPurchases::CreatedAt))
                    .col(timestamp_with_time_zone_null(PromoPurchases::ReleasedAt))
                    .primary_key(
                        Index::create()
                            .col(PromoPurchases::TenantId)
                            .col(PromoPurchases::Id),
                    )
                    .foreign_key(&mut sale_fkey(
                        "promo_purchases_sale_fkey",
                        PromoPurchases::Table,
                        PromoPurchases::FlashSaleId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "promo_purchases_customer_key",
            PromoPurchases::Table,
            &["tenant_id", "customer_id", "idempotency_key"],
            true,
        )
        .await?;
        index(
            manager,
            "promo_purchases_order_idx",
            PromoPurchases::Table,
            &["tenant_id", "order_no"],
            false,
        )
        .await?;
        index(
            manager,
            "promo_purchases_sale_idx",
            PromoPurchases::Table,
            &["tenant_id", "flash_sale_id"],
            false,
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(uuid_null(Orders::PromoActivityId))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::PromoActivityId)
                    .to_owned(),
            )
            .await?;
        for table in [
            PromoPurchases::Table.into_iden(),
            PromoCustomerCounts::Table.into_iden(),
            PromoFlashSaleItems::Table.into_iden(),
            PromoFlashSales::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum PromoFlashSales {
    Table,
    TenantId,
    Id,
    Title,
    StartsAt,
    EndsAt,
    PerCustomerLimit,
    StoppedAt,
    SettledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum PromoFlashSaleItems {
    Table,
    TenantId,
    Id,
    FlashSaleId,
    SkuId,
    SalePriceFen,
    Quantity,
    Sold,
}

#[derive(DeriveIden, Clone)]
enum PromoCustomerCounts {
    Table,
    TenantId,
    FlashSaleId,
    CustomerId,
    Bought,
}

#[derive(DeriveIden, Clone)]
enum PromoPurchases {
    Table,
    TenantId,
    Id,
    FlashSaleId,
    SkuId,
    CustomerId,
    IdempotencyKey,
    OrderNo,
    Quantity,
    State,
    CreatedAt,
    ReleasedAt,
}

#[derive(DeriveIden, Clone)]
enum Orders {
    Table,
    PromoActivityId,
}
