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
    let base = match state.settings.orders.public_base_url.trim_end_matches('/') {
        "" => request_base_url.trim_end_matches('/'),
        configured => configured,
    };
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
            payment::refund(
                &state.db,
                &state.payments,
                tenant,
                payment::RefundRequest {
                    out_trade_no: recorded.out_trade_no.clone(),
                    out_refund_no: format!("{}C", recorded.out_trade_no),
                    amount_fen: recorded.amount_fen,
                    total_fen: recorded.amount_fen,
                    reason: Some("订单已取消".to_owned()),
                    notify_url: None,
                },
            )
            .await?;
            tracing::warn!(tenant.id = %tenant, order.no = %recorded.out_trade_no, "paid after cancellation; refunded");
        }
        order::PaidOutcome::AmountMismatch { payable } => {
            tracing::error!(tenant.id = %tenant, order.no = %recorded.out_trade_no, order.payable = payable,
                payment.amount = recorded.amount_fen, "paid amount is not the order's payable; left pending");
        }
        order::PaidOutcome::MarkedPaid
        | order::PaidOutcome::AlreadyPaid
        | order::PaidOutcome::NoSuchOrder => {}
    }
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
                "express_company": upload.carrier,
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

/// `138****8000`, as WeChat asks for the receiver's contact.
fn mask_mobile(mobile: &str) -> String {
    if mobile.len() == 11 {
        format!("{}****{}", &mobile[..3], &mobile[7..])
    } else {
        String::new()
    }
}

/// The merchant ships an order; the shipment is uploaded to WeChat right away (and retried by the
/// worker while it fails).
pub async fn ship_order(
    state: &AppState,
    principal: &tenant::AdminPrincipal,
    order_no: &str,
    input: &order::ShipmentIn,
) -> Result<order::Order, ApiError> {
    let (_, upload) = order::ship_order(&state.db, principal, order_no, input).await?;
    upload_shipment(state, &upload).await?;
    Ok(order::get_order(&state.db, principal, order_no).await?)
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
/// longer pay it. Best effort: money that still arrives is refunded by `order_payment_recorded`.
pub async fn close_order_payment(state: &AppState, tenant: kernel::TenantId, order_no: &str) {
    match payment::close_payment(&state.db, &state.payments, tenant, order_no).await {
        Ok(()) | Err(payment::PaymentError::PaymentNotFound) => {}
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

/// The worker's sweep of unpaid orders past their deadline (every shop): cancelled once each,
/// stock returned, and flash-sale units given back to their sales.
pub async fn sweep_unpaid_orders(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<order::SweepReport, ApiError> {
    let report = order::cancel_expired_orders(&state.db, &state.catalog_cache, now).await?;
    for (tenant, order_no) in &report.promo_cancelled {
        release_flash_sale_order(state, *tenant, order_no).await?;
    }
    Ok(report)
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
