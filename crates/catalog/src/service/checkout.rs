//! What the order crate needs to price and check a cart: each SKU with its product's title,
//! status, weight and first image.

use kernel::TenantId;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::strings;
use crate::entity::{product, sku};
use crate::error::CatalogError;
use crate::model::ProductStatus;
use crate::repo::scoped;

/// A SKU as checkout sees it. Unknown SKUs (or another shop's) are simply absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutSku {
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    /// The spec values joined with " / " (empty for a product without specs).
    pub spec_text: String,
    pub price: i64,
    pub stock: i64,
    /// The product is on sale.
    pub on_sale: bool,
    pub weight_grams: i64,
    pub image: String,
}

/// The SKUs of `sku_ids` that exist in this shop, with their product.
pub async fn skus_for_checkout(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    sku_ids: &[Uuid],
) -> Result<Vec<CheckoutSku>, CatalogError> {
    if sku_ids.is_empty() {
        return Ok(Vec::new());
    }
    let skus = scoped(tenant)
        .skus()
        .filter(sku::Column::Id.is_in(sku_ids.iter().copied()))
        .all(db)
        .await?;
    let product_ids: Vec<Uuid> = skus.iter().map(|row| row.product_id).collect();
    let products = scoped(tenant)
        .products()
        .filter(product::Column::Id.is_in(product_ids))
        .all(db)
        .await?;
    Ok(skus
        .into_iter()
        .filter_map(|row| {
            let product = products.iter().find(|p| p.id == row.product_id)?;
            Some(CheckoutSku {
                sku_id: row.id,
                product_id: row.product_id,
                title: product.title.clone(),
                spec_text: strings(&row.spec_values).join(" / "),
                price: row.price,
                stock: row.stock,
                on_sale: product.status == ProductStatus::OnSale.as_str(),
                weight_grams: i64::from(product.shipping_weight_grams),
                image: strings(&product.images)
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
            })
        })
        .collect())
}
