//! The catalog: categories, products (SPU), SKUs, the stock ledger and low-stock alert events.
//! Every table has `tenant_id NOT NULL` first in its primary key, in every unique index and in
//! every foreign key between tenant tables.

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

fn tenant_index(
    name: &str,
    table: impl IntoIden,
    columns: &[&str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).col(Alias::new("tenant_id"));
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogCategories::Table)
                    .col(uuid(CatalogCategories::TenantId))
                    .col(uuid(CatalogCategories::Id))
                    .col(uuid_null(CatalogCategories::ParentId))
                    .col(text(CatalogCategories::Name))
                    .col(integer(CatalogCategories::Depth))
                    .col(integer(CatalogCategories::SortOrder))
                    .col(boolean(CatalogCategories::Visible))
                    .col(text(CatalogCategories::Qualification))
                    .col(timestamp_with_time_zone(CatalogCategories::CreatedAt))
                    .col(timestamp_with_time_zone(CatalogCategories::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CatalogCategories::TenantId)
                            .col(CatalogCategories::Id),
                    )
                    .foreign_key(&mut belongs_to_tenant(
                        CatalogCategories::Table.into_table_ref(),
                        "catalog_categories_tenant_fkey",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("catalog_categories_parent_fkey")
                            .from(
                                CatalogCategories::Table,
                                (CatalogCategories::TenantId, CatalogCategories::ParentId),
                            )
                            .to(
                                CatalogCategories::Table,
                                (CatalogCategories::TenantId, CatalogCategories::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CatalogProducts::Table)
                    .col(uuid(CatalogProducts::TenantId))
                    .col(uuid(CatalogProducts::Id))
                    .col(uuid(CatalogProducts::CategoryId))
                    .col(text(CatalogProducts::Title))
                    .col(text(CatalogProducts::Subtitle))
                    .col(json(CatalogProducts::Images))
                    .col(text(CatalogProducts::DetailHtml))
                    .col(json(CatalogProducts::Tags))
                    .col(text(CatalogProducts::TagsText))
                    .col(text(CatalogProducts::SearchText))
                    .col(json(CatalogProducts::SpecAttributes))
                    .col(text(CatalogProducts::Status))
                    .col(integer(CatalogProducts::SortWeight))
                    .col(integer(CatalogProducts::ShippingWeightGrams))
                    .col(text_null(CatalogProducts::QualificationNumber))
                    .col(boolean(CatalogProducts::ShowExactStock))
                    .col(big_integer(CatalogProducts::MinPrice))
                    .col(big_integer(CatalogProducts::MaxPrice))
                    .col(big_integer(CatalogProducts::Sales))
                    .col(timestamp_with_time_zone(CatalogProducts::CreatedAt))
                    .col(timestamp_with_time_zone(CatalogProducts::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CatalogProducts::TenantId)
                            .col(CatalogProducts::Id),
                    )
                    .foreign_key(&mut belongs_to_tenant(
                        CatalogProducts::Table.into_table_ref(),
                        "catalog_products_tenant_fkey",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("catalog_products_category_fkey")
                            .from(
                                CatalogProducts::Table,
                                (CatalogProducts::TenantId, CatalogProducts::CategoryId),
                            )
                            .to(
                                CatalogCategories::Table,
                                (CatalogCategories::TenantId, CatalogCategories::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "catalog_products_listing_idx",
                &["status", "sort_weight", "id"][..],
            ),
            (
                "catalog_products_category_idx",
                &["category_id", "status"][..],
            ),
        ] {
            manager
                .create_index(tenant_index(name, CatalogProducts::Table, columns, false))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CatalogSkus::Table)
                    .col(uuid(CatalogSkus::TenantId))
                    .col(uuid(CatalogSkus::Id))
                    .col(uuid(CatalogSkus::ProductId))
                    .col(json(CatalogSkus::SpecValues))
                    .col(text(CatalogSkus::CombinationKey))
                    .col(big_integer(CatalogSkus::Price))
                    .col(big_integer_null(CatalogSkus::ListPrice))
                    .col(big_integer(CatalogSkus::Stock))
                    .col(text_null(CatalogSkus::MerchantCode))
                    .col(text_null(CatalogSkus::Barcode))
                    .col(big_integer(CatalogSkus::LowStockThreshold))
                    .col(integer(CatalogSkus::Position))
                    .col(timestamp_with_time_zone(CatalogSkus::CreatedAt))
                    .col(timestamp_with_time_zone(CatalogSkus::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CatalogSkus::TenantId)
                            .col(CatalogSkus::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("catalog_skus_product_fkey")
                            .from(
                                CatalogSkus::Table,
                                (CatalogSkus::TenantId, CatalogSkus::ProductId),
                            )
                            .to(
                                CatalogProducts::Table,
                                (CatalogProducts::TenantId, CatalogProducts::Id),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Expr::col(CatalogSkus::Stock).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_index(
                "catalog_skus_combination_key",
                CatalogSkus::Table,
                &["product_id", "combination_key"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CatalogStockAdjustments::Table)
                    .col(uuid(CatalogStockAdjustments::TenantId))
                    .col(uuid(CatalogStockAdjustments::Id))
                    .col(uuid(CatalogStockAdjustments::SkuId))
                    .col(uuid(CatalogStockAdjustments::ProductId))
                    .col(big_integer(CatalogStockAdjustments::Delta))
                    .col(big_integer(CatalogStockAdjustments::ResultingStock))
                    .col(text(CatalogStockAdjustments::Reason))
                    .col(text(CatalogStockAdjustments::Note))
                    .col(uuid_null(CatalogStockAdjustments::ActorId))
                    .col(timestamp_with_time_zone(CatalogStockAdjustments::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CatalogStockAdjustments::TenantId)
                            .col(CatalogStockAdjustments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("catalog_stock_adjustments_sku_fkey")
                            .from(
                                CatalogStockAdjustments::Table,
                                (
                                    CatalogStockAdjustments::TenantId,
                                    CatalogStockAdjustments::SkuId,
                                ),
                            )
                            .to(CatalogSkus::Table, (CatalogSkus::TenantId, CatalogSkus::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_index(
                "catalog_stock_adjustments_sku_idx",
                CatalogStockAdjustments::Table,
                &["sku_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CatalogLowStockAlerts::Table)
                    .col(uuid(CatalogLowStockAlerts::TenantId))
                    .col(uuid(CatalogLowStockAlerts::Id))
                    .col(uuid(CatalogLowStockAlerts::SkuId))
                    .col(uuid(CatalogLowStockAlerts::ProductId))
                    .col(big_integer(CatalogLowStockAlerts::Stock))
                    .col(big_integer(CatalogLowStockAlerts::Threshold))
                    .col(timestamp_with_time_zone(CatalogLowStockAlerts::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        CatalogLowStockAlerts::ConsumedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(CatalogLowStockAlerts::TenantId)
                            .col(CatalogLowStockAlerts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("catalog_low_stock_alerts_sku_fkey")
                            .from(
                                CatalogLowStockAlerts::Table,
                                (
                                    CatalogLowStockAlerts::TenantId,
                                    CatalogLowStockAlerts::SkuId,
                                ),
                            )
                            .to(CatalogSkus::Table, (CatalogSkus::TenantId, CatalogSkus::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CatalogLowStockAlerts::Table.into_iden(),
            CatalogStockAdjustments::Table.into_iden(),
            CatalogSkus::Table.into_iden(),
            CatalogProducts::Table.into_iden(),
            CatalogCategories::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CatalogCategories {
    Table,
    TenantId,
    Id,
    ParentId,
    Name,
    Depth,
    SortOrder,
    Visible,
    Qualification,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CatalogProducts {
    Table,
    TenantId,
    Id,
    CategoryId,
    Title,
    Subtitle,
    Images,
    DetailHtml,
    Tags,
    TagsText,
    SearchText,
    SpecAttributes,
    Status,
    SortWeight,
    ShippingWeightGrams,
    QualificationNumber,
    ShowExactStock,
    MinPrice,
    MaxPrice,
    Sales,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CatalogSkus {
    Table,
    TenantId,
    Id,
    ProductId,
    SpecValues,
    CombinationKey,
    Price,
    ListPrice,
    Stock,
    MerchantCode,
    Barcode,
    LowStockThreshold,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CatalogStockAdjustments {
    Table,
    TenantId,
    Id,
    SkuId,
    ProductId,
    Delta,
    ResultingStock,
    Reason,
    Note,
    ActorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CatalogLowStockAlerts {
    Table,
    TenantId,
    Id,
    SkuId,
    ProductId,
    Stock,
    Threshold,
    CreatedAt,
    ConsumedAt,
}
