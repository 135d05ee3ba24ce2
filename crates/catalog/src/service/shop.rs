//! The mini-program side: what shoppers of one shop see. Only `on_sale` products of that shop,
//! served from the hot cache.

use std::collections::HashSet;

use kernel::TenantId;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::categories::all_categories;
use super::products::{sku_rows, specs_of};
use super::strings;
use crate::entity::{category, product};
use crate::error::CatalogError;
use crate::hot_cache::{CachedView, CatalogCache};
use crate::model::{
    CategoryNode, ProductSort, ProductStatus, ShopProductDetail, ShopProductPage, ShopProductQuery,
    ShopProductSummary, ShopSku, StockStatus,
};
use crate::parse;
use crate::repo::scoped;

/// The visible category tree (a hidden category hides its children too).
pub async fn shop_category_tree(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    tenant: TenantId,
) -> Result<Vec<CategoryNode>, CatalogError> {
    hot.read_through(tenant, CachedView::CategoryTree, &["all"], || async {
        let rows = all_categories(db, tenant).await?;
        Ok(children_of(None, &rows))
    })
    .await
}

fn children_of(parent: Option<Uuid>, rows: &[category::Model]) -> Vec<CategoryNode> {
    rows.iter()
        .filter(|row| row.parent_id == parent && row.visible)
        .map(|row| CategoryNode {
            id: row.id,
            name: row.name.clone(),
            children: children_of(Some(row.id), rows),
        })
        .collect()
}

fn descendants(root: Uuid, rows: &[category::Model]) -> Vec<Uuid> {
    let mut found = vec![root];
    let mut seen: HashSet<Uuid> = HashSet::from([root]);
    let mut index = 0;
    while index < found.len() {
        let parent = found[index];
        for row in rows.iter().filter(|row| row.parent_id == Some(parent)) {
            if seen.insert(row.id) {
                found.push(row.id);
            }
        }
        index += 1;
    }
    found
}

/// Where a list page starts: the sort key and id of the last item of the previous page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cursor {
    key: i64,
    id: Uuid,
}

impl Cursor {
    fn encode(self) -> String {
        format!("{}_{}", self.key, self.id.simple())
    }

    fn decode(text: &str) -> Result<Self, CatalogError> {
        let bad = || CatalogError::invalid("cursor", "is not a cursor from a previous page");
        let (key, id) = text.split_once('_').ok_or_else(bad)?;
        Ok(Cursor {
            key: key.parse().map_err(|_| bad())?,
            id: Uuid::parse_str(id).map_err(|_| bad())?,
        })
    }
}

/// The sort column and whether it descends; ties are broken by id, descending (newest first).
fn sort_column(sort: ProductSort) -> Option<(product::Column, bool)> {
    match sort {
        ProductSort::Default => Some((product::Column::SortWeight, true)),
        ProductSort::Sales => Some((product::Column::Sales, true)),
        ProductSort::PriceAsc => Some((product::Column::MinPrice, false)),
        ProductSort::PriceDesc => Some((product::Column::MinPrice, true)),
        ProductSort::Newest => None,
    }
}

fn sort_key(row: &product::Model, sort: ProductSort) -> i64 {
    match sort {
        ProductSort::Default => i64::from(row.sort_weight),
        ProductSort::Sales => row.sales,
        ProductSort::PriceAsc | ProductSort::PriceDesc => row.min_price,
        ProductSort::Newest => 0,
    }
}

fn summary(row: &product::Model) -> ShopProductSummary {
    ShopProductSummary {
        id: row.id,
        title: row.title.clone(),
        subtitle: row.subtitle.clone(),
        cover_image: strings(&row.images).into_iter().next(),
        tags: strings(&row.tags),
        min_price: row.min_price,
        max_price: row.max_price,
        sales: row.sales,
    }
}

fn list_cache_parts(query: &ShopProductQuery, sort: ProductSort, limit: u64) -> Vec<String> {
    vec![
        sort.as_str().to_owned(),
        query
            .category_id
            .map(|id| id.simple().to_string())
            .unwrap_or_default(),
        query.tag.clone().unwrap_or_default(),
        query.q.clone().unwrap_or_default().to_lowercase(),
        query.cursor.clone().unwrap_or_default(),
        limit.to_string(),
    ]
}

/// A page of on-sale products, filtered by category (and its children), tag or keyword.
pub async fn shop_product_list(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    tenant: TenantId,
    query: &ShopProductQuery,
) -> Result<ShopProductPage, CatalogError> {
    if query.q.as_deref().is_some_and(|q| q.chars().count() > 50) {
        return Err(CatalogError::invalid("q", "must be at most 50 characters"));
    }
    if query.tag.as_deref().is_some_and(|t| t.chars().count() > 10) {
        return Err(CatalogError::invalid(
            "tag",
            "must be at most 10 characters",
        ));
    }
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let sort = query.sort.unwrap_or(ProductSort::Default);
    let limit = query.limit.unwrap_or(20).clamp(1, 50);
    let parts = list_cache_parts(query, sort, limit);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    hot.read_through(tenant, CachedView::ProductList, &parts, || {
        load_product_page(db, tenant, query, sort, cursor, limit)
    })
    .await
}

async fn load_product_page(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    query: &ShopProductQuery,
    sort: ProductSort,
    cursor: Option<Cursor>,
    limit: u64,
) -> Result<ShopProductPage, CatalogError> {
    let mut select = scoped(tenant)
        .products()
        .filter(product::Column::Status.eq(ProductStatus::OnSale.as_str()));
    if let Some(category_id) = query.category_id {
        let rows = all_categories(db, tenant).await?;
        select = select.filter(product::Column::CategoryId.is_in(descendants(category_id, &rows)));
    }
    if let Some(tag) = query
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%|{}|%", parse::like_literal(tag));
        select = select
            .filter(Expr::col(product::Column::TagsText).like(LikeExpr::new(pattern).escape('\\')));
    }
    if let Some(keyword) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", parse::like_literal(&keyword.to_lowercase()));
        select = select.filter(
            Expr::col(product::Column::SearchText).like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    let column = sort_column(sort);
    if let Some(cursor) = cursor {
        let after = match column {
            None => Condition::all().add(product::Column::Id.lt(cursor.id)),
            Some((column, descending)) => {
                let past = if descending {
                    Expr::col(column).lt(cursor.key)
                } else {
                    Expr::col(column).gt(cursor.key)
                };
                Condition::any().add(past).add(
                    Condition::all()
                        .add(Expr::col(column).eq(Expr::value(cursor.key)))
                        .add(product::Column::Id.lt(cursor.id)),
                )
            }
        };
        select = select.filter(after);
    }
    if let Some((column, descending)) = column {
        select = if descending {
            select.order_by_desc(column)
        } else {
            select.order_by_asc(column)
        };
    }
    let rows = select
        .order_by_desc(product::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > limit;
    let rows: Vec<_> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(50))
        .collect();
    let next_cursor = if has_more {
        rows.last().map(|row| {
            Cursor {
                key: sort_key(row, sort),
                id: row.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(ShopProductPage {
        items: rows.iter().map(summary).collect(),
        next_cursor,
    })
}

pub fn stock_status(stock: i64, threshold: i64) -> StockStatus {
    if stock <= 0 {
        StockStatus::SoldOut
    } else if stock <= threshold {
        StockStatus::Low
    } else {
        StockStatus::InStock
    }
}

/// An on-sale product with its specs, SKUs, price range and stock status.
pub async fn shop_product_detail(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    tenant: TenantId,
    id: Uuid,
) -> Result<ShopProductDetail, CatalogError> {
    let id_text = id.simple().to_string();
    let detail = hot
        .read_through(tenant, CachedView::ProductDetail, &[&id_text], || {
            load_product_detail(db, tenant, id)
        })
        .await?;
    detail.ok_or(CatalogError::ProductNotFound)
}

async fn load_product_detail(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ShopProductDetail>, CatalogError> {
    let row = scoped(tenant)
        .products()
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::Status.eq(ProductStatus::OnSale.as_str()))
        .one(db)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let skus: Vec<ShopSku> = sku_rows(db, tenant, &[id])
        .await?
        .into_iter()
        .map(|sku| ShopSku {
            id: sku.id,
            spec_values: strings(&sku.spec_values),
            price: sku.price,
            list_price: sku.list_price,
            stock_status: stock_status(sku.stock, sku.low_stock_threshold),
            stock: row.show_exact_stock.then_some(sku.stock),
        })
        .collect();
    let overall = [StockStatus::InStock, StockStatus::Low]
        .into_iter()
        .find(|status| skus.iter().any(|sku| sku.stock_status == *status))
        .unwrap_or(StockStatus::SoldOut);
    Ok(Some(ShopProductDetail {
        id: row.id,
        category_id: row.category_id,
        title: row.title.clone(),
        subtitle: row.subtitle.clone(),
        images: strings(&row.images),
        detail_html: row.detail_html.clone(),
        tags: strings(&row.tags),
        specs: specs_of(&row),
        skus,
        min_price: row.min_price,
        max_price: row.max_price,
        sales: row.sales,
        stock_status: overall,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            key: -42,
            id: kernel::new_id(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        assert!(Cursor::decode("nonsense").is_err());
        assert!(Cursor::decode("12_not-a-uuid").is_err());
    }

    #[test]
    fn stock_shows_as_in_stock_low_or_sold_out() {
        assert_eq!(stock_status(0, 5), StockStatus::SoldOut);
        assert_eq!(stock_status(5, 5), StockStatus::Low);
        assert_eq!(stock_status(6, 5), StockStatus::InStock);
        assert_eq!(stock_status(1, 0), StockStatus::InStock);
    }
}
