//! The customer's cart: one line per SKU. The view re-checks every line against the catalog.

use customer::CustomerPrincipal;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::{now, parse};
use crate::entity::cart_line;
use crate::error::OrderError;
use crate::model::{CartLine, CartView, LineNotice};
use crate::repo::scoped;

pub const MAX_CART_LINES: usize = 100;

/// Adds `quantity` of a SKU on sale (added to the line if the SKU is already in the cart).
pub async fn add_cart_line(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    sku_id: Uuid,
    quantity: i64,
) -> Result<CartView, OrderError> {
    let tenant = principal.tenant_id;
    let quantity = parse::quantity("quantity", quantity)?;
    let sku = catalog::skus_for_checkout(db, tenant, &[sku_id])
        .await?
        .into_iter()
        .next()
        .ok_or(OrderError::SkuNotFound(sku_id))?;
    if !sku.on_sale {
        return Err(OrderError::SkuNotOnSale(sku_id));
    }
    let existing = scoped(tenant)
        .cart_lines()
        .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
        .filter(cart_line::Column::SkuId.eq(sku_id))
        .one(db)
        .await?;
    match existing {
        Some(line) => {
            let total = parse::quantity("quantity", line.quantity + quantity)?;
            set_quantity(db, principal, line.id, total, sku.price).await?;
        }
        None => {
            let count = scoped(tenant)
                .cart_lines()
                .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
                .count(db)
                .await?;
            if count as usize >= MAX_CART_LINES {
                return Err(OrderError::CartFull(MAX_CART_LINES));
            }
            let now = now();
            cart_line::Entity::insert(cart_line::ActiveModel {
                tenant_id: Set(tenant.as_uuid()),
                id: Set(kernel::new_id()),
                customer_id: Set(principal.customer_id),
                sku_id: Set(sku_id),
                quantity: Set(quantity),
                seen_price: Set(sku.price),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    cart_line::Column::TenantId,
                    cart_line::Column::CustomerId,
                    cart_line::Column::SkuId,
                ])
                .update_column(cart_line::Column::Quantity)
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    view_cart(db, principal).await
}

async fn set_quantity(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    line_id: Uuid,
    quantity: i64,
    seen_price: i64,
) -> Result<(), OrderError> {
    let updated = scoped(principal.tenant_id)
        .update_cart_lines()
        .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
        .filter(cart_line::Column::Id.eq(line_id))
        .col_expr(cart_line::Column::Quantity, Expr::value(quantity))
        .col_expr(cart_line::Column::SeenPrice, Expr::value(seen_price))
        .col_expr(cart_line::Column::UpdatedAt, Expr::value(now()))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(OrderError::CartLineNotFound);
    }
    Ok(())
}

/// Sets a line's quantity (1..=999).
pub async fn set_cart_line_quantity(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    line_id: Uuid,
    quantity: i64,
) -> Result<CartView, OrderError> {
    let quantity = parse::quantity("quantity", quantity)?;
    let line = scoped(principal.tenant_id)
        .cart_lines()
        .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
        .filter(cart_line::Column::Id.eq(line_id))
        .one(db)
        .await?
        .ok_or(OrderError::CartLineNotFound)?;
    set_quantity(db, principal, line_id, quantity, line.seen_price).await?;
    view_cart(db, principal).await
}

pub async fn remove_cart_line(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    line_id: Uuid,
) -> Result<CartView, OrderError> {
    let deleted = scoped(principal.tenant_id)
        .delete_cart_lines()
        .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
        .filter(cart_line::Column::Id.eq(line_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(OrderError::CartLineNotFound);
    }
    view_cart(db, principal).await
}

/// The cart, each line checked against the current price, stock and status.
pub async fn view_cart(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
) -> Result<CartView, OrderError> {
    let tenant = principal.tenant_id;
    let rows = scoped(tenant)
        .cart_lines()
        .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
        .order_by_asc(cart_line::Column::CreatedAt)
        .order_by_asc(cart_line::Column::Id)
        .all(db)
        .await?;
    let sku_ids: Vec<Uuid> = rows.iter().map(|row| row.sku_id).collect();
    let skus = catalog::skus_for_checkout(db, tenant, &sku_ids).await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        let line = match skus.iter().find(|sku| sku.sku_id == row.sku_id) {
            None => CartLine {
                id: row.id,
                sku_id: row.sku_id,
                quantity: row.quantity,
                product_id: None,
                title: String::new(),
                spec_text: String::new(),
                image: String::new(),
                unit_price: 0,
                line_total: 0,
                available: false,
                notices: vec![LineNotice::Gone],
            },
            Some(sku) => {
                let mut notices = Vec::new();
                if sku.price != row.seen_price {
                    notices.push(LineNotice::PriceChanged {
                        was: row.seen_price,
                        now: sku.price,
                    });
                }
                if !sku.on_sale {
                    notices.push(LineNotice::OffShelf);
                }
                if sku.stock < row.quantity {
                    notices.push(LineNotice::NotEnoughStock {
                        available: sku.stock,
                    });
                }
                let available = sku.on_sale && sku.stock >= row.quantity;
                CartLine {
                    id: row.id,
                    sku_id: row.sku_id,
                    quantity: row.quantity,
                    product_id: Some(sku.product_id),
                    title: sku.title.clone(),
                    spec_text: sku.spec_text.clone(),
                    image: sku.image.clone(),
                    unit_price: sku.price,
                    line_total: sku.price * row.quantity,
                    available,
                    notices,
                }
            }
        };
        lines.push(line);
    }
    let goods_total = lines
        .iter()
        .filter(|line| line.available)
        .map(|line| line.line_total)
        .sum();
    Ok(CartView { lines, goods_total })
}
