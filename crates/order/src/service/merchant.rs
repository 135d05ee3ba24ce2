//! The merchant's side: the order list and detail with its timeline, cancel with a reason, ship
//! (and the shipment's upload to WeChat, recorded and retried), and the customer's receipt.

use catalog::CatalogCache;
use customer::CustomerPrincipal;
use kernel::TenantId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use tenant::{AdminPrincipal, Permission};

use super::lifecycle::{
    cancel_by, customer_order_row, load_order, next_status, record_transition, status_of,
};
use super::now;
use crate::entity::order;
use crate::error::OrderError;
use crate::model::{
    Actor, MerchantCancelIn, Order, OrderEvent, OrderFilter, OrderStatus, ShipmentIn,
    ShippingUpload,
};
use crate::repo::scoped;

fn tenant_error(error: tenant::TenantError) -> OrderError {
    OrderError::Tenant(error)
}

async fn order_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    order_no: &str,
) -> Result<order::Model, OrderError> {
    scoped(tenant)
        .orders()
        .filter(order::Column::OrderNo.eq(order_no))
        .one(db)
        .await?
        .ok_or(OrderError::OrderNotFound)
}

/// The shop's orders, newest first (at most 100), filtered.
pub async fn list_orders(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    filter: &OrderFilter,
) -> Result<Vec<Order>, OrderError> {
    principal
        .require(Permission::ViewOrders)
        .map_err(tenant_error)?;
    let tenant = principal.tenant_id;
    let mut query = scoped(tenant).orders();
    if let Some(status) = filter.status.as_deref() {
        let status = OrderStatus::parse(status).ok_or_else(|| {
            OrderError::invalid(
                "status",
                "must be one of: pending_payment, paid, shipped, completed, cancelled, refunded",
            )
        })?;
        query = query.filter(order::Column::Status.eq(status.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(order::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(order::Column::CreatedAt.lt(to));
    }
    if let Some(no) = filter.order_no.as_deref() {
        query = query.filter(order::Column::OrderNo.eq(no.trim()));
    }
    let rows = query
        .order_by_desc(order::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        orders.push(load_order(db, tenant, row).await?);
    }
    Ok(orders)
}

/// One order with its timeline.
pub async fn get_order(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    order_no: &str,
) -> Result<Order, OrderError> {
    principal
        .require(Permission::ViewOrders)
        .map_err(tenant_error)?;
    let row = order_row(db, principal.tenant_id, order_no).await?;
    load_order(db, principal.tenant_id, row).await
}

/// The merchant cancels an unpaid order, with a reason; its stock is returned.
pub async fn cancel_order_by_merchant<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    order_no: &str,
    input: &MerchantCancelIn,
) -> Result<Order, OrderError> {
    principal
        .require(Permission::ManageOrders)
        .map_err(tenant_error)?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(OrderError::invalid("reason", "1 to 200 characters"));
    }
    let row = order_row(db, principal.tenant_id, order_no).await?;
    cancel_by(
        db,
        hot,
        principal.tenant_id,
        row,
        OrderEvent::Cancel(Actor::Merchant),
        Actor::Merchant,
        reason,
    )
    .await
}

/// Moves `row` by `event` with a conditional update on its current status, recording the
/// transition; `extra` sets more columns in the same update.
async fn advance<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    row: &order::Model,
    event: OrderEvent,
    actor: Actor,
    reason: &str,
    extra: impl FnOnce(sea_orm::UpdateMany<order::Entity>) -> sea_orm::UpdateMany<order::Entity>,
) -> Result<(), OrderError> {
    let from = status_of(&row.status);
    let to = next_status(from, event)?;
    let txn = db.begin().await?;
    let update = scoped(tenant)
        .update_orders()
        .filter(order::Column::Id.eq(row.id))
        .filter(order::Column::Status.eq(from.as_str()))
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(now()));
    let updated = extra(update).exec(&txn).await?;
    if updated.rows_affected == 0 {
        // Moved meanwhile: judge the event against where it is now.
        drop(txn);
        let current = scoped(tenant)
            .orders()
            .filter(order::Column::Id.eq(row.id))
            .one(db)
            .await?
            .ok_or(OrderError::OrderNotFound)?;
        next_status(status_of(&current.status), event)?;
        return Err(OrderError::IllegalTransition {
            from: status_of(&current.status),
            to,
        });
    }
    record_transition(&txn, tenant, row.id, Some(from), to, actor, reason).await?;
    txn.commit().await?;
    Ok(())
}

/// The merchant ships a paid order with a carrier and tracking number. The shipment's upload to
/// WeChat is `pending` until [`record_shipping_upload`] says how it went.
pub async fn ship_order<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    order_no: &str,
    input: &ShipmentIn,
) -> Result<(Order, ShippingUpload), OrderError> {
    principal
        .require(Permission::ManageOrders)
        .map_err(tenant_error)?;
    let tenant = principal.tenant_id;
    let carrier = input.carrier.trim().to_owned();
    let tracking_no = input.tracking_no.trim().to_owned();
    let mut problems = Vec::new();
    if carrier.is_empty() || carrier.chars().count() > 30 {
        problems.push(kernel::FieldError::new("carrier", "1 to 30 characters"));
    }
    if tracking_no.is_empty()
        || tracking_no.len() > 64
        || !tracking_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        problems.push(kernel::FieldError::new(
            "tracking_no",
            "1 to 64 letters, digits or '-'",
        ));
    }
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }
    let row = order_row(db, tenant, order_no).await?;
    let (c, t) = (carrier.clone(), tracking_no.clone());
    advance(
        db,
        tenant,
        &row,
        OrderEvent::Ship,
        Actor::Merchant,
        &format!("shipped with {carrier} {tracking_no}"),
        move |update| {
            update
                .col_expr(order::Column::Carrier, Expr::value(Some(c)))
                .col_expr(order::Column::TrackingNo, Expr::value(Some(t)))
                .col_expr(order::Column::ShippedAt, Expr::value(Some(now())))
                .col_expr(
                    order::Column::ShippingUpload,
                    Expr::value(Some("pending".to_owned())),
                )
        },
    )
    .await?;
    let row = order_row(db, tenant, order_no).await?;
    let upload = shipping_upload_of(&row);
    Ok((load_order(db, tenant, row).await?, upload))
}

fn shipping_upload_of(row: &order::Model) -> ShippingUpload {
    let item_desc = serde_json::from_value::<crate::model::Pricing>(row.pricing.clone())
        .ok()
        .and_then(|p| p.lines.first().map(|line| line.title.clone()))
        .unwrap_or_else(|| row.order_no.clone());
    let consignee_mobile = row.address["mobile"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ShippingUpload {
        order_id: row.id,
        tenant_id: TenantId(row.tenant_id),
        order_no: row.order_no.clone(),
        payer_openid: row.payer_openid.clone(),
        carrier: row.carrier.clone().unwrap_or_default(),
        tracking_no: row.tracking_no.clone().unwrap_or_default(),
        item_desc,
        consignee_mobile,
    }
}

/// Records how a shipment's upload to WeChat went.
pub async fn record_shipping_upload(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: uuid::Uuid,
    outcome: Result<(), String>,
) -> Result<(), OrderError> {
    let (status, error) = match outcome {
        Ok(()) => ("uploaded", None),
        Err(error) => ("failed", Some(error)),
    };
    scoped(tenant)
        .update_orders()
        .filter(order::Column::Id.eq(order_id))
        .col_expr(
            order::Column::ShippingUpload,
            Expr::value(Some(status.to_owned())),
        )
        .col_expr(order::Column::ShippingUploadError, Expr::value(error))
        .exec(db)
        .await?;
    Ok(())
}

/// Shipments whose upload to WeChat has not succeeded yet, across shops (the retry worker's
/// queue), oldest first.
pub async fn pending_shipping_uploads(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<ShippingUpload>, OrderError> {
    Ok(order::Entity::find()
        .filter(order::Column::ShippingUpload.is_in(["pending", "failed"]))
        .order_by_asc(order::Column::ShippedAt)
        .limit(limit)
        .all(db)
        .await?
        .iter()
        .map(shipping_upload_of)
        .collect())
}

/// The customer confirms receipt of a shipped order: completed.
pub async fn confirm_receipt<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    order_no: &str,
) -> Result<Order, OrderError> {
    let row = customer_order_row(db, principal, order_no).await?;
    advance(
        db,
        principal.tenant_id,
        &row,
        OrderEvent::ConfirmReceipt,
        Actor::Customer,
        "receipt confirmed",
        |update| update,
    )
    .await?;
    let row = customer_order_row(db, principal, order_no).await?;
    load_order(db, principal.tenant_id, row).await
}

/// Completes, for every shop, orders shipped at or before `shipped_before` that the customer has
/// not confirmed (WeChat's receipt window). Each is moved by a conditional update, so several
/// workers complete each order once. Returns the order numbers completed.
pub async fn complete_shipped_orders<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    shipped_before: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, OrderError> {
    // The platform's sweep: the one query across tenants besides the unpaid-order sweep.
    let due = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::Shipped.as_str()))
        .filter(order::Column::ShippedAt.lte(shipped_before))
        .order_by_asc(order::Column::ShippedAt)
        .limit(500)
        .all(db)
        .await?;
    let mut completed = Vec::new();
    for row in due {
        let tenant = TenantId(row.tenant_id);
        match advance(
            db,
            tenant,
            &row,
            OrderEvent::ConfirmReceipt,
            Actor::System,
            "completed automatically after the receipt window",
            |update| update,
        )
        .await
        {
            Ok(()) => completed.push(row.order_no),
            Err(OrderError::IllegalTransition { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(completed)
}
