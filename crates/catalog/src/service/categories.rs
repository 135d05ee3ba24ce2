//! The category tree: two or three levels, ordered, shown or hidden, some needing a qualification.

use kernel::TenantId;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::now;
use crate::entity::category;
use crate::error::{CatalogError, Problems};
use crate::hot_cache::CatalogCache;
use crate::model::{Category, CategoryChanges, NewCategory, Qualification};
use crate::parse;
use crate::repo::scoped;

pub const MAX_DEPTH: i32 = 3;

pub(crate) fn category_from_row(row: category::Model) -> Category {
    Category {
        id: row.id,
        parent_id: row.parent_id,
        name: row.name,
        depth: row.depth,
        sort_order: row.sort_order,
        visible: row.visible,
        qualification: Qualification::parse(&row.qualification).unwrap_or(Qualification::None),
        updated_at: row.updated_at,
    }
}

pub(crate) async fn category_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<category::Model, CatalogError> {
    scoped(tenant)
        .categories()
        .filter(category::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(CatalogError::CategoryNotFound)
}

/// All of the tenant's categories, parents before children, each level in display order.
pub(crate) async fn all_categories(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<category::Model>, CatalogError> {
    Ok(scoped(tenant)
        .categories()
        .order_by_asc(category::Column::Depth)
        .order_by_asc(category::Column::SortOrder)
        .order_by_asc(category::Column::Id)
        .all(db)
        .await?)
}

/// The strictest qualification of the category and its ancestors.
pub(crate) async fn required_qualification(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    category_id: Uuid,
) -> Result<Qualification, CatalogError> {
    let mut required = Qualification::None;
    let mut next = Some(category_id);
    for _ in 0..MAX_DEPTH {
        let Some(id) = next else { break };
        let row = category_row(db, tenant, id).await?;
        let own = Qualification::parse(&row.qualification).unwrap_or(Qualification::None);
        if own != Qualification::None {
            required = own;
        }
        next = row.parent_id;
    }
    Ok(required)
}

pub async fn list_categories(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<Vec<Category>, CatalogError> {
    principal.require(Permission::ViewCatalog)?;
    let rows = all_categories(db, principal.tenant_id).await?;
    Ok(rows.into_iter().map(category_from_row).collect())
}

pub async fn create_category(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    input: &NewCategory,
) -> Result<Category, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    let mut problems = Problems::default();
    let name = problems.take("name", parse::category_name(&input.name));
    let sort_order = problems.take("sort_order", parse::sort_weight(input.sort_order));
    let (Some(name), Some(sort_order)) = (name, sort_order) else {
        return Err(problems.into_error());
    };
    let depth = match input.parent_id {
        None => 1,
        Some(parent) => category_row(db, tenant, parent).await?.depth + 1,
    };
    if depth > MAX_DEPTH {
        return Err(CatalogError::CategoryTooDeep);
    }
    let now = now();
    let row = category::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        parent_id: Set(input.parent_id),
        name: Set(name),
        depth: Set(depth),
        sort_order: Set(sort_order),
        visible: Set(input.visible),
        qualification: Set(input
            .qualification
            .unwrap_or(Qualification::None)
            .as_str()
            .to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let row = category::Entity::insert(row)
        .exec_with_returning(db)
        .await?;
    hot.bump(tenant).await;
    tracing::info!(tenant.id = %tenant, category.id = %row.id, "category created");
    Ok(category_from_row(row))
}

pub async fn update_category(
    db: &impl ConnectionTrait,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    id: Uuid,
    changes: &CategoryChanges,
) -> Result<Category, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    let row = category_row(db, tenant, id).await?;
    let mut problems = Problems::default();
    let name = changes
        .name
        .as_deref()
        .and_then(|name| problems.take("name", parse::category_name(name)));
    let sort_order = changes
        .sort_order
        .and_then(|order| problems.take("sort_order", parse::sort_weight(order)));
    if !problems.0.is_empty() {
        return Err(problems.into_error());
    }
    let mut update = scoped(tenant)
        .update_categories()
        .filter(category::Column::Id.eq(row.id))
        .col_expr(category::Column::UpdatedAt, now().into());
    if let Some(name) = name {
        update = update.col_expr(category::Column::Name, name.into());
    }
    if let Some(order) = sort_order {
        update = update.col_expr(category::Column::SortOrder, order.into());
    }
    if let Some(visible) = changes.visible {
        update = update.col_expr(category::Column::Visible, visible.into());
    }
    if let Some(qualification) = changes.qualification {
        update = update.col_expr(
            category::Column::Qualification,
            qualification.as_str().into(),
        );
    }
    update.exec(db).await?;
    hot.bump(tenant).await;
    Ok(category_from_row(category_row(db, tenant, id).await?))
}
