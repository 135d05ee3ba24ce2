//! The product state machine, `draft` → `on_sale` ⇄ `off_shelf`, with the qualification gate on
//! going on sale; one product at a time or in batches.

use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::categories::required_qualification;
use super::now;
use super::products::{load_product, product_row, status_of};
use crate::entity::product;
use crate::error::CatalogError;
use crate::hot_cache::CatalogCache;
use crate::model::{BatchFailure, BatchStatusOutcome, Product, ProductStatus};
use crate::repo::scoped;

fn transition_allowed(from: ProductStatus, to: ProductStatus) -> bool {
    use ProductStatus::*;
    from == to
        || matches!(
            (from, to),
            (Draft, OnSale) | (OnSale, OffShelf) | (OffShelf, OnSale)
        )
}

/// Moves one product to `to`, enforcing the state machine and the qualification gate.
async fn change_status(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    to: ProductStatus,
) -> Result<(), CatalogError> {
    let row = product_row(db, tenant, id).await?;
    let from = status_of(&row);
    if !transition_allowed(from, to) {
        return Err(CatalogError::InvalidStatusTransition {
            from: from.as_str(),
            to: to.as_str(),
        });
    }
    if to == ProductStatus::OnSale {
        let required = required_qualification(db, tenant, row.category_id).await?;
        if !required.accepts(row.qualification_number.as_deref()) {
            return Err(CatalogError::QualificationRequired {
                what: required.describe(),
            });
        }
    }
    if from != to {
        scoped(tenant)
            .update_products()
            .filter(product::Column::Id.eq(id))
            .filter(product::Column::Status.eq(from.as_str()))
            .col_expr(product::Column::Status, Expr::value(to.as_str()))
            .col_expr(product::Column::UpdatedAt, Expr::value(now()))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub async fn set_product_status(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    id: Uuid,
    to: ProductStatus,
) -> Result<Product, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    change_status(db, tenant, id, to).await?;
    hot.bump(tenant).await;
    tracing::info!(tenant.id = %tenant, product.id = %id, product.status = to.as_str(), "product status changed");
    load_product(db, tenant, id).await
}

/// Puts many products on or off sale; each that cannot move is reported with its reason. Every
/// id must be one of the shop's products, or nothing changes.
pub async fn set_products_status(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    ids: &[Uuid],
    to: ProductStatus,
) -> Result<BatchStatusOutcome, CatalogError> {
    use kernel::ErrorCode;
    principal.require(Permission::ManageCatalog)?;
    if ids.is_empty() || ids.len() > 200 {
        return Err(CatalogError::invalid(
            "product_ids",
            "must name 1 to 200 products",
        ));
    }
    let tenant = principal.tenant_id;
    let known = scoped(tenant)
        .products()
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .count(db)
        .await?;
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if known != distinct.len() as u64 {
        return Err(CatalogError::ProductNotFound);
    }
    let mut outcome = BatchStatusOutcome {
        changed: Vec::new(),
        failed: Vec::new(),
    };
    for id in ids {
        match change_status(db, tenant, *id, to).await {
            Ok(()) => outcome.changed.push(*id),
            Err(CatalogError::Database(err)) => return Err(CatalogError::Database(err)),
            Err(error) => outcome.failed.push(BatchFailure {
                product_id: *id,
                code: error.code().to_owned(),
                message: error.to_string(),
            }),
        }
    }
    hot.bump(tenant).await;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_go_from_draft_to_sale_and_between_sale_and_shelf() {
        use ProductStatus::*;
        assert!(transition_allowed(Draft, OnSale));
        assert!(transition_allowed(OnSale, OffShelf));
        assert!(transition_allowed(OffShelf, OnSale));
        assert!(!transition_allowed(Draft, OffShelf));
        assert!(!transition_allowed(OnSale, Draft));
        assert!(!transition_allowed(OffShelf, Draft));
    }
}
