use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tenant::Permission;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_ledger)
        .service(get_statement)
        .service(set_fee_rate);
}

#[derive(Serialize, ToSchema)]
pub struct LedgerEntryOut {
    pub id: Uuid,
    /// `payment` or `refund`.
    pub kind: &'static str,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    pub transaction_id: Option<String>,
    /// Fen; negative for refunds.
    pub gross_fen: i64,
    /// WeChat's fee in fen; negative for the fee a refund gives back.
    pub fee_fen: i64,
    pub net_fen: i64,
    /// On a payment: it arrived for an order already cancelled and was refunded in full
    /// (refund `<out_trade_no>C`); the order's timeline notes it too.
    pub late_payment_refunded: bool,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

impl From<payment::LedgerEntry> for LedgerEntryOut {
    fn from(entry: payment::LedgerEntry) -> Self {
        LedgerEntryOut {
            id: entry.id,
            kind: entry.kind.as_str(),
            out_trade_no: entry.out_trade_no,
            out_refund_no: entry.out_refund_no,
            transaction_id: entry.transaction_id,
            gross_fen: entry.gross_fen,
            fee_fen: entry.fee_fen,
            net_fen: entry.net_fen,
            late_payment_refunded: entry.late_payment_refunded,
            occurred_at: entry.occurred_at,
            recorded_at: entry.recorded_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LedgerOut {
    /// The China calendar day (Asia/Shanghai).
    pub date: NaiveDate,
    pub entries: Vec<LedgerEntryOut>,
}

#[derive(Serialize, ToSchema)]
pub struct StatementTotalsOut {
    pub payment_count: i64,
    pub payments_gross_fen: i64,
    pub payments_fee_fen: i64,
    pub refund_count: i64,
    pub refunds_gross_fen: i64,
    pub refunds_fee_fen: i64,
    pub gross_fen: i64,
    pub fee_fen: i64,
    pub net_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct StatementOut {
    pub date: NaiveDate,
    /// T+1: when WeChat settles the day to the merchant.
    pub settlement_date: NaiveDate,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Whether the day is over.
    pub complete: bool,
    pub totals: StatementTotalsOut,
    pub entries: Vec<LedgerEntryOut>,
}

impl From<payment::Statement> for StatementOut {
    fn from(statement: payment::Statement) -> Self {
        let totals = statement.totals;
        StatementOut {
            date: statement.date,
            settlement_date: statement.settlement_date,
            period_start: statement.period_start,
            period_end: statement.period_end,
            complete: statement.complete,
            totals: StatementTotalsOut {
                payment_count: totals.payment_count,
                payments_gross_fen: totals.payments_gross_fen,
                payments_fee_fen: totals.payments_fee_fen,
                refund_count: totals.refund_count,
                refunds_gross_fen: totals.refunds_gross_fen,
                refunds_fee_fen: totals.refunds_fee_fen,
                gross_fen: totals.gross_fen,
                fee_fen: totals.fee_fen,
                net_fen: totals.net_fen,
            },
            entries: statement.entries.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct LedgerQuery {
    /// `YYYY-MM-DD`, a China calendar day.
    pub date: String,
}

#[derive(Deserialize, IntoParams)]
pub struct StatementQuery {
    /// `csv` for CSV (or send `Accept: text/csv`); JSON otherwise.
    pub format: Option<String>,
}

fn day(text: &str) -> Result<NaiveDate, ApiError> {
    payment::parse_day(text).ok_or_else(|| {
        ApiError::from(payment::PaymentError::Invalid {
            field: "date",
            message: "must be a date, YYYY-MM-DD".to_owned(),
        })
    })
}

/// The shop's ledger for one China calendar day: every payment and refund with gross, WeChat's
/// fee and net, in fen.
#[utoipa::path(get, path = "/api/v1/admin/payments/ledger", tag = "admin", params(LedgerQuery),
    responses((status = 200, body = LedgerOut)), security(("bearer" = [])))]
#[get("/payments/ledger")]
async fn get_ledger(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ViewFinance)?;
    let date = day(&query.date)?;
    let entries = payment::ledger_of_day(&state.db, principal.tenant_id, date).await?;
    Ok(HttpResponse::Ok().json(LedgerOut {
        date,
        entries: entries.into_iter().map(Into::into).collect(),
    }))
}

/// The settlement statement of one China calendar day (settled T+1), as JSON or CSV.
#[utoipa::path(get, path = "/api/v1/admin/payments/statements/{date}", tag = "admin",
    params(("date" = String, Path, description = "YYYY-MM-DD, a China calendar day"), StatementQuery),
    responses((status = 200, body = StatementOut), (status = 200, content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
#[get("/payments/statements/{date}")]
async fn get_statement(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    date: web::Path<String>,
    query: web::Query<StatementQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ViewFinance)?;
    let date = day(&date)?;
    let statement =
        payment::daily_statement(&state.db, principal.tenant_id, date, Utc::now()).await?;
    let accepts_csv = request
        .headers()
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if query.format.as_deref() == Some("csv") || (query.format.is_none() && accepts_csv) {
        return Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"statement-{date}.csv\""),
            ))
            .body(statement.to_csv()));
    }
    Ok(HttpResponse::Ok().json(StatementOut::from(statement)))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeRateDto {
    /// WeChat's fee rate in parts per million (6000 = 0.6%, the default); 0..=100000.
    pub fee_rate_ppm: i64,
}

/// Sets the shop's WeChat Pay fee rate (as in its WeChat Pay contract), used for payments recorded
/// from now on. Owner only, like the rest of the WeChat Pay configuration.
#[utoipa::path(put, path = "/api/v1/admin/payments/fee-rate", tag = "admin", request_body = FeeRateDto,
    responses((status = 200, body = FeeRateDto), (status = 403, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
#[put("/payments/fee-rate")]
async fn set_fee_rate(
    AdminAuth(principal): AdminAuth,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<FeeRateDto>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::ManageWechat)?;
    payment::set_fee_rate(&state.db, principal.tenant_id, input.fee_rate_ppm).await?;
    let fee_rate_ppm = payment::fee_rate(&state.db, principal.tenant_id).await?;
    Ok(HttpResponse::Ok().json(FeeRateDto { fee_rate_ppm }))
}
