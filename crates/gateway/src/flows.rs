//! Use cases that span several domain crates, orchestrated here so that no domain crate depends
//! on another's internals: the gateway calls each crate's public service API in turn.

use chrono::Duration;
use customer::{Customer, CustomerPrincipal, CustomerSession};
use tenant::TenantContext;

use crate::error::ApiError;
use crate::state::AppState;

/// The shop's mini-program credentials with the base URL its WeChat calls go to.
pub async fn shop_app(
    state: &AppState,
    shop: &TenantContext,
) -> Result<wechat::AppCredentials, ApiError> {
    let secrets = tenant::app_credentials(&state.db, &state.secrets, shop.tenant_id)
        .await?
        .ok_or(wechat::WechatError::NotConfigured)?;
    Ok(wechat::AppCredentials {
        appid: secrets.appid,
        secret: secrets.app_secret,
        base_url: secrets
            .api_base_url
            .unwrap_or_else(|| state.wechat.api_base_url.clone()),
    })
}

/// `wx.login()` code → code2Session with this shop's appid and secret → the shop's customer →
/// a session bound to the shop. WeChat's session_key is dropped here; it never leaves the server.
pub async fn log_in_customer(
    state: &AppState,
    shop: &TenantContext,
    code: &str,
) -> Result<CustomerSession, ApiError> {
    let app = shop_app(state, shop).await?;
    let session = state
        .wechat
        .mini_program
        .code_to_session(&app, code)
        .await?;
    let ttl = Duration::days(state.settings.security.customer_session_ttl_days);
    Ok(customer::sign_in(
        &state.db,
        shop.tenant_id,
        &session.openid,
        session.unionid.as_deref(),
        ttl,
    )
    .await?)
}

/// A `getPhoneNumber` code → the phone number WeChat confirms → kept on the customer.
pub async fn bind_customer_phone(
    state: &AppState,
    shop: &TenantContext,
    principal: &CustomerPrincipal,
    code: &str,
) -> Result<Customer, ApiError> {
    let app = shop_app(state, shop).await?;
    let base_url = app.base_url.clone();
    let phone = state
        .wechat
        .tokens
        .with_token(&app, |token| {
            let base_url = base_url.clone();
            async move {
                state
                    .wechat
                    .mini_program
                    .phone_number(&base_url, &token, code)
                    .await
            }
        })
        .await?;
    Ok(customer::bind_phone(&state.db, principal, &phone.pure_phone_number).await?)
}

/// A merchant's stock adjustment, mirrored into the order crate's Redis stock so that Redis and
/// the database keep agreeing.
pub async fn adjust_stock_by_merchant(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    sku_id: uuid::Uuid,
    input: &catalog::NewStockAdjustment,
) -> Result<catalog::StockAdjustment, ApiError> {
    let entry =
        catalog::record_stock_adjustment(&state.db, &state.catalog_cache, principal, sku_id, input)
            .await?;
    order::mirror_stock_adjustment(
        &state.catalog_cache,
        principal.tenant_id,
        sku_id,
        entry.delta,
    )
    .await;
    Ok(entry)
}

/// `POST /shop/orders/{no}/pay`: the customer's pending order → a JSAPI prepay for its payable
/// amount and the customer's openid → the `wx.requestPayment` parameters.
pub async fn pay_order(
    state: &AppState,
    customer: &CustomerPrincipal,
    order_no: &str,
    request_base_url: &str,
) -> Result<payment::RequestPaymentParams, ApiError> {
    let found = order::order_to_pay(&state.db, customer, order_no).await?;
    let base = public_base_url(state, request_base_url);
    let mut description: String = found
        .lines
        .first()
        .map(|line| line.title.clone())
        .unwrap_or_default();
    while description.len() > 120 {
        description.pop();
    }
    if description.is_empty() {
        description = found.order_no.clone();
    }
    let params = payment::prepare_jsapi_payment(
        &state.db,
        &state.payments,
        customer.tenant_id,
        payment::PaymentRequest {
            out_trade_no: found.order_no.clone(),
            description,
            amount_fen: found.payable,
            payer_openid: customer.openid.clone(),
            notify_url: format!("{base}/api/v1/pay/notify/{}", customer.tenant_id.as_uuid()),
            expires_at: Some(found.expires_at),
        },
    )
    .await?;
    Ok(params)
}

/// A payment WeChat Pay confirmed: the order is marked paid exactly once if the amount is its
/// payable; money for an order cancelled meanwhile is refunded in full.
/// For a repeated payment notification: runs the (idempotent) order side again from the recorded
/// payment, in case it failed when the payment was first recorded.
pub async fn order_payment_recorded_again(
    state: &AppState,
    tenant: kernel::TenantId,
    out_trade_no: &str,
) -> Result<(), ApiError> {
    let recorded = payment::get_payment(&state.db, tenant, out_trade_no).await?;
    let (Some(transaction_id), Some(paid_at)) = (recorded.transaction_id, recorded.paid_at) else {
        return Ok(());
    };
    let recorded = payment::PaymentRecorded {
        out_trade_no: recorded.out_trade_no,
        transaction_id,
        amount_fen: recorded.amount_fen,
        paid_at,
        was_closed: false,
    };
    order_payment_recorded(state, tenant, &recorded).await
}

pub async fn order_payment_recorded(
    state: &AppState,
    tenant: kernel::TenantId,
    recorded: &payment::PaymentRecorded,
) -> Result<(), ApiError> {
    let outcome = order::mark_order_paid(
        &state.db,
        tenant,
        &recorded.out_trade_no,
        recorded.amount_fen,
        recorded.paid_at,
    )
    .await?;
    match outcome {
        order::PaidOutcome::Cancelled { .. } => {
            // Idempotent all the way: the refund by its number, the flag and the note by checks.
            let out_refund_no = format!("{}C", recorded.out_trade_no);
            let refund = payment::refund(
                &state.db,
                &state.payments,
                tenant,
                payment::RefundRequest {
                    out_trade_no: recorded.out_trade_no.clone(),
                    out_refund_no: out_refund_no.clone(),
                    amount_fen: recorded.amount_fen,
                    total_fen: recorded.amount_fen,
                    reason: Some("订单已取消".to_owned()),
                    // The refund's result goes where the payment's went.
                    notify_url: Some(
                        payment::get_payment(&state.db, tenant, &recorded.out_trade_no)
                            .await?
                            .notify_url,
                    ),
                },
            )
            .await?;
            let flagged =
                payment::flag_late_payment_refunded(&state.db, tenant, &recorded.out_trade_no)
                    .await?;
            order::note_late_payment_refunded(
                &state.db,
                tenant,
                &recorded.out_trade_no,
                &refund.out_refund_no,
            )
            .await?;
            if flagged {
                tracing::warn!(tenant.id = %tenant, order.no = %recorded.out_trade_no, refund.out_refund_no = %out_refund_no, "paid after cancellation; refunded and flagged");
            }
        }
        order::PaidOutcome::AmountMismatch { payable } => {
            tracing::error!(tenant.id = %tenant, order.no = %recorded.out_trade_no, order.payable = payable,
                payment.amount = recorded.amount_fen, "paid amount is not the order's payable; left pending");
        }
        order::PaidOutcome::MarkedPaid
        | order::PaidOutcome::AlreadyPaid
        | order::PaidOutcome::NoSuchOrder => {}
    }
    // Done (a mismatch needs a person, not a retry): the worker stops re-running it.
    payment::mark_order_settled(&state.db, tenant, &recorded.out_trade_no).await?;
    Ok(())
}

/// Uploads one shipment to WeChat (`upload_shipping_info`, keyed by the payment's transaction id)
/// and records how it went; a failure stays queued for the retry worker.
pub async fn upload_shipment(
    state: &AppState,
    upload: &order::ShippingUpload,
) -> Result<(), ApiError> {
    let tenant = upload.tenant_id;
    let attempt: Result<(), String> = async {
        let secrets = tenant::app_credentials(&state.db, &state.secrets, tenant)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the shop has no mini-program bound")?;
        let app = wechat::AppCredentials {
            appid: secrets.appid,
            secret: secrets.app_secret,
            base_url: secrets
                .api_base_url
                .unwrap_or_else(|| state.wechat.api_base_url.clone()),
        };
        let paid = payment::get_payment(&state.db, tenant, &upload.order_no)
            .await
            .map_err(|e| e.to_string())?;
        let transaction_id = paid
            .transaction_id
            .ok_or("the payment has no transaction id")?;
        let body = serde_json::json!({
            "order_key": {"order_number_type": 2, "transaction_id": transaction_id},
            "logistics_type": 1,
            "delivery_mode": 1,
            "shipping_list": [{
                "tracking_no": upload.tracking_no,
                "express_company": wechat_delivery_id(&upload.carrier),
                "item_desc": upload.item_desc,
                "contact": {"receiver_contact": mask_mobile(&upload.consignee_mobile)},
            }],
            "upload_time": chrono::Utc::now().to_rfc3339(),
            "payer": {"openid": upload.payer_openid},
        });
        let base_url = app.base_url.clone();
        state
            .wechat
            .tokens
            .with_token(&app, |token| {
                let (base_url, body) = (base_url.clone(), body.clone());
                async move {
                    state
                        .wechat
                        .mini_program
                        .upload_shipping_info(&base_url, &token, &body)
                        .await
                }
            })
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    if let Err(error) = &attempt {
        tracing::warn!(tenant.id = %tenant, order.no = %upload.order_no, %error, "shipping upload to WeChat failed; will retry");
    }
    order::record_shipping_upload(&state.db, tenant, upload.order_id, attempt).await?;
    Ok(())
}

/// WeChat's `delivery_id` for a carrier code: KDNiao's codes are WeChat's but for Yunda.
fn wechat_delivery_id(carrier: &str) -> &str {
    match carrier {
        "YD" => "YUNDA",
        other => other,
    }
}

/// `138****8000`, as WeChat asks for the receiver's contact.
fn mask_mobile(mobile: &str) -> String {
    if mobile.len() == 11 {
        format!("{}****{}", &mobile[..3], &mobile[7..])
    } else {
        String::new()
    }
}

/// The merchant ships an order, with a carrier and tracking number or with a KDNiao electronic
/// waybill; the shipment is uploaded to WeChat right away (and retried by the worker while it
/// fails). A waybill is asked for only once the order is known to be paid and the sender address
/// found; if KDNiao refuses or cannot be reached, nothing is shipped.
pub async fn ship_order(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    order_no: &str,
    input: &order::ShipOrderIn,
) -> Result<order::ShippedOrder, ApiError> {
    let (waybill, upload) = match order::parse_ship_plan(input)? {
        order::ShipPlan::Manual(manual) => {
            let (_, upload) = order::ship_order(&state.db, principal, order_no, &manual).await?;
            (None, upload)
        }
        order::ShipPlan::Waybill(asked) => {
            let prepared = order::prepare_waybill(&state.db, principal, order_no, &asked).await?;
            let account = kdniao_account(state, principal.tenant_id).await?;
            let issued = state
                .wechat
                .kdniao
                .create_waybill(&account, &waybill_request(&prepared))
                .await
                .map_err(kdniao_error)?;
            tracing::info!(tenant.id = %principal.tenant_id, order.no = %order_no,
                waybill.shipper = %issued.shipper_code, waybill.no = %issued.logistic_code, "KDNiao waybill issued");
            let issued = order::NewWaybill {
                shipper_code: issued.shipper_code,
                logistic_code: issued.logistic_code,
                kdn_order_code: issued.kdn_order_code,
                mark_destination: issued.mark_destination,
                print_template: issued.print_template,
            };
            let (shipped, upload) =
                order::ship_order_with_waybill(&state.db, principal, &prepared, &issued)
                    .await
                    .inspect_err(|error| {
                        tracing::warn!(tenant.id = %principal.tenant_id, order.no = %order_no,
                            waybill.no = %issued.logistic_code, %error, "a waybill was issued but the order could not be shipped with it");
                    })?;
            (shipped.waybill, upload)
        }
    };
    upload_shipment(state, &upload).await?;
    Ok(order::ShippedOrder {
        order: order::get_order(&state.db, principal, order_no).await?,
        waybill,
    })
}

/// The shop's KDNiao account, at its own base URL or the platform's (the sandbox in sandbox mode).
async fn kdniao_account(
    state: &AppState,
    tenant: kernel::TenantId,
) -> Result<wechat::kdniao::KdniaoAccount, ApiError> {
    let credentials = order::kdniao_credentials(&state.db, &state.secrets, tenant).await?;
    Ok(wechat::kdniao::KdniaoAccount {
        ebusiness_id: credentials.ebusiness_id,
        app_key: credentials.app_key,
        base_url: credentials
            .api_base_url
            .unwrap_or_else(|| state.wechat.kdniao_base_url.clone()),
    })
}

/// KDNiao's refusals (its ResultCode and reason) and failures to reach it, as order errors (502).
fn kdniao_error(error: wechat::WechatError) -> order::OrderError {
    match error {
        wechat::WechatError::Api { errcode, errmsg } => order::OrderError::KdniaoRefused {
            code: errcode.to_string(),
            reason: errmsg,
        },
        other => order::OrderError::KdniaoUnavailable(other.to_string()),
    }
}

fn kdniao_party(
    name: &str,
    mobile: &str,
    province: &str,
    city: &str,
    district: &str,
    detail: &str,
) -> wechat::kdniao::Party {
    wechat::kdniao::Party {
        name: name.to_owned(),
        mobile: mobile.to_owned(),
        province_name: province.to_owned(),
        city_name: city.to_owned(),
        exp_area_name: district.to_owned(),
        address: detail.to_owned(),
    }
}

/// The 1007 request for an order: its number as `OrderCode` (KDNiao answers a repeat with the
/// same waybill), paid by the sender (现付), one parcel, the label as HTML.
fn waybill_request(prepared: &order::WaybillOrder) -> wechat::kdniao::WaybillRequest {
    let (sender, receiver) = (&prepared.sender, &prepared.receiver);
    wechat::kdniao::WaybillRequest {
        order_code: prepared.order_no.clone(),
        shipper_code: prepared.carrier_code.clone(),
        pay_type: 1,
        exp_type: 1,
        sender: kdniao_party(
            &sender.name,
            &sender.mobile,
            &sender.province,
            &sender.city,
            &sender.district,
            &sender.detail,
        ),
        receiver: kdniao_party(
            &receiver.consignee,
            &receiver.mobile,
            &receiver.province,
            &receiver.city,
            &receiver.district,
            &receiver.detail,
        ),
        commodity: prepared
            .goods
            .iter()
            .map(|(title, quantity)| wechat::kdniao::Commodity {
                goods_name: title.clone(),
                goods_quantity: *quantity,
            })
            .collect(),
        quantity: 1,
        is_return_print_template: 1,
    }
}

/// Retries the shipments whose upload to WeChat has not succeeded yet.
pub async fn retry_shipping_uploads(state: &AppState) -> Result<usize, ApiError> {
    let pending = order::pending_shipping_uploads(&state.db, 50).await?;
    for upload in &pending {
        upload_shipment(state, upload).await?;
    }
    Ok(pending.len())
}

/// Closes the WeChat payment of a cancelled order, if one was prepared, so the customer can no
/// longer pay it. Best effort: money that still arrives is refunded by `order_payment_recorded`;
/// a failed close is retried by the reconciliation pass.
pub async fn close_order_payment(state: &AppState, tenant: kernel::TenantId, order_no: &str) {
    match payment::close_payment(&state.db, &state.payments, tenant, order_no).await {
        Ok(()) | Err(payment::PaymentError::PaymentNotFound) => {}
        // Paid before the cancellation, its notification lost (or its order side failed): record
        // it from WeChat and run the order side, which refunds and flags it now the order is
        // cancelled.
        Err(payment::PaymentError::AlreadyPaid) => {
            let settled = async {
                payment::query_payment(&state.db, &state.payments, tenant, order_no).await?;
                order_payment_recorded_again(state, tenant, order_no).await
            }
            .await;
            if let Err(error) = settled {
                tracing::warn!(tenant.id = %tenant, order.no = %order_no, %error, "refunding the cancelled order's payment failed");
            }
        }
        Err(error) => {
            tracing::warn!(tenant.id = %tenant, order.no = %order_no, %error, "closing the cancelled order's payment failed");
        }
    }
}

/// The customer cancels an unpaid order: stock returned, payment closed.
pub async fn cancel_order_by_customer(
    state: &AppState,
    customer: &CustomerPrincipal,
    order_no: &str,
) -> Result<order::Order, ApiError> {
    let cancelled =
        order::cancel_order(&state.db, &state.catalog_cache, customer, order_no).await?;
    close_order_payment(state, customer.tenant_id, order_no).await;
    if cancelled.promo_activity_id.is_some() {
        release_flash_sale_order(state, customer.tenant_id, order_no).await?;
    }
    Ok(cancelled)
}

/// The merchant cancels an unpaid order with a reason: stock returned, payment closed.
pub async fn cancel_order_by_merchant(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    order_no: &str,
    input: &order::MerchantCancelIn,
) -> Result<order::Order, ApiError> {
    let cancelled = order::cancel_order_by_merchant(
        &state.db,
        &state.catalog_cache,
        principal,
        order_no,
        input,
    )
    .await?;
    close_order_payment(state, principal.tenant_id, order_no).await;
    if cancelled.promo_activity_id.is_some() {
        release_flash_sale_order(state, principal.tenant_id, order_no).await?;
    }
    Ok(cancelled)
}

/// The most items one batch-ship request may carry.
pub const MAX_BATCH_SHIP_ITEMS: usize = 50;

/// Ships each item in turn, each on its own (one transaction and one KDNiao call per item): a bad
/// item is reported with its error code and message and does not stop the others.
pub async fn batch_ship(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    items: &[crate::routes::admin::orders::BatchShipItem],
) -> Result<crate::routes::admin::orders::BatchShipOut, ApiError> {
    use crate::routes::admin::orders::{BatchShipError, BatchShipOut, BatchShipResult};
    principal.require(tenant::Permission::ManageOrders)?;
    if items.is_empty() || items.len() > MAX_BATCH_SHIP_ITEMS {
        return Err(order::OrderError::invalid(
            "items",
            format!("1 to {MAX_BATCH_SHIP_ITEMS} items per request"),
        )
        .into());
    }
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let input = order::ShipOrderIn {
            carrier: item.carrier.clone(),
            tracking_no: item.tracking_no.clone(),
            waybill: item.waybill.clone(),
        };
        let result = match ship_order(state, principal, item.order_no.trim(), &input).await {
            Ok(shipped) => BatchShipResult {
                order_no: item.order_no.clone(),
                ok: true,
                shipped: Some(shipped),
                error: None,
            },
            Err(error) => BatchShipResult {
                order_no: item.order_no.clone(),
                ok: false,
                shipped: None,
                error: Some(BatchShipError {
                    status: error.status().as_u16(),
                    code: error.code().to_owned(),
                    message: error.message().to_owned(),
                }),
            },
        };
        results.push(result);
    }
    let shipped = results.iter().filter(|result| result.ok).count();
    Ok(BatchShipOut {
        shipped,
        failed: results.len() - shipped,
        results,
    })
}

/// How long a tracking answer is reused: the carrier's traces move in hours, customers refresh in
/// seconds.
const TRACKING_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(120);

/// `GET /shop/orders/{no}/tracking`: the customer's own shipped order → KDNiao 1002 with the
/// shop's account (cached for two minutes per order).
pub async fn track_order(
    state: &AppState,
    customer: &CustomerPrincipal,
    order_no: &str,
) -> Result<order::TrackingOut, ApiError> {
    let parcel = order::parcel_to_track(&state.db, customer, order_no).await?;
    let key = infra::CacheKey::tenant(
        customer.tenant_id,
        &["order", "tracking", &parcel.order_no, &parcel.tracking_no],
    );
    if let Some(cached) = state.cache.get_json::<order::TrackingOut>(&key).await {
        return Ok(cached);
    }
    let account = kdniao_account(state, customer.tenant_id).await?;
    let last_four = parcel
        .consignee_mobile
        .get(parcel.consignee_mobile.len().saturating_sub(4)..)
        .unwrap_or_default();
    let tracking = state
        .wechat
        .kdniao
        .track_parcel(&account, &parcel.carrier, &parcel.tracking_no, last_four)
        .await
        .map_err(kdniao_error)?;
    let answer = order::TrackingOut {
        order_no: parcel.order_no,
        carrier: parcel.carrier,
        tracking_no: parcel.tracking_no,
        state_text: order::tracking_state_text(&tracking.state).to_owned(),
        state: tracking.state,
        traces: tracking
            .traces
            .into_iter()
            .map(|trace| order::TrackingTrace {
                time: trace.accept_time,
                station: trace.accept_station,
            })
            .collect(),
        fetched_at: chrono::Utc::now(),
    };
    state
        .cache
        .set_json(&key, &answer, TRACKING_CACHE_TTL)
        .await;
    Ok(answer)
}

/// Mirrors the SKU stock moves a promo call made (already in the catalog's ledger) into the
/// order crate's Redis stock, and tells the catalog cache the stock changed.
async fn mirror_promo_moves(
    state: &AppState,
    tenant: kernel::TenantId,
    moves: &[promo::StockMove],
) {
    for change in moves {
        order::mirror_stock_adjustment(&state.catalog_cache, tenant, change.sku_id, change.delta)
            .await;
    }
    if !moves.is_empty() {
        state.catalog_cache.bump(tenant).await;
    }
}

/// A merchant creates a flash sale: its quantity leaves the SKUs' stock (ledger and Redis).
pub async fn create_flash_sale(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    input: &promo::FlashSaleIn,
) -> Result<promo::FlashSale, ApiError> {
    let (sale, moves) = promo::create_flash_sale(&state.db, principal, input).await?;
    mirror_promo_moves(state, principal.tenant_id, &moves).await;
    Ok(sale)
}

/// A merchant edits a flash sale before it starts: the old quantities go back, the new are taken.
pub async fn update_flash_sale(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    id: uuid::Uuid,
    input: &promo::FlashSaleIn,
) -> Result<promo::FlashSale, ApiError> {
    let (sale, moves) = promo::update_flash_sale(&state.db, principal, id, input).await?;
    mirror_promo_moves(state, principal.tenant_id, &moves).await;
    Ok(sale)
}

/// A merchant stops a flash sale: the unsold remainder goes back to the SKUs, once.
pub async fn stop_flash_sale(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    id: uuid::Uuid,
) -> Result<promo::FlashSale, ApiError> {
    let (sale, moves) = promo::stop_flash_sale(&state.db, &state.cache, principal, id).await?;
    mirror_promo_moves(state, principal.tenant_id, &moves).await;
    Ok(sale)
}

/// `POST /shop/flash-sales/{id}/orders`: the tenant's budget, the rate limits, the same order for
/// a repeated key, then the reservation (one Redis step, the database's guard) and the order
/// through the order crate's checkout path at the sale price. A failure after the reservation
/// gives the unit back.
pub async fn buy_flash_sale(
    state: &AppState,
    customer: &CustomerPrincipal,
    sale_id: uuid::Uuid,
    input: &promo::BuyIn,
    idempotency_key: Option<&str>,
    client_ip: &str,
) -> Result<order::Order, ApiError> {
    let tenant = customer.tenant_id;
    let _permit = state.promo_budget.try_enter(tenant)?;
    state
        .promo_limiter
        .check(tenant, customer.customer_id, client_ip)
        .await?;
    let key = idempotency_key.unwrap_or_default();
    if let Some(existing) = order::find_order_by_key(&state.db, customer, key).await? {
        return Ok(existing);
    }
    let reserved =
        promo::reserve_purchase(&state.db, &state.cache, customer, sale_id, input, key).await?;
    let placed = order::place_promo_order(
        &state.db,
        customer,
        key,
        &order::PromoOrderIn {
            promo_activity_id: sale_id,
            address_id: input.address_id,
            lines: vec![order::PromoLine {
                sku_id: reserved.sku_id,
                quantity: reserved.quantity,
                unit_price: reserved.sale_price_fen,
            }],
        },
        Duration::seconds(state.settings.orders.payment_timeout_secs),
    )
    .await;
    let attached = match placed {
        Ok(placed) => {
            promo::attach_order(&state.db, tenant, reserved.purchase_id, &placed.order_no)
                .await
                .map(|()| placed)
                .map_err(ApiError::from)
        }
        Err(error) => Err(ApiError::from(error)),
    };
    match attached {
        Ok(placed) => Ok(placed),
        Err(error) => {
            match promo::give_back(&state.db, &state.cache, tenant, reserved.purchase_id).await {
                Ok(moves) => mirror_promo_moves(state, tenant, &moves).await,
                Err(release) => {
                    tracing::error!(tenant.id = %tenant, purchase.id = %reserved.purchase_id, error = %release, "flash-sale unit not given back");
                }
            }
            Err(error)
        }
    }
}

/// A cancelled flash-sale order's units go back to its sale (or to the SKU once the sale is
/// settled) and the customer's limit is given back, exactly once.
pub async fn release_flash_sale_order(
    state: &AppState,
    tenant: kernel::TenantId,
    order_no: &str,
) -> Result<(), ApiError> {
    let moves = promo::release_for_order(&state.db, &state.cache, tenant, order_no).await?;
    mirror_promo_moves(state, tenant, &moves).await;
    Ok(())
}

/// The worker's sweep of unpaid orders past their deadline (every shop): each is cancelled once
/// (stock returned), its prepared WeChat payment closed (a close that fails stays asked for and is
/// retried by [`reconcile_payments`]), and flash-sale units given back to their sales.
pub async fn sweep_unpaid_orders(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<order::SweepReport, ApiError> {
    let report = order::cancel_expired_orders(&state.db, &state.catalog_cache, now).await?;
    for (tenant, order_no) in &report.cancelled_in {
        close_order_payment(state, *tenant, order_no).await;
    }
    for (tenant, order_no) in &report.promo_cancelled {
        release_flash_sale_order(state, *tenant, order_no).await?;
    }
    Ok(report)
}

/// What one reconciliation pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Payments queried at WeChat by this pass (claimed by it).
    pub checked: usize,
    /// Found paid at WeChat and recorded now (their order side ran).
    pub recovered: Vec<(kernel::TenantId, String)>,
    /// Closed at WeChat now (an earlier close failed, or past the deadline).
    pub closed: usize,
    /// Paid payments whose failed order side was run again, successfully.
    pub resettled: usize,
    /// Queries or closes that failed (retried after the backoff).
    pub failed: usize,
}

/// One reconciliation pass: every pending payment due a check (prepay older than
/// `payments.reconcile_after_secs`, or a close asked for) is claimed by a conditional update (so
/// several gateway processes never query one payment at once, and each waits its backoff), then
/// queried at WeChat. Found paid: recorded exactly once and the order side run
/// ([`order_payment_recorded`]: marked paid, or refunded and flagged if the order was cancelled
/// meanwhile). Not paid, and a close was asked for (an earlier one failed) or the payment is past
/// its deadline: closed now, so pending payments do not linger. A paid payment whose order side
/// never completed (it failed, and WeChat's retries did not come) has it run again.
pub async fn reconcile_payments(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ReconcileReport, ApiError> {
    let settings = &state.settings.payments;
    let due = payment::payments_due_for_check(
        &state.db,
        now - Duration::seconds(settings.reconcile_after_secs),
        now,
        settings.reconcile_batch,
    )
    .await?;
    let mut report = ReconcileReport::default();
    for payment_due in &due {
        let tenant = payment_due.tenant_id;
        let backoff = payment::check_backoff(
            payment_due.check_count,
            Duration::seconds(settings.reconcile_backoff_secs),
            Duration::seconds(settings.reconcile_backoff_max_secs),
        );
        if !payment::claim_payment_check(&state.db, payment_due, now + backoff).await? {
            continue;
        }
        report.checked += 1;
        let no = payment_due.out_trade_no.as_str();
        let outcome: Result<(), ApiError> = async {
            if payment_due.order_side_pending {
                // Paid, but its order side failed (and WeChat's retries did not complete it).
                order_payment_recorded_again(state, tenant, no).await?;
                report.resettled += 1;
                return Ok(());
            }
            let queried = payment::query_payment(&state.db, &state.payments, tenant, no).await?;
            if let Some(recorded) = &queried.recorded {
                order_payment_recorded(state, tenant, recorded).await?;
                report.recovered.push((tenant, no.to_owned()));
            } else if (payment_due.close_requested || payment_due.expired)
                && queried.trade_state != "SUCCESS"
            {
                // Asked to close (a close failed), or past its deadline: nobody may pay it now.
                payment::close_payment(&state.db, &state.payments, tenant, no).await?;
                report.closed += 1;
            }
            Ok(())
        }
        .await;
        if let Err(error) = outcome {
            report.failed += 1;
            tracing::warn!(tenant.id = %tenant, order.no = %no, %error, "payment reconciliation failed; will retry");
        }
    }
    if !report.recovered.is_empty() || report.closed > 0 || report.resettled > 0 {
        tracing::info!(
            payments.checked = report.checked,
            payments.recovered = report.recovered.len(),
            payments.closed = report.closed,
            payments.resettled = report.resettled,
            "payments reconciled"
        );
    }
    Ok(report)
}

/// The platform's public base URL: `orders.public_base_url` when configured, else the base URL
/// the request came in on (without a trailing slash).
fn public_base_url<'a>(state: &'a AppState, request_base_url: &'a str) -> &'a str {
    match state.settings.orders.public_base_url.trim_end_matches('/') {
        "" => request_base_url.trim_end_matches('/'),
        configured => configured,
    }
}

/// Where WeChat Pay posts this shop's notifications: the configured public base URL, else the
/// base URL the request came in on; none when neither is known (a background worker).
fn pay_notify_url(
    state: &AppState,
    tenant: kernel::TenantId,
    request_base_url: &str,
) -> Option<String> {
    let base = public_base_url(state, request_base_url);
    (!base.is_empty()).then(|| format!("{base}/api/v1/pay/notify/{}", tenant.as_uuid()))
}

/// Sends the refund of an approved (or received) after-sale through WeChat Pay, once: the order
/// crate claims it (`refunding`, `out_refund_no = R<id>-<attempt>`), the payment crate reserves
/// the amount on the payment and refunds that number once. A synchronous success or refusal is
/// recorded at once; otherwise WeChat's refund notification (or a later approve, which sends the
/// same number again) settles it.
pub async fn send_after_sale_refund(
    state: &AppState,
    tenant: kernel::TenantId,
    after_sale_id: uuid::Uuid,
    request_base_url: &str,
) -> Result<(), ApiError> {
    let Some(claim) = order::claim_after_sale_refund(&state.db, tenant, after_sale_id).await?
    else {
        return Ok(());
    };
    let mut reason: String = claim.reason.chars().take(80).collect();
    if reason.is_empty() {
        reason = "售后退款".to_owned();
    }
    let sent = payment::refund(
        &state.db,
        &state.payments,
        tenant,
        payment::RefundRequest {
            out_trade_no: claim.out_trade_no.clone(),
            out_refund_no: claim.out_refund_no.clone(),
            amount_fen: claim.amount_fen,
            total_fen: claim.total_fen,
            reason: Some(reason),
            notify_url: pay_notify_url(state, tenant, request_base_url),
        },
    )
    .await;
    let result = match sent {
        Ok(refund) => refund_result(&refund),
        Err(
            error @ (payment::PaymentError::WechatRefused { .. }
            | payment::PaymentError::NotPaid
            | payment::PaymentError::PaymentNotFound
            | payment::PaymentError::RefundExceedsPaid { .. }
            | payment::PaymentError::RefundParamsChanged
            | payment::PaymentError::NotEnabled(_)
            | payment::PaymentError::Invalid { .. }),
        ) => Some(order::RefundResult::Failed(error.to_string())),
        // Unknown outcome (timeout, unverifiable answer): stays `refunding`; the notification or
        // a later approve settles it.
        Err(error) => {
            tracing::warn!(tenant.id = %tenant, after_sale.id = %after_sale_id,
                refund.out_refund_no = %claim.out_refund_no, %error, "after-sale refund outcome unknown; stays refunding");
            None
        }
    };
    if let Some(result) = result {
        order::record_after_sale_refund(&state.db, tenant, &claim.out_refund_no, result).await?;
    }
    Ok(())
}

/// What a refund's state means for its after-sale: `None` while WeChat is still at it.
fn refund_result(refund: &payment::Refund) -> Option<order::RefundResult> {
    match refund.status {
        payment::RefundStatus::Succeeded => Some(order::RefundResult::Succeeded {
            at: refund.succeeded_at.unwrap_or_else(chrono::Utc::now),
        }),
        payment::RefundStatus::Closed => Some(order::RefundResult::Failed(
            "WeChat Pay closed the refund".to_owned(),
        )),
        payment::RefundStatus::Failed => Some(order::RefundResult::Failed(
            "WeChat Pay refused the refund".to_owned(),
        )),
        payment::RefundStatus::Requested
        | payment::RefundStatus::Processing
        | payment::RefundStatus::Abnormal => None,
    }
}

/// A refund WeChat Pay reported (notification, first or repeated): its after-sale, if any, is
/// settled exactly once (the order crate's conditional update from `refunding`).
pub async fn after_sale_refund_reported(
    state: &AppState,
    tenant: kernel::TenantId,
    out_refund_no: &str,
) -> Result<(), ApiError> {
    let refund = payment::get_refund(&state.db, tenant, out_refund_no).await?;
    if let Some(result) = refund_result(&refund) {
        order::record_after_sale_refund(&state.db, tenant, out_refund_no, result).await?;
    }
    Ok(())
}

/// The merchant approves an after-sale; a refund-only one is refunded right away.
pub async fn approve_after_sale(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    id: uuid::Uuid,
    request_base_url: &str,
) -> Result<order::AfterSale, ApiError> {
    order::approve_after_sale(&state.db, principal, id).await?;
    send_after_sale_refund(state, principal.tenant_id, id, request_base_url).await?;
    Ok(order::get_after_sale(&state.db, principal, id).await?)
}

/// The merchant confirms the returned goods arrived; the refund is sent right away.
pub async fn receive_after_sale_return(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    id: uuid::Uuid,
    request_base_url: &str,
) -> Result<order::AfterSale, ApiError> {
    order::receive_return(&state.db, principal, id).await?;
    send_after_sale_refund(state, principal.tenant_id, id, request_base_url).await?;
    Ok(order::get_after_sale(&state.db, principal, id).await?)
}

/// The merchant refunds lines of an order: an after-sale approved at once, refunded right away.
pub async fn refund_order_lines(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    order_no: &str,
    input: &order::MerchantRefundIn,
    request_base_url: &str,
) -> Result<order::AfterSale, ApiError> {
    let created = order::create_merchant_refund(&state.db, principal, order_no, input).await?;
    send_after_sale_refund(state, principal.tenant_id, created.id, request_base_url).await?;
    Ok(order::get_after_sale(&state.db, principal, created.id).await?)
}

/// Settles after-sales left `refunding` since before `stale_before` (a lost notification, a
/// timed-out request): asks WeChat Pay how the refund stands (`payment::query_refund`, recorded
/// once like a notification) and records the outcome on the after-sale once; a refund the payment
/// crate never recorded is sent again with the same `out_refund_no`. Returns how many were looked
/// at. Run by the background worker.
pub async fn settle_stale_after_sale_refunds(
    state: &AppState,
    stale_before: chrono::DateTime<chrono::Utc>,
) -> Result<usize, ApiError> {
    let stale = order::stale_after_sale_refunds(&state.db, stale_before, 50).await?;
    for (tenant, id) in &stale {
        let Some(claim) = order::claim_after_sale_refund(&state.db, *tenant, *id).await? else {
            continue;
        };
        match payment::query_refund(&state.db, &state.payments, *tenant, &claim.out_refund_no).await
        {
            Ok(refund) => {
                if let Some(result) = refund_result(&refund) {
                    order::record_after_sale_refund(
                        &state.db,
                        *tenant,
                        &claim.out_refund_no,
                        result,
                    )
                    .await?;
                }
            }
            // Never recorded by the payment crate, or unknown to WeChat: send it (again).
            Err(
                payment::PaymentError::RefundNotFound
                | payment::PaymentError::WechatRefused { status: 404, .. },
            ) => {
                send_after_sale_refund(state, *tenant, *id, "").await?;
            }
            Err(error) => {
                tracing::warn!(tenant.id = %tenant, after_sale.id = %id, %error,
                    "asking WeChat Pay about an after-sale refund failed; will retry");
            }
        }
    }
    Ok(stale.len())
}

/// The worker's settlement of flash sales that ended: unsold remainders back to the SKUs, once.
pub async fn settle_ended_flash_sales(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, ApiError> {
    let settled = promo::settle_ended_sales(&state.db, &state.cache, now).await?;
    for (tenant, _, moves) in &settled {
        mirror_promo_moves(state, *tenant, moves).await;
    }
    Ok(settled.len())
}
