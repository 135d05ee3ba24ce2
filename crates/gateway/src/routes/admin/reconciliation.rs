//! `GET /admin/payments/reconciliation/{date}`: WeChat's trade bill of a China day set against the
//! shop's ledger of the same day.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Serialize;
use tenant::Permission;
use utoipa::ToSchema;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_reconciliation);
}

#[derive(Serialize, ToSchema)]
pub struct MatchedOut {
    pub payment_count: i64,
    pub payments_fen: i64,
    pub refund_count: i64,
    /// Positive: the money refunded.
    pub refunds_fen: i64,
    /// Payments' fees minus the fees refunds gave back.
    pub fee_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DifferenceOut {
    /// `missing_in_ledger` (WeChat has it, we do not: e.g. a lost notification not yet
    /// recovered), `missing_in_bill`, `amount_mismatch` or `fee_mismatch`.
    pub difference: &'static str,
    /// `payment` or `refund`.
    pub kind: &'static str,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    /// Positive amounts in fen (a refund's amount too).
    pub bill_amount_fen: Option<i64>,
    pub ledger_amount_fen: Option<i64>,
    /// Fees in fen; negative on refunds (given back).
    pub bill_fee_fen: Option<i64>,
    pub ledger_fee_fen: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ReconciliationOut {
    /// The China calendar day (Asia/Shanghai).
    pub date: NaiveDate,
    /// Payment and refund rows in WeChat's bill.
    pub bill_rows: i64,
    pub ledger_entries: i64,
    pub matched: MatchedOut,
    pub differences: Vec<DifferenceOut>,
    /// The bill's summary row agrees with its rows.
    pub bill_summary_consistent: bool,
    /// Everything matched to the fen; nothing missing on either side.
    pub balanced: bool,
}

fn difference_name(kind: payment::DifferenceKind) -> &'static str {
    match kind {
        payment::DifferenceKind::MissingInLedger => "missing_in_ledger",
        payment::DifferenceKind::MissingInBill => "missing_in_bill",
        payment::DifferenceKind::AmountMismatch => "amount_mismatch",
        payment::DifferenceKind::FeeMismatch => "fee_mismatch",
    }
}

impl From<payment::Reconciliation> for ReconciliationOut {
    fn from(result: payment::Reconciliation) -> Self {
        ReconciliationOut {
            date: result.date,
            bill_rows: result.bill_rows,
            ledger_entries: result.ledger_entries,
            matched: MatchedOut {
                payment_count: result.matched.payment_count,
                payments_fen: result.matched.payments_fen,
                refund_count: result.matched.refund_count,
                refunds_fen: result.matched.refunds_fen,
                fee_fen: result.matched.fee_fen,
            },
            differences: result
                .differences
                .into_iter()
                .map(|d| DifferenceOut {
                    difference: difference_name(d.difference),
                    kind: d.kind.as_str(),
                    out_trade_no: d.out_trade_no,
                    out_refund_no: d.out_refund_no,
                    bill_amount_fen: d.bill_amount_fen,
                    ledger_amount_fen: d.ledger_amount_fen,
                    bill_fee_fen: d.bill_fee_fen,
                    ledger_fee_fen: d.ledger_fee_fen,
                })
                .collect(),
            bill_summary_consistent: result.bill_summary_consistent,
            balanced: result.balanced,
        }
    }
}

/// Downloads WeChat Pay's trade bill of one China calendar day (signed answer verified, file
/// checked against its SHA1) and sets it against the shop's ledger of that day: counts and sums
/// matched to the fen, and every difference (in the bill but not the ledger, in the ledger but
/// not the bill, amount or fee mismatches).
#[utoipa::path(get, path = "/api/v1/admin/payments/reconciliation/{date}", tag = "admin",
    params(("date" = String, Path, description = "YYYY-MM-DD, a China calendar day")),
    responses((status = 200, body = ReconciliationOut), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
#[get("/payments/reconciliation/{date}")]
async fn get_reconciliation(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    date: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ViewFinance)?;
    let date = payment::parse_day(&date).ok_or_else(|| {
        ApiError::from(payment::PaymentError::Invalid {
            field: "date",
            message: "must be a date, YYYY-MM-DD".to_owned(),
        })
    })?;
    let result =
        payment::reconcile_day(&state.db, &state.payments, principal.tenant_id, date).await?;
    Ok(HttpResponse::Ok().json(ReconciliationOut::from(result)))
}
