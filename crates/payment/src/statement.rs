//! The daily settlement statement: a tenant's ledger entries of one China calendar day, their
//! totals, and the day it settles (T+1). Pure: built from entries, rendered as JSON or CSV.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::china_day::{china_day_bounds, china_offset};
use crate::model::{LedgerEntry, LedgerKind};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatementTotals {
    pub payment_count: i64,
    pub payments_gross_fen: i64,
    pub payments_fee_fen: i64,
    pub refund_count: i64,
    /// Negative: money returned to customers.
    pub refunds_gross_fen: i64,
    /// Negative: fee WeChat gives back.
    pub refunds_fee_fen: i64,
    pub gross_fen: i64,
    pub fee_fen: i64,
    /// What the merchant's account receives for the day: gross − fee.
    pub net_fen: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The China calendar day (Asia/Shanghai) the entries occurred on.
    pub date: NaiveDate,
    /// T+1: the day WeChat settles that day's takings to the merchant.
    pub settlement_date: NaiveDate,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Whether the day is over (a statement of today or later may still change).
    pub complete: bool,
    pub totals: StatementTotals,
    pub entries: Vec<LedgerEntry>,
}

impl Statement {
    pub fn build(date: NaiveDate, mut entries: Vec<LedgerEntry>, now: DateTime<Utc>) -> Self {
        let (period_start, period_end) = china_day_bounds(date);
        entries.retain(|entry| entry.occurred_at >= period_start && entry.occurred_at < period_end);
        entries.sort_by_key(|entry| (entry.occurred_at, entry.id));
        let mut totals = StatementTotals::default();
        for entry in &entries {
            match entry.kind {
                LedgerKind::Payment => {
                    totals.payment_count += 1;
                    totals.payments_gross_fen += entry.gross_fen;
                    totals.payments_fee_fen += entry.fee_fen;
                }
                LedgerKind::Refund => {
                    totals.refund_count += 1;
                    totals.refunds_gross_fen += entry.gross_fen;
                    totals.refunds_fee_fen += entry.fee_fen;
                }
            }
            totals.gross_fen += entry.gross_fen;
            totals.fee_fen += entry.fee_fen;
            totals.net_fen += entry.net_fen;
        }
        Statement {
            date,
            settlement_date: date + Duration::days(1),
            period_start,
            period_end,
            complete: now >= period_end,
            totals,
            entries,
        }
    }

    /// CSV (RFC 4180): one line per entry, times in China time, then a totals line. Amounts in fen.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "date,settlement_date,occurred_at,kind,out_trade_no,out_refund_no,transaction_id,gross_fen,fee_fen,net_fen\r\n",
        );
        for entry in &self.entries {
            let occurred = entry
                .occurred_at
                .with_timezone(&china_offset())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
            let fields = [
                self.date.to_string(),
                self.settlement_date.to_string(),
                occurred,
                entry.kind.as_str().to_owned(),
                entry.out_trade_no.clone(),
                entry.out_refund_no.clone().unwrap_or_default(),
                entry.transaction_id.clone().unwrap_or_default(),
                entry.gross_fen.to_string(),
                entry.fee_fen.to_string(),
                entry.net_fen.to_string(),
            ];
            push_row(&mut out, &fields);
        }
        let totals = [
            self.date.to_string(),
            self.settlement_date.to_string(),
            String::new(),
            "total".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            self.totals.gross_fen.to_string(),
            self.totals.fee_fen.to_string(),
            self.totals.net_fen.to_string(),
        ];
        push_row(&mut out, &totals);
        out
    }
}

fn push_row(out: &mut String, fields: &[String]) {
    let escaped: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
    out.push_str(&escaped.join(","));
    out.push_str("\r\n");
}

/// Quotes a field when it holds a comma, quote, CR or LF (doubling quotes). A leading `=`, `+`,
/// `-` or `@` in text would be read as a formula by spreadsheets, so such text gets a `'` first;
/// our identifiers never start so, and numbers are written by us.
fn csv_field(field: &str) -> String {
    let is_number = field.parse::<i64>().is_ok();
    let field = if !is_number && field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::china_day::parse_day;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|err| panic!("{err}"))
    }

    fn entry(kind: LedgerKind, occurred: &str, gross: i64, fee: i64) -> LedgerEntry {
        LedgerEntry {
            id: kernel::new_id(),
            kind,
            out_trade_no: "T1".to_owned(),
            out_refund_no: (kind == LedgerKind::Refund).then(|| "R1".to_owned()),
            transaction_id: Some("4200000000000000000000000001".to_owned()),
            gross_fen: gross,
            fee_fen: fee,
            net_fen: gross - fee,
            late_payment_refunded: false,
            occurred_at: at(occurred),
            recorded_at: at(occurred),
        }
    }

    fn day(text: &str) -> NaiveDate {
        parse_day(text).unwrap_or_else(|| panic!("bad day {text}"))
    }

    #[test]
    fn a_statement_takes_the_china_day_across_utc_midnight() {
        let entries = vec![
            // 2026-11-25 23:59:59 China time: the day before.
            entry(LedgerKind::Payment, "2026-11-25T15:59:59Z", 1_000, 6),
            // 2026-11-26 00:00:00 China time (16:00 UTC the day before): in.
            entry(LedgerKind::Payment, "2026-11-25T16:00:00Z", 10_000, 60),
            // 2026-11-26 07:30 China time is 23:30 UTC on the 25th: in.
            entry(LedgerKind::Refund, "2026-11-25T23:30:00Z", -2_500, -15),
            // 2026-11-26 23:59:59 China time: in.
            entry(LedgerKind::Payment, "2026-11-26T15:59:59Z", 250, 2),
            // 2026-11-27 00:00 China time: the next day.
            entry(LedgerKind::Payment, "2026-11-26T16:00:00Z", 99, 1),
        ];
        let statement = Statement::build(day("2026-11-26"), entries, at("2026-11-27T01:00:00Z"));
        assert_eq!(statement.entries.len(), 3);
        assert_eq!(statement.settlement_date, day("2026-11-27"));
        assert!(statement.complete);
        let totals = &statement.totals;
        assert_eq!(totals.payment_count, 2);
        assert_eq!(totals.payments_gross_fen, 10_250);
        assert_eq!(totals.payments_fee_fen, 62);
        assert_eq!(totals.refund_count, 1);
        assert_eq!(totals.refunds_gross_fen, -2_500);
        assert_eq!(totals.refunds_fee_fen, -15);
        assert_eq!(totals.gross_fen, 7_750);
        assert_eq!(totals.fee_fen, 47);
        assert_eq!(totals.net_fen, 7_703);
    }

    #[test]
    fn a_statement_of_a_day_not_over_is_marked_incomplete() {
        let statement = Statement::build(day("2026-11-26"), Vec::new(), at("2026-11-26T15:00:00Z"));
        assert!(!statement.complete);
        assert_eq!(statement.totals, StatementTotals::default());
    }

    #[test]
    fn the_csv_has_a_header_one_line_per_entry_in_china_time_and_a_total() {
        let entries = vec![entry(
            LedgerKind::Payment,
            "2026-11-25T16:00:00Z",
            10_000,
            60,
        )];
        let csv = Statement::build(day("2026-11-26"), entries, at("2026-11-27T00:00:00Z")).to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert!(lines[0].starts_with("date,settlement_date,occurred_at,kind"));
        assert_eq!(
            lines[1],
            "2026-11-26,2026-11-27,2026-11-26T00:00:00+08:00,payment,T1,,4200000000000000000000000001,10000,60,9940"
        );
        assert_eq!(lines[2], "2026-11-26,2026-11-27,,total,,,,10000,60,9940");
        assert_eq!(lines[3], "");
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-15"), "-15");
    }
}
