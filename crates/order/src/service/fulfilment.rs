//! The merchant's order desk beyond the lifecycle: shipping with an electronic waybill (the label
//! stored with the shipment, in the same transaction), the merchant's remark, the customer's
//! parcel for tracking.

use customer::CustomerPrincipal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};
use tenant::{AdminPrincipal, Permission};

use super::lifecycle::{customer_order_row, load_order, next_status, status_of};
use super::merchant::{advance_in, order_row, parse_shipment, shipping_upload_of};
use super::now;
use super::senders::sender_for_waybill;
use crate::entity::{order, order_line, waybill};
use crate::error::OrderError;
use crate::fulfilment::{
    NewWaybill, ParcelToTrack, RemarkIn, SenderAddress, ShipOrderIn, ShipPlan, ShippedOrder,
    WaybillIn, WaybillLabel, WaybillOrder,
};
use crate::model::{Actor, Address, OrderEvent, ShipmentIn, ShippingUpload};
use crate::repo::scoped;

/// `carrier` + `tracking_no`, or `waybill`: exactly one of the two.
pub fn parse_ship_plan(input: &ShipOrderIn) -> Result<ShipPlan, OrderError> {
    match (&input.carrier, &input.tracking_no, &input.waybill) {
        (None, None, Some(waybill)) => {
            let carrier_code = waybill.carrier_code.trim().to_ascii_uppercase();
            if carrier_code.is_empty()
                || carrier_code.len() > 10
                || !carrier_code.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(OrderError::invalid(
                    "waybill.carrier_code",
                    "a KDNiao shipper code: 1 to 10 letters or digits, e.g. SF, ZTO, YTO",
                ));
            }
            Ok(ShipPlan::Waybill(WaybillIn {
                carrier_code,
                sender_address_id: waybill.sender_address_id,
            }))
        }
        (carrier, tracking_no, None) if carrier.is_some() || tracking_no.is_some() => {
            let manual = ShipmentIn {
                carrier: carrier.clone().unwrap_or_default(),
                tracking_no: tracking_no.clone().unwrap_or_default(),
            };
            parse_shipment(&manual)?;
            Ok(ShipPlan::Manual(manual))
        }
        _ => Err(OrderError::invalid(
            "waybill",
            "give either carrier and tracking_no, or waybill",
        )),
    }
}

/// Everything KDNiao needs for the order's waybill, checked before KDNiao is called: the order is
/// the shop's and paid (not yet shipped), the sender address exists.
pub async fn prepare_waybill(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    order_no: &str,
    input: &WaybillIn,
) -> Result<WaybillOrder, OrderError> {
    principal.require(Permission::ManageOrders)?;
    let tenant = principal.tenant_id;
    let row = order_row(db, tenant, order_no).await?;
    next_status(status_of(&row.status), OrderEvent::Ship)?;
    let sender = sender_for_waybill(db, tenant, input.sender_address_id).await?;
    let receiver: Address = serde_json::from_value(row.address.clone())
        .map_err(|e| sea_orm::DbErr::Custom(format!("order address: {e}")))?;
    let goods = scoped(tenant)
        .order_lines()
        .filter(order_line::Column::OrderId.eq(row.id))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|line| (line.title, line.quantity))
        .collect();
    Ok(WaybillOrder {
        order_no: row.order_no,
        carrier_code: input.carrier_code.clone(),
        receiver,
        sender,
        goods,
    })
}

fn label_of(order_no: &str, row: waybill::Model) -> Result<WaybillLabel, OrderError> {
    let sender: SenderAddress = serde_json::from_value(row.sender)
        .map_err(|e| sea_orm::DbErr::Custom(format!("waybill sender: {e}")))?;
    Ok(WaybillLabel {
        order_no: order_no.to_owned(),
        shipper_code: row.shipper_code,
        logistic_code: row.logistic_code,
        kdn_order_code: row.kdn_order_code,
        mark_destination: row.mark_destination,
        print_template: row.print_template,
        sender,
        created_at: row.created_at,
    })
}

/// Ships a paid order with the waybill KDNiao issued for it: the move to `shipped` (carrier =
/// shipper code, tracking number = the waybill's) and the stored label in one transaction.
pub async fn ship_order_with_waybill<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &AdminPrincipal,
    prepared: &WaybillOrder,
    issued: &NewWaybill,
) -> Result<(ShippedOrder, ShippingUpload), OrderError> {
    principal.require(Permission::ManageOrders)?;
    let tenant = principal.tenant_id;
    let row = order_row(db, tenant, &prepared.order_no).await?;
    let (carrier, tracking_no) = parse_shipment(&ShipmentIn {
        carrier: issued.shipper_code.clone(),
        tracking_no: issued.logistic_code.clone(),
    })?;
    let txn = db.begin().await?;
    let (c, t) = (carrier.clone(), tracking_no.clone());
    advance_in(
        &txn,
        tenant,
        &row,
        OrderEvent::Ship,
        Actor::Merchant,
        &format!("shipped with KDNiao waybill {carrier} {tracking_no}"),
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
    waybill::Entity::insert(waybill::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        id: Set(kernel::new_id()),
        order_id: Set(row.id),
        shipper_code: Set(carrier),
        logistic_code: Set(tracking_no),
        kdn_order_code: Set(issued.kdn_order_code.clone()),
        mark_destination: Set(issued.mark_destination.clone()),
        print_template: Set(issued.print_template.clone()),
        sender: Set(serde_json::to_value(&prepared.sender).unwrap_or_default()),
        created_at: Set(now()),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    let row = order_row(db, tenant, &prepared.order_no).await?;
    let upload = shipping_upload_of(&row);
    let order = load_order(db, tenant, row).await?;
    let waybill = waybill_of(db, principal, &prepared.order_no).await?;
    Ok((ShippedOrder { order, waybill }, upload))
}

async fn waybill_of(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    order_no: &str,
) -> Result<Option<WaybillLabel>, OrderError> {
    let row = order_row(db, principal.tenant_id, order_no).await?;
    scoped(principal.tenant_id)
        .waybills()
        .filter(waybill::Column::OrderId.eq(row.id))
        .one(db)
        .await?
        .map(|waybill| label_of(order_no, waybill))
        .transpose()
}

/// The order's waybill label, to print again.
pub async fn get_waybill(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    order_no: &str,
) -> Result<WaybillLabel, OrderError> {
    principal.require(Permission::ViewOrders)?;
    waybill_of(db, principal, order_no)
        .await?
        .ok_or(OrderError::WaybillNotFound)
}

/// The merchant's own note on an order (at most 200 characters; empty clears it). Not a
/// transition, so it is not in the timeline; never shown to the customer.
pub async fn set_merchant_remark(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    order_no: &str,
    input: &RemarkIn,
) -> Result<crate::model::Order, OrderError> {
    principal.require(Permission::ManageOrders)?;
    let remark = input.remark.trim();
    if remark.chars().count() > 200 {
        return Err(OrderError::invalid("remark", "at most 200 characters"));
    }
    let tenant = principal.tenant_id;
    let updated = scoped(tenant)
        .update_orders()
        .filter(order::Column::OrderNo.eq(order_no))
        .col_expr(
            order::Column::MerchantRemark,
            Expr::value((!remark.is_empty()).then(|| remark.to_owned())),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(now()))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(OrderError::OrderNotFound);
    }
    let row = order_row(db, tenant, order_no).await?;
    load_order(db, tenant, row).await
}

/// The customer's own shipped order's parcel, to ask the carrier about.
pub async fn parcel_to_track(
    db: &impl ConnectionTrait,
    principal: &CustomerPrincipal,
    order_no: &str,
) -> Result<ParcelToTrack, OrderError> {
    let row = customer_order_row(db, principal, order_no).await?;
    let (Some(carrier), Some(tracking_no)) = (row.carrier, row.tracking_no) else {
        return Err(OrderError::NotShipped);
    };
    Ok(ParcelToTrack {
        order_no: row.order_no,
        carrier,
        tracking_no,
        consignee_mobile: row.address["mobile"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ship(carrier: Option<&str>, tracking_no: Option<&str>, waybill: bool) -> ShipOrderIn {
        ShipOrderIn {
            carrier: carrier.map(str::to_owned),
            tracking_no: tracking_no.map(str::to_owned),
            waybill: waybill.then(|| WaybillIn {
                carrier_code: " sf ".to_owned(),
                sender_address_id: None,
            }),
        }
    }

    #[test]
    fn a_shipment_is_either_a_tracking_number_or_a_waybill() {
        assert!(matches!(
            parse_ship_plan(&ship(Some("SF"), Some("SF123"), false)),
            Ok(ShipPlan::Manual(_))
        ));
        assert!(matches!(
            parse_ship_plan(&ship(None, None, true)),
            Ok(ShipPlan::Waybill(WaybillIn { carrier_code, .. })) if carrier_code == "SF"
        ));
        for bad in [
            ship(None, None, false),
            ship(Some("SF"), Some("SF123"), true),
            ship(Some("SF"), None, false),
            ship(None, Some("a b"), false),
        ] {
            assert!(parse_ship_plan(&bad).is_err(), "{bad:?}");
        }
    }
}
