//! Checkout: the preview, and the submit that reserves stock and writes the order in one
//! transaction, idempotently.

use catalog::{CatalogCache, StockChange};
use chrono::Duration;
use customer::CustomerPrincipal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, SqlErr,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::addresses::{address_from_row, address_row};
use super::lifecycle::{load_order, record_transition};
use super::pricing::{FreightPolicy, price};
use super::reserve::{self, Reservation};
use super::{now, parse};
use crate::entity::{address, cart_line, order, order_line};
use crate::error::OrderError;
use crate::model::{Actor, Address, CheckoutIn, LineIn, Order, OrderStatus, Pricing, PromoOrderIn};
use crate::repo::scoped;

/// The checkout's lines: those given, or the whole cart.
async fn checkout_lines(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    input: &CheckoutIn,
) -> Result<Vec<LineIn>, OrderError> {
    match &input.lines {
        Some(lines) => parse::lines(lines),
        None => {
            let cart: Vec<LineIn> = scoped(principal.tenant_id)
                .cart_lines()
                .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
                .all(db)
                .await?
                .into_iter()
                .map(|row| LineIn {
                    sku_id: row.sku_id,
                    quantity: row.quantity,
                })
                .collect();
            parse::lines(&cart)
        }
    }
}

async fn checkout_address(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    id: Option<Uuid>,
) -> Result<Address, OrderError> {
    let row = match id {
        Some(id) => address_row(db, principal, id).await?,
        None => scoped(principal.tenant_id)
            .addresses()
            .filter(address::Column::CustomerId.eq(principal.customer_id))
            .filter(address::Column::IsDefault.eq(true))
            .one(db)
            .await?
            .ok_or_else(|| OrderError::invalid("address_id", "is required (no default address)"))?,
    };
    Ok(address_from_row(row))
}

async fn priced(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    input: &CheckoutIn,
) -> Result<(Pricing, Address), OrderError> {
    if input.remark.chars().count() > 200 {
        return Err(OrderError::invalid("remark", "at most 200 characters"));
    }
    let lines = checkout_lines(db, principal, input).await?;
    let sku_ids: Vec<Uuid> = lines.iter().map(|line| line.sku_id).collect();
    let skus = catalog::skus_for_checkout(db, principal.tenant_id, &sku_ids).await?;
    let address = checkout_address(db, principal, input.address_id).await?;
    let policy = match super::freight_template::freight_template(db, principal.tenant_id).await? {
        Some(template) => FreightPolicy::Template {
            template,
            province: address.province.clone(),
        },
        None => super::freight::freight_rule(db, principal.tenant_id)
            .await?
            .into(),
    };
    let pricing = price(&lines, &skus, policy)?;
    Ok((pricing, address))
}

/// What the order would cost, each figure with its rule. Nothing is reserved or written.
pub async fn preview_checkout(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    input: &CheckoutIn,
) -> Result<Pricing, OrderError> {
    Ok(priced(db, principal, input).await?.0)
}

/// `yyyyMMddHHmmss` + 10 random digits: 24 characters, valid as a WeChat Pay `out_trade_no`.
pub(crate) fn new_order_no() -> String {
    let id = kernel::new_id();
    let random = u64::from_le_bytes(id.as_bytes()[8..16].try_into().unwrap_or([0; 8]));
    format!(
        "{}{:010}",
        now().format("%Y%m%d%H%M%S"),
        random % 10_000_000_000
    )
}

/// SHA-256 of the canonical form of a checkout request: the address, the lines as sent (or
/// `null` for the whole cart) and the trimmed remark, in a fixed order.
pub(crate) fn request_digest(input: &CheckoutIn) -> String {
    let lines = input.lines.as_ref().map(|lines| {
        lines
            .iter()
            .map(|line| serde_json::json!([line.sku_id, line.quantity]))
            .collect::<Vec<_>>()
    });
    let canonical = serde_json::json!([input.address_id, lines, input.remark.trim()]);
    infra::token::digest(&canonical.to_string())
}

/// The order already placed with `key`, if any. Given the request's `digest`, the key used with
/// another request is refused: a client must not get an order for something other than what it sent.
async fn find_by_key(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    key: &str,
    digest: Option<&str>,
) -> Result<Option<Order>, OrderError> {
    let row = scoped(principal.tenant_id)
        .orders()
        .filter(order::Column::CustomerId.eq(principal.customer_id))
        .filter(order::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?;
    match row {
        Some(row) => {
            if row
                .request_digest
                .as_deref()
                .zip(digest)
                .is_some_and(|(stored, asked)| stored != asked)
            {
                return Err(OrderError::IdempotencyKeyReused);
            }
            Ok(Some(
                load_order(db, principal.tenant_id, row)
                    .await?
                    .for_customer(),
            ))
        }
        None => Ok(None),
    }
}

enum Attempt {
    Placed(Uuid),
    /// The unique index refused the insert (the key, or rarely the number, was taken).
    Duplicate,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one write shared by checkout and promotions"
)]
async fn write_order<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    key: &str,
    input: &CheckoutIn,
    pricing: &Pricing,
    address: &Address,
    payment_timeout: Duration,
    promo_activity_id: Option<Uuid>,
) -> Result<Attempt, OrderError> {
    let tenant = principal.tenant_id;
    let now = now();
    let order_id = kernel::new_id();
    let txn = db.begin().await?;
    // The write comes first, so SQLite takes its write lock at once and the key is claimed.
    let inserted = order::Entity::insert(order::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(order_id),
        order_no: Set(new_order_no()),
        customer_id: Set(principal.customer_id),
        payer_openid: Set(principal.openid.clone()),
        idempotency_key: Set(key.to_owned()),
        status: Set(OrderStatus::PendingPayment.as_str().to_owned()),
        goods_total: Set(pricing.goods_total.amount),
        discount_total: Set(pricing.discounts.iter().map(|d| d.amount).sum()),
        freight: Set(pricing.freight.amount),
        payable: Set(pricing.payable.amount),
        pricing: Set(serde_json::to_value(pricing).unwrap_or_default()),
        address: Set(serde_json::to_value(address).unwrap_or_default()),
        remark: Set(input.remark.trim().to_owned()),
        cancel_reason: Set(None),
        expires_at: Set(now + payment_timeout),
        paid_at: Set(None),
        carrier: Set(None),
        tracking_no: Set(None),
        shipped_at: Set(None),
        shipping_upload: Set(None),
        shipping_upload_error: Set(None),
        merchant_remark: Set(None),
        request_digest: Set(Some(request_digest(input))),
        refund_claimed_fen: Set(0),
        refunded_fen: Set(0),
        promo_activity_id: Set(promo_activity_id),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await;
    if let Err(error) = inserted {
        if is_unique_violation(&error) {
            return Ok(Attempt::Duplicate);
        }
        return Err(error.into());
    }
    // A promotion's lines were set aside from the SKUs when the promotion was created.
    let stock_lines = if promo_activity_id.is_some() {
        &pricing.lines[..0]
    } else {
        &pricing.lines[..]
    };
    for line in stock_lines {
        catalog::adjust_stock(
            &txn,
            tenant,
            StockChange {
                sku_id: line.sku_id,
                delta: -line.quantity,
                reason: "order_reserve".to_owned(),
                note: order_id.to_string(),
                actor_id: None,
            },
        )
        .await
        .map_err(|error| match error {
            catalog::CatalogError::InsufficientStock {
                available,
                requested,
            } => OrderError::InsufficientStock {
                sku_id: line.sku_id,
                available,
                requested,
            },
            other => other.into(),
        })?;
    }
    order_line::Entity::insert_many(pricing.lines.iter().map(|line| order_line::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        order_id: Set(order_id),
        sku_id: Set(line.sku_id),
        product_id: Set(line.product_id),
        title: Set(line.title.clone()),
        spec_text: Set(line.spec_text.clone()),
        image: Set(line.image.clone()),
        unit_price: Set(line.unit_price),
        quantity: Set(line.quantity),
        line_total: Set(line.line_total),
        after_sale_qty: Set(0),
    }))
    .exec_without_returning(&txn)
    .await?;
    record_transition(
        &txn,
        tenant,
        order_id,
        None,
        OrderStatus::PendingPayment,
        Actor::Customer,
        "submitted",
    )
    .await?;
    if promo_activity_id.is_none() {
        let sku_ids: Vec<Uuid> = pricing.lines.iter().map(|line| line.sku_id).collect();
        scoped(tenant)
            .delete_cart_lines()
            .filter(cart_line::Column::CustomerId.eq(principal.customer_id))
            .filter(cart_line::Column::SkuId.is_in(sku_ids))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Attempt::Placed(order_id))
}

fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Places the order: the same `idempotency_key` always gives the same order. Stock for every line
/// is reserved (Redis first when configured, the database as the final guard) in the transaction
/// that writes the order; on any failure nothing is reserved and nothing is written.
pub async fn submit_order<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    principal: &CustomerPrincipal,
    idempotency_key: Option<&str>,
    input: &CheckoutIn,
    payment_timeout: Duration,
) -> Result<Order, OrderError> {
    let tenant = principal.tenant_id;
    let key = parse::idempotency_key(idempotency_key)?;
    let digest = request_digest(input);
    if let Some(existing) = find_by_key(db, principal, &key, Some(&digest)).await? {
        return Ok(existing);
    }
    let (pricing, address) = priced(db, principal, input).await?;
    let lines: Vec<(Uuid, i64)> = pricing
        .lines
        .iter()
        .map(|line| (line.sku_id, line.quantity))
        .collect();
    for _ in 0..3 {
        let reservation = reserve::reserve(db, hot, tenant, &lines).await?;
        let attempt = write_order(
            db,
            principal,
            &key,
            input,
            &pricing,
            &address,
            payment_timeout,
            None,
        )
        .await;
        let placed = match attempt {
            Ok(Attempt::Placed(order_id)) => Some(order_id),
            Ok(Attempt::Duplicate) => None,
            Err(error) => {
                if reservation == Reservation::Reserved {
                    reserve::release(hot, tenant, &lines).await;
                }
                return Err(error);
            }
        };
        let Some(order_id) = placed else {
            if reservation == Reservation::Reserved {
                reserve::release(hot, tenant, &lines).await;
            }
            if let Some(existing) = find_by_key(db, principal, &key, Some(&digest)).await? {
                return Ok(existing);
            }
            continue;
        };
        hot.bump(tenant).await;
        let row = scoped(tenant)
            .orders()
            .filter(order::Column::Id.eq(order_id))
            .one(db)
            .await?
            .ok_or(OrderError::OrderNotFound)?;
        let placed = load_order(db, tenant, row).await?;
        tracing::info!(tenant.id = %tenant, order.no = %placed.order_no, order.payable = placed.payable, "order placed");
        return Ok(placed);
    }
    Err(OrderError::Database(DbErr::Custom(
        "could not allocate a unique order number".to_owned(),
    )))
}

/// The customer's order placed with `idempotency_key`, if any (a promotion checks it before
/// reserving anything, so a retried request answers with the same order).
pub async fn find_order_by_key(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    idempotency_key: &str,
) -> Result<Option<Order>, OrderError> {
    find_by_key(db, principal, idempotency_key, None).await
}

/// Places an order for lines whose stock a promotion already holds (a flash sale set it aside
/// from the SKUs): the same checkout path as [`submit_order`] (SKU snapshots, the shop's freight
/// rule, one transaction writing the order, its lines and its first transition), at the given
/// prices, marked with the promotion as its source, without touching SKU stock or the cart.
/// A duplicate `idempotency_key` gives the existing order. On an error nothing is written; the
/// caller gives its reservation back.
pub async fn place_promo_order<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &CustomerPrincipal,
    idempotency_key: &str,
    input: &PromoOrderIn,
    payment_timeout: Duration,
) -> Result<Order, OrderError> {
    let tenant = principal.tenant_id;
    let key = parse::idempotency_key(Some(idempotency_key))?;
    let lines: Vec<LineIn> = input
        .lines
        .iter()
        .map(|line| LineIn {
            sku_id: line.sku_id,
            quantity: line.quantity,
        })
        .collect();
    let lines = parse::lines(&lines)?;
    let sku_ids: Vec<Uuid> = lines.iter().map(|line| line.sku_id).collect();
    let mut skus = catalog::skus_for_checkout(db, tenant, &sku_ids).await?;
    for sku in &mut skus {
        // The promotion's price, and its stock (held by the promotion, not the SKU).
        if let Some(line) = input.lines.iter().find(|line| line.sku_id == sku.sku_id) {
            sku.price = line.unit_price;
            sku.stock = line.quantity;
        }
    }
    let rule = super::freight::freight_rule(db, tenant).await?;
    let pricing = price(&lines, &skus, rule)?;
    let address = checkout_address(db, principal, Some(input.address_id)).await?;
    let checkout = CheckoutIn {
        address_id: Some(input.address_id),
        lines: None,
        remark: String::new(),
    };
    for _ in 0..3 {
        let attempt = write_order(
            db,
            principal,
            &key,
            &checkout,
            &pricing,
            &address,
            payment_timeout,
            Some(input.promo_activity_id),
        )
        .await?;
        match attempt {
            Attempt::Placed(order_id) => {
                let row = scoped(tenant)
                    .orders()
                    .filter(order::Column::Id.eq(order_id))
                    .one(db)
                    .await?
                    .ok_or(OrderError::OrderNotFound)?;
                let placed = load_order(db, tenant, row).await?;
                tracing::info!(tenant.id = %tenant, order.no = %placed.order_no, promo.id = %input.promo_activity_id, "flash-sale order placed");
                return Ok(placed);
            }
            Attempt::Duplicate => {
                let digest = request_digest(&checkout);
                if let Some(existing) = find_by_key(db, principal, &key, Some(&digest)).await? {
                    return Ok(existing);
                }
            }
        }
    }
    Err(OrderError::Database(DbErr::Custom(
        "could not allocate a unique order number".to_owned(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_digest_depends_on_what_was_asked_only() {
        let sku_id = Uuid::nil();
        let request = |quantity: i64, remark: &str| CheckoutIn {
            address_id: Some(Uuid::nil()),
            lines: Some(vec![LineIn { sku_id, quantity }]),
            remark: remark.to_owned(),
        };
        assert_eq!(
            request_digest(&request(1, "快点")),
            request_digest(&request(1, " 快点 "))
        );
        assert_ne!(
            request_digest(&request(1, "")),
            request_digest(&request(2, ""))
        );
        assert_ne!(
            request_digest(&request(1, "")),
            request_digest(&request(1, "x"))
        );
        let whole_cart = CheckoutIn {
            lines: None,
            ..request(1, "")
        };
        assert_ne!(request_digest(&whole_cart), request_digest(&request(1, "")));
    }

    #[test]
    fn order_numbers_are_valid_wechat_pay_out_trade_nos() {
        for _ in 0..100 {
            let no = new_order_no();
            assert_eq!(no.len(), 24);
            assert!(no.bytes().all(|b| b.is_ascii_digit()), "{no}");
        }
        assert_ne!(new_order_no(), new_order_no());
    }
}
