//! Background workers started by `Application::build` and stopped when the server stops: the
//! sweep of unpaid orders (closing their WeChat payments and giving flash-sale units back), the
//! settlement of ended flash sales, the auto-completion of shipped orders, the retry of shipments
//! not yet uploaded to WeChat, the settlement of after-sale refunds whose outcome is overdue
//! (queried at WeChat Pay), and, every `payments.reconcile_interval_secs`, the reconciliation of
//! pending payments with WeChat Pay.

use std::time::{Duration, Instant};

use actix_web::web;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Cancels unpaid orders past their deadline every `orders.sweep_interval_secs`. Several gateway
/// processes may run it at once: each order is claimed by a conditional update.
pub struct Sweeper {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Sweeper {
    pub fn start(state: web::Data<AppState>) -> Sweeper {
        let (stop, mut stopped) = watch::channel(false);
        let interval = Duration::from_secs(state.settings.orders.sweep_interval_secs);
        let reconcile_every = Duration::from_secs(state.settings.payments.reconcile_interval_secs);
        let task = tokio::spawn(async move {
            let mut last_reconciliation: Option<Instant> = None;
            loop {
                tokio::select! {
                    _ = stopped.changed() => return,
                    () = tokio::time::sleep(interval) => {}
                }
                match crate::flows::sweep_unpaid_orders(&state, chrono::Utc::now()).await {
                    Ok(report) if !report.cancelled.is_empty() => {
                        tracing::info!(
                            orders.cancelled = report.cancelled.len(),
                            "unpaid orders swept"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "unpaid-order sweep failed"),
                }
                match crate::flows::settle_ended_flash_sales(&state, chrono::Utc::now()).await {
                    Ok(settled) if settled > 0 => {
                        tracing::info!(promo.settled = settled, "ended flash sales settled");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "flash-sale settlement failed"),
                }
                let receipt_window =
                    chrono::Duration::days(state.settings.orders.auto_complete_days);
                match order::complete_shipped_orders(&state.db, chrono::Utc::now() - receipt_window)
                    .await
                {
                    Ok(done) if !done.is_empty() => {
                        tracing::info!(
                            orders.completed = done.len(),
                            "shipped orders auto-completed"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "auto-completion failed"),
                }
                if let Err(error) = crate::flows::retry_shipping_uploads(&state).await {
                    tracing::warn!(%error, "shipping upload retry failed");
                }
                let stale_before = chrono::Utc::now() - chrono::Duration::minutes(1);
                if let Err(error) =
                    crate::flows::settle_stale_after_sale_refunds(&state, stale_before).await
                {
                    tracing::warn!(%error, "after-sale refund settlement failed");
                }
                if last_reconciliation.is_none_or(|at: Instant| at.elapsed() >= reconcile_every) {
                    last_reconciliation = Some(Instant::now());
                    if let Err(error) =
                        crate::flows::reconcile_payments(&state, chrono::Utc::now()).await
                    {
                        tracing::warn!(%error, "payment reconciliation pass failed");
                    }
                }
            }
        });
        Sweeper { stop, task }
    }

    /// Stops the worker after its current sweep.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
