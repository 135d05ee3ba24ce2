//! WeChat's trade bill (交易账单, type ALL) and its reconciliation against the shop's ledger.
//! Pure: the text in, the rows and the differences out.
//!
//! The file: a detail header row, one row per payment (`交易状态` SUCCESS) or refund (REFUND) with
//! every field prefixed by a backtick, then a summary header and one summary row. Columns are
//! found by their header name (WeChat says their order may change). Amounts are yuan with two
//! decimals, turned into fen exactly (no floats).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::{LedgerEntry, LedgerKind};

/// One payment or refund as WeChat's bill has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BillRow {
    pub kind: LedgerKind,
    /// `交易时间`, China time as written in the bill.
    pub traded_at: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    /// A payment's settled amount (`应结订单金额`), or a refund's amount (`退款金额`), positive.
    pub amount_fen: i64,
    /// `手续费`: positive on a payment, negative (given back) on a refund.
    pub fee_fen: i64,
}

/// The bill's summary row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BillSummary {
    pub row_count: i64,
    pub settled_fen: i64,
    pub refunded_fen: i64,
    pub fee_fen: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TradeBill {
    pub rows: Vec<BillRow>,
    pub summary: BillSummary,
}

/// `12.34` / `-0.36` / `0` yuan → fen, exactly; anything else is `None`.
pub fn yuan_to_fen(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let fen = whole.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -fen } else { fen })
}

fn fields(line: &str) -> Vec<String> {
    line.split(',')
        .map(|field| {
            let field = field.trim();
            field.strip_prefix('`').unwrap_or(field).to_owned()
        })
        .collect()
}

/// Parses the ALL trade bill. Errors name the line.
pub fn parse_trade_bill(text: &str) -> Result<TradeBill, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header = fields(lines.next().ok_or("the bill is empty")?);
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("the bill has no column {name}"))
    };
    let time = column("交易时间")?;
    let transaction_id = column("微信订单号")?;
    let out_trade_no = column("商户订单号")?;
    let state = column("交易状态")?;
    let settled = column("应结订单金额")?;
    let out_refund_no = column("商户退款单号")?;
    let refund_amount = column("退款金额")?;
    let fee = column("手续费")?;
    let mut bill = TradeBill::default();
    let mut line_no = 1;
    for line in lines.by_ref() {
        line_no += 1;
        let row = fields(line);
        if row.first().is_some_and(|first| first == "总交易单数") {
            let summary_header = row;
            let values = fields(
                lines
                    .next()
                    .ok_or("the bill has a summary header but no summary")?,
            );
            let value = |name: &str| -> Result<&str, String> {
                summary_header
                    .iter()
                    .position(|h| h == name)
                    .and_then(|at| values.get(at))
                    .map(String::as_str)
                    .ok_or_else(|| format!("the summary has no {name}"))
            };
            let money = |name: &str| {
                value(name).and_then(|v| {
                    yuan_to_fen(v).ok_or_else(|| format!("the summary's {name} is not an amount"))
                })
            };
            bill.summary = BillSummary {
                row_count: value("总交易单数")?
                    .parse()
                    .map_err(|_| "the summary's 总交易单数 is not a number")?,
                settled_fen: money("应结订单总金额")?,
                refunded_fen: money("退款总金额")?,
                fee_fen: money("手续费总金额")?,
            };
            return Ok(bill);
        }
        if row.len() != header.len() {
            return Err(format!(
                "line {line_no} has {} fields, the header {}",
                row.len(),
                header.len()
            ));
        }
        let amount = |at: usize| {
            yuan_to_fen(&row[at])
                .ok_or_else(|| format!("line {line_no}: {} is not an amount", row[at]))
        };
        let (kind, amount_fen, refund_no) = match row[state].as_str() {
            "SUCCESS" => (LedgerKind::Payment, amount(settled)?, None),
            "REFUND" => (
                LedgerKind::Refund,
                amount(refund_amount)?,
                Some(row[out_refund_no].clone()),
            ),
            // Revoked and other states move no money we keep a ledger of.
            _ => continue,
        };
        bill.rows.push(BillRow {
            kind,
            traded_at: row[time].clone(),
            transaction_id: row[transaction_id].clone(),
            out_trade_no: row[out_trade_no].clone(),
            out_refund_no: refund_no,
            amount_fen,
            fee_fen: amount(fee)?,
        });
    }
    Err("the bill has no summary".to_owned())
}

/// Why a line is a difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// WeChat has it; our ledger does not (a payment we never recorded: a lost notification).
    MissingInLedger,
    /// Our ledger has it; WeChat's bill of that day does not.
    MissingInBill,
    AmountMismatch,
    FeeMismatch,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub difference: DifferenceKind,
    pub kind: LedgerKind,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    /// Positive amounts (a refund's amount too); fees as in the ledger (negative on refunds).
    pub bill_amount_fen: Option<i64>,
    pub ledger_amount_fen: Option<i64>,
    pub bill_fee_fen: Option<i64>,
    pub ledger_fee_fen: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MatchedTotals {
    pub payment_count: i64,
    pub payments_fen: i64,
    pub refund_count: i64,
    pub refunds_fen: i64,
    /// Payments' fees minus the fees refunds gave back.
    pub fee_fen: i64,
}

/// A China day's bill set against the ledger of the same day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub date: NaiveDate,
    pub bill_rows: i64,
    pub ledger_entries: i64,
    pub matched: MatchedTotals,
    pub differences: Vec<Difference>,
    /// The bill's own summary agrees with its rows.
    pub bill_summary_consistent: bool,
    /// Every line matched to the fen and nothing is missing on either side.
    pub balanced: bool,
}

/// (`payment` < `refund`, out_trade_no, out_refund_no): payments first, then by number.
type Key = (&'static str, String, Option<String>);

fn key_of(kind: LedgerKind, out_trade_no: &str, out_refund_no: Option<&str>) -> Key {
    (
        kind.as_str(),
        out_trade_no.to_owned(),
        out_refund_no.map(str::to_owned),
    )
}

fn kind_of(key: &Key) -> LedgerKind {
    LedgerKind::parse(key.0).unwrap_or(LedgerKind::Payment)
}

/// Sets the bill against the ledger entries, one by one, by (kind, out_trade_no, out_refund_no).
pub fn reconcile(date: NaiveDate, bill: &TradeBill, ledger: &[LedgerEntry]) -> Reconciliation {
    let mut in_bill: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for row in &bill.rows {
        let entry = in_bill
            .entry(key_of(
                row.kind,
                &row.out_trade_no,
                row.out_refund_no.as_deref(),
            ))
            .or_default();
        entry.0 += row.amount_fen;
        entry.1 += row.fee_fen;
    }
    let mut in_ledger: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for entry in ledger {
        let sums = in_ledger
            .entry(key_of(
                entry.kind,
                &entry.out_trade_no,
                entry.out_refund_no.as_deref(),
            ))
            .or_default();
        sums.0 += entry.gross_fen.abs();
        sums.1 += entry.fee_fen;
    }
    let mut matched = MatchedTotals::default();
    let mut differences = Vec::new();
    let difference =
        |kind: DifferenceKind, key: &Key, bill: Option<(i64, i64)>, ours: Option<(i64, i64)>| {
            Difference {
                difference: kind,
                kind: kind_of(key),
                out_trade_no: key.1.clone(),
                out_refund_no: key.2.clone(),
                bill_amount_fen: bill.map(|b| b.0),
                ledger_amount_fen: ours.map(|o| o.0),
                bill_fee_fen: bill.map(|b| b.1),
                ledger_fee_fen: ours.map(|o| o.1),
            }
        };
    for (key, &theirs) in &in_bill {
        match in_ledger.get(key).copied() {
            None => differences.push(difference(
                DifferenceKind::MissingInLedger,
                key,
                Some(theirs),
                None,
            )),
            Some(ours) if ours.0 != theirs.0 => differences.push(difference(
                DifferenceKind::AmountMismatch,
                key,
                Some(theirs),
                Some(ours),
            )),
            Some(ours) if ours.1 != theirs.1 => differences.push(difference(
                DifferenceKind::FeeMismatch,
                key,
                Some(theirs),
                Some(ours),
            )),
            Some(_) => {
                match kind_of(key) {
                    LedgerKind::Payment => {
                        matched.payment_count += 1;
                        matched.payments_fen += theirs.0;
                    }
                    LedgerKind::Refund => {
                        matched.refund_count += 1;
                        matched.refunds_fen += theirs.0;
                    }
                }
                matched.fee_fen += theirs.1;
            }
        }
    }
    for (key, &ours) in &in_ledger {
        if !in_bill.contains_key(key) {
            differences.push(difference(
                DifferenceKind::MissingInBill,
                key,
                None,
                Some(ours),
            ));
        }
    }
    let rows_settled: i64 = bill
        .rows
        .iter()
        .filter(|row| row.kind == LedgerKind::Payment)
        .map(|row| row.amount_fen)
        .sum();
    let rows_refunded: i64 = bill
        .rows
        .iter()
        .filter(|row| row.kind == LedgerKind::Refund)
        .map(|row| row.amount_fen)
        .sum();
    let rows_fee: i64 = bill.rows.iter().map(|row| row.fee_fen).sum();
    let bill_summary_consistent = bill.summary.row_count == bill.rows.len() as i64
        && bill.summary.settled_fen == rows_settled
        && bill.summary.refunded_fen == rows_refunded
        && bill.summary.fee_fen == rows_fee;
    Reconciliation {
        date,
        bill_rows: bill.rows.len() as i64,
        ledger_entries: ledger.len() as i64,
        matched,
        balanced: differences.is_empty() && bill_summary_consistent,
        differences,
        bill_summary_consistent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BILL: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n\
`2026-11-26 10:00:00,`wx1,`1900000109,`0,`,`4200001,`T1,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`60.00,`0.00,`0,`0,`0.00,`0.00,`,`,`茶，一斤,`,`0.36,`0.60%,`60.00,`0.00,`\r\n\
`2026-11-26 11:00:00,`wx1,`1900000109,`0,`,`4200001,`T1,`o1,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`5000001,`R1,`30.00,`0.00,`ORIGINAL,`SUCCESS,`茶，一斤,`,`-0.18,`0.60%,`0.00,`30.00,`\r\n\
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n\
`2,`60.00,`30.00,`0.00,`0.18,`60.00,`30.00\r\n";

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default()
    }

    fn entry(kind: LedgerKind, refund: Option<&str>, gross: i64, fee: i64) -> LedgerEntry {
        LedgerEntry {
            id: uuid::Uuid::nil(),
            kind,
            out_trade_no: "T1".to_owned(),
            out_refund_no: refund.map(str::to_owned),
            transaction_id: Some("4200001".to_owned()),
            gross_fen: gross,
            fee_fen: fee,
            net_fen: gross - fee,
            late_payment_refunded: false,
            occurred_at: chrono::Utc::now(),
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn yuan_become_fen_exactly() {
        assert_eq!(yuan_to_fen("60.00"), Some(6000));
        assert_eq!(yuan_to_fen("0.05"), Some(5));
        assert_eq!(yuan_to_fen("-0.18"), Some(-18));
        assert_eq!(yuan_to_fen("12.3"), Some(1230));
        assert_eq!(yuan_to_fen("7"), Some(700));
        assert_eq!(yuan_to_fen("1.234"), None);
        assert_eq!(yuan_to_fen("1e3"), None);
        assert_eq!(yuan_to_fen(""), None);
    }

    #[test]
    fn the_bill_parses_into_rows_and_a_summary() {
        let bill = parse_trade_bill(BILL).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(bill.rows.len(), 2);
        assert_eq!(bill.rows[0].kind, LedgerKind::Payment);
        assert_eq!((bill.rows[0].amount_fen, bill.rows[0].fee_fen), (6000, 36));
        assert_eq!(bill.rows[1].out_refund_no.as_deref(), Some("R1"));
        assert_eq!((bill.rows[1].amount_fen, bill.rows[1].fee_fen), (3000, -18));
        assert_eq!(
            bill.summary,
            BillSummary {
                row_count: 2,
                settled_fen: 6000,
                refunded_fen: 3000,
                fee_fen: 18
            }
        );
    }

    #[test]
    fn a_truncated_bill_is_an_error() {
        let cut = &BILL[..BILL.find("总交易单数").unwrap_or(0)];
        assert!(parse_trade_bill(cut).is_err());
        assert!(parse_trade_bill("").is_err());
    }

    #[test]
    fn a_matching_ledger_balances_to_the_fen() {
        let bill = parse_trade_bill(BILL).unwrap_or_else(|err| panic!("{err}"));
        let ledger = [
            entry(LedgerKind::Payment, None, 6000, 36),
            entry(LedgerKind::Refund, Some("R1"), -3000, -18),
        ];
        let result = reconcile(day(), &bill, &ledger);
        assert!(result.balanced, "{result:?}");
        assert_eq!(
            result.matched,
            MatchedTotals {
                payment_count: 1,
                payments_fen: 6000,
                refund_count: 1,
                refunds_fen: 3000,
                fee_fen: 18
            }
        );
    }

    #[test]
    fn every_kind_of_difference_is_listed() {
        let bill = parse_trade_bill(BILL).unwrap_or_else(|err| panic!("{err}"));
        // The payment's fee differs, the refund is missing, and an extra entry is ours alone.
        let mut extra = entry(LedgerKind::Payment, None, 100, 1);
        extra.out_trade_no = "T2".to_owned();
        let ledger = [entry(LedgerKind::Payment, None, 6000, 35), extra];
        let result = reconcile(day(), &bill, &ledger);
        assert!(!result.balanced);
        let kinds: Vec<_> = result
            .differences
            .iter()
            .map(|d| (d.difference, d.out_trade_no.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (DifferenceKind::FeeMismatch, "T1"),
                (DifferenceKind::MissingInLedger, "T1"),
                (DifferenceKind::MissingInBill, "T2"),
            ]
        );
        let ledger = [entry(LedgerKind::Payment, None, 5999, 36)];
        let result = reconcile(day(), &bill, &ledger);
        assert_eq!(
            result.differences[0].difference,
            DifferenceKind::AmountMismatch
        );
    }
}
