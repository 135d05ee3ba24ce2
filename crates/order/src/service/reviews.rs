//! Reviews: once an order is completed, the customer reviews each line once (rating 1–5, text
//! ≤ 500 characters, ≤ 9 photos); the merchant replies once (no editing: a reply is what the
//! customer saw); the reply rate against the seed's > 90% target; a product's reviews for
//! shoppers, from the rows' own `product_id` snapshot.

use customer::CustomerPrincipal;
use kernel::{FieldError, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::after_sales::{parse_photos, parse_text};
use super::lifecycle::{customer_order_row, status_of};
use super::now;
use crate::after_sales_model::{Review, ReviewFilter, ReviewIn, ReviewReplyIn, ReviewStats};
use crate::entity::{order_line, review};
use crate::error::OrderError;
use crate::model::OrderStatus;
use crate::repo::scoped;

/// The target: more than 90% of reviews replied, in basis points.
const TARGET_BP: i64 = 9_000;

fn view_of(row: review::Model, with_order: bool) -> Review {
    Review {
        id: row.id,
        order_no: with_order.then_some(row.order_no),
        product_id: row.product_id,
        sku_id: row.sku_id,
        title: row.title,
        spec_text: row.spec_text,
        rating: i64::from(row.rating),
        text: row.body,
        photos: serde_json::from_value(row.photos).unwrap_or_default(),
        reply: row.reply,
        replied_at: row.replied_at,
        created_at: row.created_at,
    }
}

fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// The customer reviews one line of a completed order of theirs; each line once (the unique
/// index `(tenant_id, order_line_id)` settles concurrent attempts).
pub async fn review_order_line(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    order_no: &str,
    input: &ReviewIn,
) -> Result<Review, OrderError> {
    let mut problems = Vec::new();
    if !(1..=5).contains(&input.rating) {
        problems.push(FieldError::new("rating", "1 to 5"));
    }
    let text = parse_text("text", &input.text, 500, false, &mut problems);
    let photos = parse_photos(&input.photos, &mut problems);
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }
    let tenant = principal.tenant_id;
    let order = customer_order_row(db, principal, order_no).await?;
    if status_of(&order.status) != OrderStatus::Completed {
        return Err(OrderError::ReviewNotAllowed);
    }
    let line = scoped(tenant)
        .order_lines()
        .filter(order_line::Column::OrderId.eq(order.id))
        .filter(order_line::Column::SkuId.eq(input.sku_id))
        .one(db)
        .await?
        .ok_or_else(|| OrderError::invalid("sku_id", "not a line of this order"))?;
    let row = review::Model {
        tenant_id: tenant.as_uuid(),
        id: kernel::new_id(),
        order_id: order.id,
        order_no: order.order_no.clone(),
        order_line_id: line.id,
        customer_id: principal.customer_id,
        product_id: line.product_id,
        sku_id: line.sku_id,
        title: line.title,
        spec_text: line.spec_text,
        rating: i16::try_from(input.rating).unwrap_or(5),
        body: text,
        photos: serde_json::to_value(&photos).unwrap_or_default(),
        reply: None,
        replied_at: None,
        created_at: now(),
    };
    let active = review::ActiveModel {
        tenant_id: Set(row.tenant_id),
        id: Set(row.id),
        order_id: Set(row.order_id),
        order_no: Set(row.order_no.clone()),
        order_line_id: Set(row.order_line_id),
        customer_id: Set(row.customer_id),
        product_id: Set(row.product_id),
        sku_id: Set(row.sku_id),
        title: Set(row.title.clone()),
        spec_text: Set(row.spec_text.clone()),
        rating: Set(row.rating),
        body: Set(row.body.clone()),
        photos: Set(row.photos.clone()),
        reply: Set(None),
        replied_at: Set(None),
        created_at: Set(row.created_at),
    };
    match review::Entity::insert(active)
        .exec_without_returning(db)
        .await
    {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Err(OrderError::ReviewExists),
        Err(error) => return Err(error.into()),
    }
    Ok(view_of(row, true))
}

/// The shop's reviews, newest first (at most 200), optionally only replied or unreplied ones.
pub async fn list_reviews(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    filter: &ReviewFilter,
) -> Result<Vec<Review>, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(OrderError::Tenant)?;
    let mut query = scoped(principal.tenant_id).reviews();
    match filter.replied {
        Some(true) => query = query.filter(review::Column::Reply.is_not_null()),
        Some(false) => query = query.filter(review::Column::Reply.is_null()),
        None => {}
    }
    Ok(query
        .order_by_desc(review::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|row| view_of(row, true))
        .collect())
}

/// The merchant replies to a review, once: the conditional update (`… WHERE reply IS NULL`)
/// refuses a second reply, even a concurrent one.
pub async fn reply_to_review(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    id: Uuid,
    input: &ReviewReplyIn,
) -> Result<Review, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(OrderError::Tenant)?;
    let mut problems = Vec::new();
    let text = parse_text("text", &input.text, 500, true, &mut problems);
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }
    let scope = scoped(principal.tenant_id);
    let found = scope
        .reviews()
        .filter(review::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(OrderError::ReviewNotFound)?;
    let replied = scope
        .update_reviews()
        .filter(review::Column::Id.eq(found.id))
        .filter(review::Column::Reply.is_null())
        .col_expr(review::Column::Reply, Expr::value(Some(text)))
        .col_expr(review::Column::RepliedAt, Expr::value(Some(now())))
        .exec(db)
        .await?;
    if replied.rows_affected != 1 {
        return Err(OrderError::ReviewAlreadyReplied);
    }
    let row = scope
        .reviews()
        .filter(review::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(OrderError::ReviewNotFound)?;
    Ok(view_of(row, true))
}

/// `part / whole` in basis points, rounded down; 10000 when there is nothing to reply to.
fn rate_bp(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        10_000
    } else {
        part * 10_000 / whole
    }
}

/// Total, replied, the reply rate in basis points, and whether it meets the > 90% target, for all
/// reviews and for bad ones (rating ≤ 2, the seed's 差评).
pub async fn review_stats(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<ReviewStats, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(OrderError::Tenant)?;
    let scope = scoped(principal.tenant_id);
    let count = |negative: bool, replied: bool| {
        let mut query = scope.reviews();
        if negative {
            query = query.filter(review::Column::Rating.lte(2));
        }
        if replied {
            query = query.filter(review::Column::Reply.is_not_null());
        }
        query.count(db)
    };
    let total = count(false, false).await? as i64;
    let replied = count(false, true).await? as i64;
    let negative_total = count(true, false).await? as i64;
    let negative_replied = count(true, true).await? as i64;
    let reply_rate_bp = rate_bp(replied, total);
    let negative_reply_rate_bp = rate_bp(negative_replied, negative_total);
    Ok(ReviewStats {
        total,
        replied,
        reply_rate_bp,
        negative_total,
        negative_replied,
        negative_reply_rate_bp,
        meets_target: reply_rate_bp > TARGET_BP,
        negative_meets_target: negative_reply_rate_bp > TARGET_BP,
    })
}

/// A product's reviews for shoppers, newest first (at most 50), without order numbers.
pub async fn product_reviews(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    product_id: Uuid,
) -> Result<Vec<Review>, OrderError> {
    Ok(scoped(tenant)
        .reviews()
        .filter(review::Column::ProductId.eq(product_id))
        .order_by_desc(review::Column::Id)
        .limit(50)
        .all(db)
        .await?
        .into_iter()
        .map(|row| view_of(row, false))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::rate_bp;

    #[test]
    fn reply_rates_are_basis_points_rounded_down() {
        assert_eq!(rate_bp(9, 10), 9_000);
        assert_eq!(rate_bp(2, 3), 6_666);
        assert_eq!(rate_bp(0, 0), 10_000);
        assert_eq!(rate_bp(10, 10), 10_000);
    }
}
