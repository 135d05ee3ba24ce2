//! Products (SPU) with their spec attributes and SKUs: create, read, change, put on/off sale.

use kernel::{Page, PageRequest, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::categories::{category_row, required_qualification};
use super::stock::{StockChange, adjust_stock};
use super::{now, strings};
use crate::entity::{product, sku};
use crate::error::{CatalogError, Problems};
use crate::hot_cache::CatalogCache;
use crate::model::{NewProduct, Product, ProductChanges, ProductStatus, SpecAttribute};
use crate::parse::{self, ParsedProduct};
use crate::repo::scoped;

pub(crate) fn sku_from_row(row: sku::Model) -> crate::model::Sku {
    crate::model::Sku {
        id: row.id,
        product_id: row.product_id,
        spec_values: strings(&row.spec_values),
        price: row.price,
        list_price: row.list_price,
        stock: row.stock,
        merchant_code: row.merchant_code,
        barcode: row.barcode,
        low_stock_threshold: row.low_stock_threshold,
    }
}

pub(crate) fn specs_of(row: &product::Model) -> Vec<SpecAttribute> {
    serde_json::from_value(row.spec_attributes.clone()).unwrap_or_default()
}

pub(crate) fn status_of(row: &product::Model) -> ProductStatus {
    ProductStatus::parse(&row.status).unwrap_or(ProductStatus::Draft)
}

fn product_from_rows(row: product::Model, skus: Vec<sku::Model>) -> Product {
    Product {
        id: row.id,
        category_id: row.category_id,
        title: row.title.clone(),
        subtitle: row.subtitle.clone(),
        images: strings(&row.images),
        detail_html: row.detail_html.clone(),
        tags: strings(&row.tags),
        status: status_of(&row),
        sort_weight: row.sort_weight,
        shipping_weight_grams: row.shipping_weight_grams,
        qualification_number: row.qualification_number.clone(),
        show_exact_stock: row.show_exact_stock,
        specs: specs_of(&row),
        skus: skus.into_iter().map(sku_from_row).collect(),
        min_price: row.min_price,
        max_price: row.max_price,
        sales: row.sales,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(crate) async fn product_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<product::Model, CatalogError> {
    scoped(tenant)
        .products()
        .filter(product::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(CatalogError::ProductNotFound)
}

pub(crate) async fn sku_rows(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    product_ids: &[Uuid],
) -> Result<Vec<sku::Model>, CatalogError> {
    Ok(scoped(tenant)
        .skus()
        .filter(sku::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_asc(sku::Column::ProductId)
        .order_by_asc(sku::Column::Position)
        .all(db)
        .await?)
}

pub(crate) async fn load_product(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Product, CatalogError> {
    let row = product_row(db, tenant, id).await?;
    let skus = sku_rows(db, tenant, &[id]).await?;
    Ok(product_from_rows(row, skus))
}

/// The most products the shop's plan allows (read from the tenant context, cached).
pub(crate) async fn product_limit<C: ConnectionTrait>(
    db: &C,
    hot: &CatalogCache,
    tenant: TenantId,
) -> Result<i32, CatalogError> {
    Ok(tenant::tenant_context(db, hot.cache(), tenant)
        .await?
        .plan
        .max_products)
}

/// Called inside the writing transaction after the inserts, so the transaction writes first
/// (SQLite then waits for other writers instead of failing to upgrade a read): refuses, and so
/// rolls back, when the shop now has more products than its plan allows. Concurrent creations on
/// PostgreSQL may overshoot by the number of racing requests.
pub(crate) async fn ensure_within_plan<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    limit: i32,
) -> Result<(), CatalogError> {
    let existing = scoped(tenant).products().count(db).await?;
    if existing > u64::try_from(limit).unwrap_or(0) {
        return Err(CatalogError::PlanLimitReached { limit });
    }
    Ok(())
}

/// Inserts a parsed product, its SKUs and the opening stock entries of the ledger.
pub(crate) async fn insert_product(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    actor_id: Option<Uuid>,
    category_id: Uuid,
    parsed: ParsedProduct,
) -> Result<Uuid, CatalogError> {
    let now = now();
    let id = kernel::new_id();
    let min_price = parsed.skus.iter().map(|s| s.price).min().unwrap_or(0);
    let max_price = parsed.skus.iter().map(|s| s.price).max().unwrap_or(0);
    let row = product::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(id),
        category_id: Set(category_id),
        search_text: Set(parse::search_text(
            &parsed.title,
            &parsed.subtitle,
            &parsed.tags,
        )),
        tags_text: Set(parse::tags_text(&parsed.tags)),
        title: Set(parsed.title),
        subtitle: Set(parsed.subtitle),
        images: Set(serde_json::json!(parsed.images)),
        detail_html: Set(parsed.detail_html),
        tags: Set(serde_json::json!(parsed.tags)),
        spec_attributes: Set(serde_json::json!(parsed.specs)),
        status: Set(ProductStatus::Draft.as_str().to_owned()),
        sort_weight: Set(parsed.sort_weight),
        shipping_weight_grams: Set(parsed.shipping_weight_grams),
        qualification_number: Set(parsed.qualification_number),
        show_exact_stock: Set(parsed.show_exact_stock),
        min_price: Set(min_price),
        max_price: Set(max_price),
        sales: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    product::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    for (position, parsed_sku) in parsed.skus.into_iter().enumerate() {
        let sku_id = kernel::new_id();
        let opening_stock = parsed_sku.stock;
        let row = sku::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            id: Set(sku_id),
            product_id: Set(id),
            spec_values: Set(serde_json::json!(parsed_sku.spec_values)),
            combination_key: Set(parsed_sku.combination_key),
            price: Set(parsed_sku.price),
            list_price: Set(parsed_sku.list_price),
            stock: Set(0),
            merchant_code: Set(parsed_sku.merchant_code),
            barcode: Set(parsed_sku.barcode),
            low_stock_threshold: Set(parsed_sku.low_stock_threshold),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        sku::Entity::insert(row).exec_without_returning(db).await?;
        if opening_stock > 0 {
            adjust_stock(
                db,
                tenant,
                StockChange {
                    sku_id,
                    delta: opening_stock,
                    reason: "opening".to_owned(),
                    note: String::new(),
                    actor_id,
                },
            )
            .await?;
        }
    }
    Ok(id)
}

pub async fn create_product<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    input: &NewProduct,
) -> Result<Product, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    let parsed = parse::product(input)?;
    category_row(db, tenant, input.category_id).await?;
    let limit = product_limit(db, hot, tenant).await?;
    let txn = db.begin().await?;
    let id = insert_product(
        &txn,
        tenant,
        Some(principal.actor_id()),
        input.category_id,
        parsed,
    )
    .await?;
    ensure_within_plan(&txn, tenant, limit).await?;
    txn.commit().await?;
    hot.bump(tenant).await;
    tracing::info!(tenant.id = %tenant, product.id = %id, "product created");
    load_product(db, tenant, id).await
}

pub async fn get_product(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    id: Uuid,
) -> Result<Product, CatalogError> {
    principal.require(Permission::ViewCatalog)?;
    load_product(db, principal.tenant_id, id).await
}

/// The shop's products, newest first, with their SKUs.
pub async fn list_products(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    status: Option<ProductStatus>,
    page: &PageRequest,
) -> Result<Page<Product>, CatalogError> {
    principal.require(Permission::ViewCatalog)?;
    let tenant = principal.tenant_id;
    let mut query = scoped(tenant).products();
    if let Some(status) = status {
        query = query.filter(product::Column::Status.eq(status.as_str()));
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(product::Column::Id.lt(cursor));
    }
    let rows = query
        .order_by_desc(product::Column::Id)
        .limit(page.limit() + 1)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut skus = sku_rows(db, tenant, &ids).await?;
    let products = rows
        .into_iter()
        .map(|row| {
            let (own, rest): (Vec<_>, Vec<_>) =
                skus.drain(..).partition(|s| s.product_id == row.id);
            skus = rest;
            product_from_rows(row, own)
        })
        .collect();
    Ok(Page::from_rows(products, page.limit(), |p| p.id))
}

pub async fn update_product(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    id: Uuid,
    changes: &ProductChanges,
) -> Result<Product, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    let row = product_row(db, tenant, id).await?;
    let mut problems = Problems::default();
    let title = changes
        .title
        .as_deref()
        .and_then(|v| problems.take("title", parse::title(v)));
    let subtitle = changes
        .subtitle
        .as_deref()
        .and_then(|v| problems.take("subtitle", parse::subtitle(v)));
    let images = changes
        .images
        .as_deref()
        .and_then(|v| problems.take("images", parse::images(v)));
    let detail = changes
        .detail_html
        .as_deref()
        .and_then(|v| problems.take("detail_html", parse::detail_html(v)));
    let tags = changes
        .tags
        .as_deref()
        .and_then(|v| problems.take("tags", parse::tags(v)));
    let weight = changes
        .sort_weight
        .and_then(|v| problems.take("sort_weight", parse::sort_weight(v)));
    let grams = changes
        .shipping_weight_grams
        .and_then(|v| problems.take("shipping_weight_grams", parse::shipping_weight_grams(v)));
    let qualification_number = changes
        .qualification_number
        .as_deref()
        .and_then(|v| problems.take("qualification_number", parse::optional_code(Some(v))));
    if !problems.0.is_empty() {
        return Err(problems.into_error());
    }
    let category_id = changes.category_id.unwrap_or(row.category_id);
    if changes.category_id.is_some() {
        category_row(db, tenant, category_id).await?;
    }
    let number = qualification_number
        .clone()
        .unwrap_or(row.qualification_number.clone());
    if status_of(&row) == ProductStatus::OnSale {
        let required = required_qualification(db, tenant, category_id).await?;
        if !required.accepts(number.as_deref()) {
            return Err(CatalogError::QualificationRequired {
                what: required.describe(),
            });
        }
    }
    let new_title = title.clone().unwrap_or(row.title.clone());
    let new_subtitle = subtitle.clone().unwrap_or(row.subtitle.clone());
    let new_tags = tags.clone().unwrap_or_else(|| strings(&row.tags));
    let mut update = scoped(tenant)
        .update_products()
        .filter(product::Column::Id.eq(id))
        .col_expr(product::Column::CategoryId, Expr::value(category_id))
        .col_expr(product::Column::Title, Expr::value(new_title.clone()))
        .col_expr(product::Column::Subtitle, Expr::value(new_subtitle.clone()))
        .col_expr(
            product::Column::Tags,
            Expr::value(serde_json::json!(new_tags)),
        )
        .col_expr(
            product::Column::TagsText,
            Expr::value(parse::tags_text(&new_tags)),
        )
        .col_expr(
            product::Column::SearchText,
            Expr::value(parse::search_text(&new_title, &new_subtitle, &new_tags)),
        )
        .col_expr(product::Column::QualificationNumber, Expr::value(number))
        .col_expr(product::Column::UpdatedAt, Expr::value(now()));
    if let Some(images) = images {
        update = update.col_expr(
            product::Column::Images,
            Expr::value(serde_json::json!(images)),
        );
    }
    if let Some(detail) = detail {
        update = update.col_expr(product::Column::DetailHtml, Expr::value(detail));
    }
    if let Some(weight) = weight {
        update = update.col_expr(product::Column::SortWeight, Expr::value(weight));
    }
    if let Some(grams) = grams {
        update = update.col_expr(product::Column::ShippingWeightGrams, Expr::value(grams));
    }
    if let Some(show) = changes.show_exact_stock {
        update = update.col_expr(product::Column::ShowExactStock, Expr::value(show));
    }
    update.exec(db).await?;
    hot.bump(tenant).await;
    load_product(db, tenant, id).await
}
