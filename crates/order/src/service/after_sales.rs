//! After-sales: the customer applies on lines of a paid, shipped or completed order (completed:
//! within [`AFTER_SALE_WINDOW_DAYS`]); the merchant approves, rejects, receives returns, or refunds
//! by line on their own. Every transition is recorded. The refund itself is sent by the gateway's
//! flows through the payment crate; this crate claims it ([`claim_after_sale_refund`]) and
//! records its outcome ([`record_after_sale_refund`]) exactly once.
//!
//! Guards, all conditional updates inside the application's transaction (which first touches the
//! order row, so applications of one order are serialised): `order_lines.after_sale_qty + qty <=
//! quantity` per line, and `orders.refund_claimed_fen + amount <= payable`. A rejected or withdrawn
//! after-sale gives both back. Freight is refunded with the after-sale that covers the order's last
//! unit (every line fully applied for), never before.

use chrono::{DateTime, Utc};
use customer::CustomerPrincipal;
use kernel::{FieldError, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait, UpdateMany,
};
use tenant::{AdminPrincipal, Permission};
use uuid::Uuid;

use super::lifecycle::{customer_order_row, next_status, record_transition, status_of};
use super::now;
use crate::after_sales_model::{
    AfterSale, AfterSaleBrief, AfterSaleEvent, AfterSaleFilter, AfterSaleIn, AfterSaleKind,
    AfterSaleLine, AfterSaleLineIn, AfterSaleRefund, AfterSaleRejectIn, AfterSaleStatus,
    AfterSaleTransition, MerchantRefundIn, RefundResult, ReturnShipment, ReturnWaybillIn,
};
use crate::entity::{after_sale, after_sale_transition, order, order_line, transition};
use crate::error::OrderError;
use crate::model::{Actor, OrderEvent, OrderStatus};
use crate::repo::scoped;

/// How long after completion the customer may still apply.
pub const AFTER_SALE_WINDOW_DAYS: i64 = 7;
/// The seed's answer target for complaints: 30 minutes.
pub const ANSWER_TARGET_SECS: i64 = 30 * 60;

/// The after-sale state machine: where `event` takes an after-sale of `kind` in `from`.
pub fn next_after_sale_status(
    kind: AfterSaleKind,
    from: AfterSaleStatus,
    event: AfterSaleEvent,
) -> Result<AfterSaleStatus, OrderError> {
    use AfterSaleEvent as E;
    use AfterSaleStatus::*;
    let to = match (from, event) {
        (Requested, E::Approve) => match kind {
            AfterSaleKind::RefundOnly => Approved,
            AfterSaleKind::ReturnAndRefund => AwaitingReturn,
        },
        (Requested | ReturnShipped | RefundFailed, E::Reject) => Rejected,
        (Requested | AwaitingReturn, E::Withdraw) => Withdrawn,
        (AwaitingReturn, E::ShipReturn) => ReturnShipped,
        (ReturnShipped, E::Receive) => Received,
        (Approved | Received | RefundFailed, E::StartRefund) => Refunding,
        (Refunding, E::RefundSucceeded) => Refunded,
        (Refunding, E::RefundFailed) => RefundFailed,
        _ => {
            return Err(OrderError::AfterSaleIllegalTransition {
                from,
                event: event.as_str(),
            });
        }
    };
    Ok(to)
}

fn kind_of(text: &str) -> AfterSaleKind {
    AfterSaleKind::parse(text).unwrap_or(AfterSaleKind::RefundOnly)
}

fn after_sale_status_of(text: &str) -> AfterSaleStatus {
    AfterSaleStatus::parse(text).unwrap_or(AfterSaleStatus::Rejected)
}

fn tenant_error(error: tenant::TenantError) -> OrderError {
    OrderError::Tenant(error)
}

/// 1 to `max` characters, trimmed.
pub(crate) fn parse_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    problems: &mut Vec<FieldError>,
) -> String {
    let value = value.trim();
    let count = value.chars().count();
    if (required && count == 0) || count > max {
        let rule = if required {
            format!("1 to {max} characters")
        } else {
            format!("at most {max} characters")
        };
        problems.push(FieldError::new(field, rule));
    }
    value.to_owned()
}

/// At most 9 photo URLs, each `https://` or `http://`, no spaces, at most 512 bytes.
pub(crate) fn parse_photos(photos: &[String], problems: &mut Vec<FieldError>) -> Vec<String> {
    if photos.len() > 9 {
        problems.push(FieldError::new("photos", "at most 9 photos"));
    }
    for (i, url) in photos.iter().enumerate() {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > "https://".len()
            && url.len() <= 512
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            problems.push(FieldError::new(
                format!("photos[{i}]"),
                "an http(s) URL of at most 512 bytes",
            ));
        }
    }
    photos.to_vec()
}

fn parse_lines(lines: &[AfterSaleLineIn], problems: &mut Vec<FieldError>) -> Vec<(Uuid, i64)> {
    if lines.is_empty() || lines.len() > 100 {
        problems.push(FieldError::new("lines", "1 to 100 lines"));
    }
    let mut parsed: Vec<(Uuid, i64)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !(1..=100_000).contains(&line.quantity) {
            problems.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "1 to 100000",
            ));
        }
        if parsed.iter().any(|(sku, _)| *sku == line.sku_id) {
            problems.push(FieldError::new(
                format!("lines[{i}].sku_id"),
                "each SKU once",
            ));
        }
        parsed.push((line.sku_id, line.quantity));
    }
    parsed
}

/// What an application asks for, parsed.
struct Application {
    kind: AfterSaleKind,
    reason: String,
    photos: Vec<String>,
    lines: Vec<(Uuid, i64)>,
}

async fn after_sale_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<after_sale::Model, OrderError> {
    scoped(tenant)
        .after_sales()
        .filter(after_sale::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(OrderError::AfterSaleNotFound)
}

async fn customer_after_sale_row(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    id: Uuid,
) -> Result<after_sale::Model, OrderError> {
    scoped(principal.tenant_id)
        .after_sales()
        .filter(after_sale::Column::Id.eq(id))
        .filter(after_sale::Column::CustomerId.eq(principal.customer_id))
        .one(db)
        .await?
        .ok_or(OrderError::AfterSaleNotFound)
}

async fn record_after_sale_transition(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    after_sale_id: Uuid,
    from: Option<AfterSaleStatus>,
    to: AfterSaleStatus,
    actor: Actor,
    reason: &str,
) -> Result<(), OrderError> {
    after_sale_transition::Entity::insert(after_sale_transition::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        after_sale_id: Set(after_sale_id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        actor: Set(actor.as_str().to_owned()),
        reason: Set(reason.to_owned()),
        created_at: Set(now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// When the order was completed, from its timeline.
async fn completed_at(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<Option<DateTime<Utc>>, OrderError> {
    Ok(scoped(tenant)
        .transitions()
        .filter(transition::Column::OrderId.eq(order_id))
        .filter(transition::Column::ToStatus.eq(OrderStatus::Completed.as_str()))
        .one(db)
        .await?
        .map(|t| t.created_at))
}

const OPEN_ORDER_STATUSES: [&str; 3] = ["paid", "shipped", "completed"];

/// Writes an after-sale for `order_row` in one transaction, behind the guards described at the
/// top. With `approved`, it is made by the merchant and approved at once.
async fn create_after_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    order_row: &order::Model,
    application: Application,
    actor: Actor,
    approved: bool,
) -> Result<Uuid, OrderError> {
    let status = status_of(&order_row.status);
    if !matches!(
        status,
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Completed
    ) {
        return Err(OrderError::AfterSaleNotAllowed(status));
    }
    if status == OrderStatus::Completed && actor == Actor::Customer {
        let done = completed_at(db, tenant, order_row.id).await?;
        if done.is_some_and(|at| now() - at > chrono::Duration::days(AFTER_SALE_WINDOW_DAYS)) {
            return Err(OrderError::AfterSaleWindowClosed(AFTER_SALE_WINDOW_DAYS));
        }
    }
    let order_lines = scoped(tenant)
        .order_lines()
        .filter(order_line::Column::OrderId.eq(order_row.id))
        .all(db)
        .await?;
    let mut chosen = Vec::with_capacity(application.lines.len());
    let mut problems = Vec::new();
    for (i, (sku_id, quantity)) in application.lines.iter().enumerate() {
        match order_lines.iter().find(|line| line.sku_id == *sku_id) {
            Some(line) => chosen.push((line.clone(), *quantity)),
            None => problems.push(FieldError::new(
                format!("lines[{i}].sku_id"),
                "not a line of this order",
            )),
        }
    }
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }

    let scope = scoped(tenant);
    let txn = db.begin().await?;
    // Touch the order first: it locks the row (Postgres) or takes the write lock (SQLite), so
    // applications of one order are serialised and the freight rule sees every earlier one.
    let locked = scope
        .update_orders()
        .filter(order::Column::Id.eq(order_row.id))
        .filter(order::Column::Status.is_in(OPEN_ORDER_STATUSES))
        .col_expr(order::Column::UpdatedAt, Expr::value(now()))
        .exec(&txn)
        .await?;
    if locked.rows_affected != 1 {
        let current = scope
            .orders()
            .filter(order::Column::Id.eq(order_row.id))
            .one(&txn)
            .await?
            .ok_or(OrderError::OrderNotFound)?;
        return Err(OrderError::AfterSaleNotAllowed(status_of(&current.status)));
    }
    for (line, quantity) in &chosen {
        let claimed = scope
            .update_order_lines()
            .filter(order_line::Column::Id.eq(line.id))
            .filter(
                Expr::col(order_line::Column::AfterSaleQty)
                    .add(*quantity)
                    .lte(Expr::col(order_line::Column::Quantity)),
            )
            .col_expr(
                order_line::Column::AfterSaleQty,
                Expr::col(order_line::Column::AfterSaleQty).add(*quantity),
            )
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            let current = scope
                .order_lines()
                .filter(order_line::Column::Id.eq(line.id))
                .one(&txn)
                .await?
                .ok_or(OrderError::OrderNotFound)?;
            return Err(OrderError::AfterSaleQuantityExceeded {
                sku_id: line.sku_id,
                available: current.quantity - current.after_sale_qty,
            });
        }
    }
    let all_claimed = scope
        .order_lines()
        .filter(order_line::Column::OrderId.eq(order_row.id))
        .all(&txn)
        .await?
        .iter()
        .all(|line| line.after_sale_qty >= line.quantity);
    let lines: Vec<AfterSaleLine> = chosen
        .iter()
        .map(|(line, quantity)| AfterSaleLine {
            order_line_id: line.id,
            sku_id: line.sku_id,
            product_id: line.product_id,
            title: line.title.clone(),
            spec_text: line.spec_text.clone(),
            unit_price: line.unit_price,
            quantity: *quantity,
            amount_fen: line.unit_price * quantity,
        })
        .collect();
    let goods_fen: i64 = lines.iter().map(|line| line.amount_fen).sum();
    let freight_fen = if all_claimed { order_row.freight } else { 0 };
    let amount_fen = goods_fen + freight_fen;
    let money = scope
        .update_orders()
        .filter(order::Column::Id.eq(order_row.id))
        .filter(
            Expr::col(order::Column::RefundClaimedFen)
                .add(amount_fen)
                .lte(Expr::col(order::Column::Payable)),
        )
        .col_expr(
            order::Column::RefundClaimedFen,
            Expr::col(order::Column::RefundClaimedFen).add(amount_fen),
        )
        .exec(&txn)
        .await?;
    if money.rows_affected != 1 {
        let current = scope
            .orders()
            .filter(order::Column::Id.eq(order_row.id))
            .one(&txn)
            .await?
            .ok_or(OrderError::OrderNotFound)?;
        return Err(OrderError::RefundExceedsPaid {
            refundable: current.payable - current.refund_claimed_fen,
        });
    }
    let id = kernel::new_id();
    let at = now();
    let status = if approved {
        AfterSaleStatus::Approved
    } else {
        AfterSaleStatus::Requested
    };
    after_sale::Entity::insert(after_sale::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(id),
        order_id: Set(order_row.id),
        order_no: Set(order_row.order_no.clone()),
        customer_id: Set(order_row.customer_id),
        kind: Set(application.kind.as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        initiated_by: Set(actor.as_str().to_owned()),
        reason: Set(application.reason.clone()),
        photos: Set(serde_json::to_value(&application.photos).unwrap_or_default()),
        lines: Set(serde_json::to_value(&lines).unwrap_or_default()),
        goods_fen: Set(goods_fen),
        freight_fen: Set(freight_fen),
        amount_fen: Set(amount_fen),
        reject_reason: Set(None),
        return_carrier: Set(None),
        return_tracking_no: Set(None),
        refund_attempt: Set(0),
        out_refund_no: Set(None),
        refund_error: Set(None),
        refunded_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec_without_returning(&txn)
    .await?;
    record_after_sale_transition(
        &txn,
        tenant,
        id,
        None,
        AfterSaleStatus::Requested,
        actor,
        &application.reason,
    )
    .await?;
    if approved {
        record_after_sale_transition(
            &txn,
            tenant,
            id,
            Some(AfterSaleStatus::Requested),
            AfterSaleStatus::Approved,
            actor,
            "refund by the merchant",
        )
        .await?;
    }
    txn.commit().await?;
    tracing::info!(tenant.id = %tenant, order.no = %order_row.order_no, after_sale.id = %id,
        after_sale.amount_fen = amount_fen, actor = actor.as_str(), "after-sale applied");
    Ok(id)
}

/// Moves `row` by `event` inside `txn` with a conditional update on its status, recording the
/// transition; `extra` sets more columns in the same update. Returns the new status.
async fn advance_in(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    row: &after_sale::Model,
    event: AfterSaleEvent,
    actor: Actor,
    reason: &str,
    extra: impl FnOnce(UpdateMany<after_sale::Entity>) -> UpdateMany<after_sale::Entity>,
) -> Result<AfterSaleStatus, OrderError> {
    let from = after_sale_status_of(&row.status);
    let to = next_after_sale_status(kind_of(&row.kind), from, event)?;
    let update = scoped(tenant)
        .update_after_sales()
        .filter(after_sale::Column::Id.eq(row.id))
        .filter(after_sale::Column::Status.eq(from.as_str()))
        .col_expr(after_sale::Column::Status, Expr::value(to.as_str()))
        .col_expr(after_sale::Column::UpdatedAt, Expr::value(now()));
    if extra(update).exec(txn).await?.rows_affected != 1 {
        let current = after_sale_row(txn, tenant, row.id).await?;
        return Err(OrderError::AfterSaleIllegalTransition {
            from: after_sale_status_of(&current.status),
            event: event.as_str(),
        });
    }
    record_after_sale_transition(txn, tenant, row.id, Some(from), to, actor, reason).await?;
    Ok(to)
}

/// Gives back the units and money a rejected or withdrawn after-sale held.
async fn release_claim(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    row: &after_sale::Model,
) -> Result<(), OrderError> {
    let scope = scoped(tenant);
    for line in lines_of(row)? {
        scope
            .update_order_lines()
            .filter(order_line::Column::Id.eq(line.order_line_id))
            .col_expr(
                order_line::Column::AfterSaleQty,
                Expr::col(order_line::Column::AfterSaleQty).sub(line.quantity),
            )
            .exec(txn)
            .await?;
    }
    scope
        .update_orders()
        .filter(order::Column::Id.eq(row.order_id))
        .col_expr(
            order::Column::RefundClaimedFen,
            Expr::col(order::Column::RefundClaimedFen).sub(row.amount_fen),
        )
        .exec(txn)
        .await?;
    Ok(())
}

fn lines_of(row: &after_sale::Model) -> Result<Vec<AfterSaleLine>, OrderError> {
    serde_json::from_value(row.lines.clone())
        .map_err(|e| sea_orm::DbErr::Custom(format!("after-sale lines: {e}")).into())
}

async fn load_after_sale(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    row: after_sale::Model,
) -> Result<AfterSale, OrderError> {
    let timeline = scoped(tenant)
        .after_sale_transitions()
        .filter(after_sale_transition::Column::AfterSaleId.eq(row.id))
        .order_by_asc(after_sale_transition::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| AfterSaleTransition {
            from: t.from_status.as_deref().map(after_sale_status_of),
            to: after_sale_status_of(&t.to_status),
            actor: t.actor,
            reason: t.reason,
            at: t.created_at,
        })
        .collect();
    view_of(row, timeline)
}

fn view_of(
    row: after_sale::Model,
    timeline: Vec<AfterSaleTransition>,
) -> Result<AfterSale, OrderError> {
    let lines = lines_of(&row)?;
    let status = after_sale_status_of(&row.status);
    let age_seconds = Ord::max((now() - row.created_at).num_seconds(), 0);
    Ok(AfterSale {
        id: row.id,
        order_no: row.order_no,
        customer_id: row.customer_id,
        kind: kind_of(&row.kind),
        status,
        initiated_by: row.initiated_by,
        reason: row.reason,
        photos: serde_json::from_value(row.photos).unwrap_or_default(),
        lines,
        goods_fen: row.goods_fen,
        freight_fen: row.freight_fen,
        amount_fen: row.amount_fen,
        reject_reason: row.reject_reason,
        return_shipment: match (row.return_carrier, row.return_tracking_no) {
            (Some(carrier), Some(tracking_no)) => Some(ReturnShipment {
                carrier,
                tracking_no,
            }),
            _ => None,
        },
        out_refund_no: row.out_refund_no,
        refund_error: row.refund_error,
        refunded_at: row.refunded_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        age_seconds,
        over_answer_target: status.awaits_merchant() && age_seconds > ANSWER_TARGET_SECS,
        timeline,
    })
}

/// The after-sales of one order, oldest first (for the order's view).
pub(crate) async fn briefs_of_order(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<Vec<AfterSaleBrief>, OrderError> {
    Ok(scoped(tenant)
        .after_sales()
        .filter(after_sale::Column::OrderId.eq(order_id))
        .order_by_asc(after_sale::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| AfterSaleBrief {
            id: row.id,
            kind: kind_of(&row.kind),
            status: after_sale_status_of(&row.status),
            amount_fen: row.amount_fen,
        })
        .collect())
}

// ---- the customer ----

/// The customer applies for an after-sale on lines of one of their orders.
pub async fn apply_after_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    order_no: &str,
    input: &AfterSaleIn,
) -> Result<AfterSale, OrderError> {
    let mut problems = Vec::new();
    let kind = AfterSaleKind::parse(input.kind.trim());
    if kind.is_none() {
        problems.push(FieldError::new(
            "kind",
            "must be refund_only or return_and_refund",
        ));
    }
    let reason = parse_text("reason", &input.reason, 200, true, &mut problems);
    let photos = parse_photos(&input.photos, &mut problems);
    let lines = parse_lines(&input.lines, &mut problems);
    let Some(kind) = kind.filter(|_| problems.is_empty()) else {
        return Err(OrderError::Invalid(problems));
    };
    let row = customer_order_row(db, principal, order_no).await?;
    let application = Application {
        kind,
        reason,
        photos,
        lines,
    };
    let id = create_after_sale(
        db,
        principal.tenant_id,
        &row,
        application,
        Actor::Customer,
        false,
    )
    .await?;
    get_customer_after_sale(db, principal, id).await
}

/// The customer's after-sales, newest first (at most 50).
pub async fn list_customer_after_sales(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
) -> Result<Vec<AfterSale>, OrderError> {
    let rows = scoped(principal.tenant_id)
        .after_sales()
        .filter(after_sale::Column::CustomerId.eq(principal.customer_id))
        .order_by_desc(after_sale::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let mut all = Vec::with_capacity(rows.len());
    for row in rows {
        all.push(load_after_sale(db, principal.tenant_id, row).await?);
    }
    Ok(all)
}

/// One of the customer's own after-sales.
pub async fn get_customer_after_sale(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    id: Uuid,
) -> Result<AfterSale, OrderError> {
    let row = customer_after_sale_row(db, principal, id).await?;
    load_after_sale(db, principal.tenant_id, row).await
}

/// The customer gives the return's carrier and waybill number.
pub async fn submit_return_waybill<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    id: Uuid,
    input: &ReturnWaybillIn,
) -> Result<AfterSale, OrderError> {
    let mut problems = Vec::new();
    let carrier = parse_text("carrier", &input.carrier, 30, true, &mut problems);
    let tracking_no = input.tracking_no.trim().to_owned();
    if tracking_no.is_empty()
        || tracking_no.len() > 64
        || !tracking_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        problems.push(FieldError::new(
            "tracking_no",
            "1 to 64 letters, digits or '-'",
        ));
    }
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }
    let row = customer_after_sale_row(db, principal, id).await?;
    let txn = db.begin().await?;
    let reason = format!("returned with {carrier} {tracking_no}");
    advance_in(
        &txn,
        principal.tenant_id,
        &row,
        AfterSaleEvent::ShipReturn,
        Actor::Customer,
        &reason,
        move |update| {
            update
                .col_expr(
                    after_sale::Column::ReturnCarrier,
                    Expr::value(Some(carrier)),
                )
                .col_expr(
                    after_sale::Column::ReturnTrackingNo,
                    Expr::value(Some(tracking_no)),
                )
        },
    )
    .await?;
    txn.commit().await?;
    get_customer_after_sale(db, principal, id).await
}

/// The customer withdraws an after-sale not yet refunded (before the return is shipped); its units
/// and money are free again.
pub async fn withdraw_after_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    id: Uuid,
) -> Result<AfterSale, OrderError> {
    let row = customer_after_sale_row(db, principal, id).await?;
    let txn = db.begin().await?;
    advance_in(
        &txn,
        principal.tenant_id,
        &row,
        AfterSaleEvent::Withdraw,
        Actor::Customer,
        "withdrawn by the customer",
        |update| update,
    )
    .await?;
    release_claim(&txn, principal.tenant_id, &row).await?;
    txn.commit().await?;
    get_customer_after_sale(db, principal, id).await
}

// ---- the merchant ----

/// The shop's after-sales queue, oldest first (at most 200), each with its age and whether it has
/// waited for the merchant past the 30-minute target.
pub async fn list_after_sales(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    filter: &AfterSaleFilter,
) -> Result<Vec<AfterSale>, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(tenant_error)?;
    let tenant = principal.tenant_id;
    let mut query = scoped(tenant).after_sales();
    if let Some(status) = filter.status.as_deref() {
        let status = AfterSaleStatus::parse(status.trim()).ok_or_else(|| {
            OrderError::invalid(
                "status",
                "must be one of: requested, approved, awaiting_return, return_shipped, received, \
                 refunding, refunded, refund_failed, rejected, withdrawn",
            )
        })?;
        query = query.filter(after_sale::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind.as_deref() {
        let kind = AfterSaleKind::parse(kind.trim()).ok_or_else(|| {
            OrderError::invalid("kind", "must be refund_only or return_and_refund")
        })?;
        query = query.filter(after_sale::Column::Kind.eq(kind.as_str()));
    }
    if let Some(no) = filter.order_no.as_deref() {
        query = query.filter(after_sale::Column::OrderNo.eq(no.trim()));
    }
    let rows = query
        .order_by_asc(after_sale::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let mut all = Vec::with_capacity(rows.len());
    for row in rows {
        let view = load_after_sale(db, tenant, row).await?;
        if filter
            .over_answer_target
            .is_none_or(|wanted| wanted == view.over_answer_target)
        {
            all.push(view);
        }
    }
    Ok(all)
}

/// One after-sale of the shop, with its timeline.
pub async fn get_after_sale(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    id: Uuid,
) -> Result<AfterSale, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(tenant_error)?;
    let row = after_sale_row(db, principal.tenant_id, id).await?;
    load_after_sale(db, principal.tenant_id, row).await
}

/// The merchant approves: a refund-only after-sale becomes `approved` (the gateway then sends
/// the refund), a return becomes `awaiting_return`. Approving one already approved whose refund
/// has not succeeded (`approved`, `received`, `refunding`, `refund_failed`) changes nothing here
/// and lets the gateway send (or retry) the refund.
pub async fn approve_after_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    id: Uuid,
) -> Result<AfterSale, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(tenant_error)?;
    let tenant = principal.tenant_id;
    let row = after_sale_row(db, tenant, id).await?;
    let status = after_sale_status_of(&row.status);
    if !matches!(
        status,
        AfterSaleStatus::Approved
            | AfterSaleStatus::Received
            | AfterSaleStatus::Refunding
            | AfterSaleStatus::RefundFailed
    ) {
        let txn = db.begin().await?;
        advance_in(
            &txn,
            tenant,
            &row,
            AfterSaleEvent::Approve,
            Actor::Merchant,
            "approved by the merchant",
            |update| update,
        )
        .await?;
        txn.commit().await?;
    }
    get_after_sale(db, principal, id).await
}

/// The merchant rejects, with a reason; the units and money are free again.
pub async fn reject_after_sale<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    id: Uuid,
    input: &AfterSaleRejectIn,
) -> Result<AfterSale, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(tenant_error)?;
    let mut problems = Vec::new();
    let reason = parse_text("reason", &input.reason, 200, true, &mut problems);
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }
    let tenant = principal.tenant_id;
    let row = after_sale_row(db, tenant, id).await?;
    let txn = db.begin().await?;
    let stored = reason.clone();
    advance_in(
        &txn,
        tenant,
        &row,
        AfterSaleEvent::Reject,
        Actor::Merchant,
        &reason,
        move |update| update.col_expr(after_sale::Column::RejectReason, Expr::value(Some(stored))),
    )
    .await?;
    release_claim(&txn, tenant, &row).await?;
    txn.commit().await?;
    get_after_sale(db, principal, id).await
}

/// The merchant confirms the returned goods arrived (the gateway then sends the refund).
pub async fn receive_return<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    id: Uuid,
) -> Result<AfterSale, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(tenant_error)?;
    let tenant = principal.tenant_id;
    let row = after_sale_row(db, tenant, id).await?;
    let txn = db.begin().await?;
    advance_in(
        &txn,
        tenant,
        &row,
        AfterSaleEvent::Receive,
        Actor::Merchant,
        "return received",
        |update| update,
    )
    .await?;
    txn.commit().await?;
    get_after_sale(db, principal, id).await
}

/// The merchant refunds lines of an order on their own: an after-sale made by the merchant,
/// approved at once (the gateway then sends the refund).
pub async fn create_merchant_refund<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    order_no: &str,
    input: &MerchantRefundIn,
) -> Result<AfterSale, OrderError> {
    principal
        .require(Permission::HandleAfterSales)
        .map_err(tenant_error)?;
    let mut problems = Vec::new();
    let reason = parse_text("reason", &input.reason, 200, true, &mut problems);
    let lines = parse_lines(&input.lines, &mut problems);
    if !problems.is_empty() {
        return Err(OrderError::Invalid(problems));
    }
    let tenant = principal.tenant_id;
    let row = scoped(tenant)
        .orders()
        .filter(order::Column::OrderNo.eq(order_no))
        .one(db)
        .await?
        .ok_or(OrderError::OrderNotFound)?;
    let application = Application {
        kind: AfterSaleKind::RefundOnly,
        reason,
        photos: Vec::new(),
        lines,
    };
    let id = create_after_sale(db, tenant, &row, application, Actor::Merchant, true).await?;
    get_after_sale(db, principal, id).await
}

// ---- the refund (called by the gateway's flows) ----

/// The refund of an approved (or received, or failed) after-sale: moves it to `refunding` with a
/// fresh `out_refund_no` (`R<id>-<attempt>`) by a conditional update that one caller wins; a
/// caller finding it `refunding` gets the same refund back (to send again: WeChat and the payment
/// crate refund one `out_refund_no` once). `None` when there is nothing to refund.
pub async fn claim_after_sale_refund<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<AfterSaleRefund>, OrderError> {
    let row = after_sale_row(db, tenant, id).await?;
    let row = match after_sale_status_of(&row.status) {
        AfterSaleStatus::Approved | AfterSaleStatus::Received | AfterSaleStatus::RefundFailed => {
            let attempt = row.refund_attempt + 1;
            let out_refund_no = format!("R{}-{attempt}", row.id.simple());
            let txn = db.begin().await?;
            let claimed = advance_in(
                &txn,
                tenant,
                &row,
                AfterSaleEvent::StartRefund,
                Actor::System,
                &format!("refund {out_refund_no} sent to WeChat Pay"),
                move |update| {
                    update
                        .col_expr(after_sale::Column::RefundAttempt, Expr::value(attempt))
                        .col_expr(
                            after_sale::Column::OutRefundNo,
                            Expr::value(Some(out_refund_no)),
                        )
                        .col_expr(
                            after_sale::Column::RefundError,
                            Expr::value(Option::<String>::None),
                        )
                },
            )
            .await;
            match claimed {
                Ok(_) => txn.commit().await?,
                Err(OrderError::AfterSaleIllegalTransition { .. }) => drop(txn),
                Err(other) => return Err(other),
            }
            after_sale_row(db, tenant, id).await?
        }
        _ => row,
    };
    if after_sale_status_of(&row.status) != AfterSaleStatus::Refunding {
        return Ok(None);
    }
    let Some(out_refund_no) = row.out_refund_no.clone() else {
        return Ok(None);
    };
    let paid = scoped(tenant)
        .orders()
        .filter(order::Column::Id.eq(row.order_id))
        .one(db)
        .await?
        .ok_or(OrderError::OrderNotFound)?;
    Ok(Some(AfterSaleRefund {
        after_sale_id: row.id,
        out_trade_no: row.order_no,
        out_refund_no,
        amount_fen: row.amount_fen,
        total_fen: paid.payable,
        reason: row.reason,
    }))
}

/// Records how the refund `out_refund_no` ended, exactly once: the after-sale moves from
/// `refunding` by a conditional update that one report wins; on success the order's
/// `refunded_fen` grows by the amount in the same transaction, and an order refunded in full
/// becomes `refunded`. Returns the after-sale, or `None` when no after-sale has this refund (a
/// cancelled order's refund, or an older attempt's).
pub async fn record_after_sale_refund<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: TenantId,
    out_refund_no: &str,
    result: RefundResult,
) -> Result<Option<AfterSale>, OrderError> {
    let scope = scoped(tenant);
    let Some(row) = scope
        .after_sales()
        .filter(after_sale::Column::OutRefundNo.eq(out_refund_no))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let txn = db.begin().await?;
    let moved = match &result {
        RefundResult::Succeeded { at } => {
            let at = *at;
            advance_in(
                &txn,
                tenant,
                &row,
                AfterSaleEvent::RefundSucceeded,
                Actor::System,
                &format!("WeChat Pay refunded {} fen", row.amount_fen),
                move |update| {
                    update.col_expr(after_sale::Column::RefundedAt, Expr::value(Some(at)))
                },
            )
            .await
        }
        RefundResult::Failed(error) => {
            let stored = error.clone();
            advance_in(
                &txn,
                tenant,
                &row,
                AfterSaleEvent::RefundFailed,
                Actor::System,
                error,
                move |update| {
                    update.col_expr(after_sale::Column::RefundError, Expr::value(Some(stored)))
                },
            )
            .await
        }
    };
    match moved {
        Ok(_) => {}
        // Recorded before (a duplicate report), or no longer refunding.
        Err(OrderError::AfterSaleIllegalTransition { .. }) => {
            drop(txn);
            let row = after_sale_row(db, tenant, row.id).await?;
            return Ok(Some(load_after_sale(db, tenant, row).await?));
        }
        Err(other) => return Err(other),
    }
    if matches!(result, RefundResult::Succeeded { .. }) {
        scope
            .update_orders()
            .filter(order::Column::Id.eq(row.order_id))
            .col_expr(
                order::Column::RefundedFen,
                Expr::col(order::Column::RefundedFen).add(row.amount_fen),
            )
            .col_expr(order::Column::UpdatedAt, Expr::value(now()))
            .exec(&txn)
            .await?;
        let current = scope
            .orders()
            .filter(order::Column::Id.eq(row.order_id))
            .one(&txn)
            .await?
            .ok_or(OrderError::OrderNotFound)?;
        let from = status_of(&current.status);
        if current.refunded_fen >= current.payable
            && let Ok(to) = next_status(from, OrderEvent::RefundInFull)
        {
            let closed = scope
                .update_orders()
                .filter(order::Column::Id.eq(row.order_id))
                .filter(order::Column::Status.eq(from.as_str()))
                .col_expr(order::Column::Status, Expr::value(to.as_str()))
                .exec(&txn)
                .await?;
            if closed.rows_affected == 1 {
                record_transition(
                    &txn,
                    tenant,
                    row.order_id,
                    Some(from),
                    to,
                    Actor::System,
                    "refunded in full through after-sales",
                )
                .await?;
            }
        }
    }
    txn.commit().await?;
    tracing::info!(tenant.id = %tenant, order.no = %row.order_no, after_sale.id = %row.id,
        refund.out_refund_no = %out_refund_no, ok = matches!(result, RefundResult::Succeeded { .. }),
        "after-sale refund recorded");
    let row = after_sale_row(db, tenant, row.id).await?;
    Ok(Some(load_after_sale(db, tenant, row).await?))
}

/// After-sales across shops whose refund has been `refunding` since before `stale_before` (a lost
/// notification, a timed-out request, a crash after the claim): the worker's queue, oldest first.
/// Each is then settled with its own tenant in scope.
pub async fn stale_after_sale_refunds(
    db: &impl ConnectionTrait,
    stale_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(TenantId, Uuid)>, OrderError> {
    // The platform's sweep: a query across tenants, like the unpaid-order sweep.
    Ok(after_sale::Entity::find()
        .filter(after_sale::Column::Status.eq(AfterSaleStatus::Refunding.as_str()))
        .filter(after_sale::Column::UpdatedAt.lte(stale_before))
        .order_by_asc(after_sale::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| (TenantId(row.tenant_id), row.id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use AfterSaleEvent as E;
    use AfterSaleStatus::*;

    const EVENTS: [AfterSaleEvent; 8] = [
        E::Approve,
        E::Reject,
        E::Withdraw,
        E::ShipReturn,
        E::Receive,
        E::StartRefund,
        E::RefundSucceeded,
        E::RefundFailed,
    ];

    fn walk(kind: AfterSaleKind, events: &[AfterSaleEvent]) -> Result<AfterSaleStatus, OrderError> {
        events.iter().try_fold(Requested, |at, event| {
            next_after_sale_status(kind, at, *event)
        })
    }

    #[test]
    fn a_refund_only_goes_approved_refunding_refunded() {
        let path = [E::Approve, E::StartRefund, E::RefundSucceeded];
        assert_eq!(walk(AfterSaleKind::RefundOnly, &path).ok(), Some(Refunded));
    }

    #[test]
    fn a_return_waits_for_the_goods_before_the_refund() {
        let kind = AfterSaleKind::ReturnAndRefund;
        let path = [
            E::Approve,
            E::ShipReturn,
            E::Receive,
            E::StartRefund,
            E::RefundSucceeded,
        ];
        assert_eq!(walk(kind, &path).ok(), Some(Refunded));
        assert!(walk(kind, &[E::Approve, E::StartRefund]).is_err());
        assert!(walk(kind, &[E::Approve, E::Receive]).is_err());
    }

    #[test]
    fn a_failed_refund_can_be_retried_or_rejected() {
        let failed = [E::Approve, E::StartRefund, E::RefundFailed];
        let kind = AfterSaleKind::RefundOnly;
        assert_eq!(walk(kind, &failed).ok(), Some(RefundFailed));
        let retried = [failed.as_slice(), &[E::StartRefund, E::RefundSucceeded]].concat();
        assert_eq!(walk(kind, &retried).ok(), Some(Refunded));
        let given_up = [failed.as_slice(), &[E::Reject]].concat();
        assert_eq!(walk(kind, &given_up).ok(), Some(Rejected));
    }

    #[test]
    fn finished_after_sales_accept_no_event() {
        for kind in [AfterSaleKind::RefundOnly, AfterSaleKind::ReturnAndRefund] {
            for from in [Refunded, Rejected, Withdrawn] {
                for event in EVENTS {
                    assert!(next_after_sale_status(kind, from, event).is_err());
                }
            }
        }
    }

    fn row_made_ago(minutes: i64, status: AfterSaleStatus) -> after_sale::Model {
        let at = now() - chrono::Duration::minutes(minutes);
        after_sale::Model {
            tenant_id: Uuid::nil(),
            id: Uuid::nil(),
            order_id: Uuid::nil(),
            order_no: "1".to_owned(),
            customer_id: Uuid::nil(),
            kind: "refund_only".to_owned(),
            status: status.as_str().to_owned(),
            initiated_by: "customer".to_owned(),
            reason: "坏了".to_owned(),
            photos: serde_json::json!([]),
            lines: serde_json::json!([]),
            goods_fen: 0,
            freight_fen: 0,
            amount_fen: 0,
            reject_reason: None,
            return_carrier: None,
            return_tracking_no: None,
            refund_attempt: 0,
            out_refund_no: None,
            refund_error: None,
            refunded_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn only_an_after_sale_waiting_for_the_merchant_over_30_minutes_is_over_the_target() {
        let over = |minutes, status| {
            view_of(row_made_ago(minutes, status), Vec::new())
                .map(|view| (view.over_answer_target, view.age_seconds >= minutes * 60))
                .ok()
        };
        assert_eq!(over(29, Requested), Some((false, true)));
        assert_eq!(over(31, Requested), Some((true, true)));
        assert_eq!(over(31, ReturnShipped), Some((true, true)));
        for answered in [AwaitingReturn, Refunding, Refunded, Rejected, Withdrawn] {
            assert_eq!(over(31, answered), Some((false, true)));
        }
    }

    #[test]
    fn the_customer_cannot_withdraw_once_the_refund_started_or_the_goods_left() {
        for from in [Approved, ReturnShipped, Received, Refunding, RefundFailed] {
            assert!(
                next_after_sale_status(AfterSaleKind::ReturnAndRefund, from, E::Withdraw).is_err()
            );
        }
    }
}
