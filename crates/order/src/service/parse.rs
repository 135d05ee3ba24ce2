//! Parsing the customer's input before anything is read or written.

use kernel::FieldError;

use crate::error::OrderError;
use crate::model::{AddressIn, LineIn};

pub const MAX_QUANTITY: i64 = 999;
pub const MAX_LINES: usize = 100;

pub fn quantity(field: &str, value: i64) -> Result<i64, OrderError> {
    if (1..=MAX_QUANTITY).contains(&value) {
        Ok(value)
    } else {
        Err(OrderError::invalid(
            field,
            format!("must be between 1 and {MAX_QUANTITY}"),
        ))
    }
}

/// The lines of a checkout: each quantity in range, each SKU once (repeats are summed).
pub fn lines(input: &[LineIn]) -> Result<Vec<LineIn>, OrderError> {
    if input.is_empty() {
        return Err(OrderError::NothingToCheckOut);
    }
    if input.len() > MAX_LINES {
        return Err(OrderError::invalid(
            "lines",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let mut merged: Vec<LineIn> = Vec::new();
    for (index, line) in input.iter().enumerate() {
        quantity(&format!("lines[{index}].quantity"), line.quantity)?;
        match merged.iter_mut().find(|seen| seen.sku_id == line.sku_id) {
            Some(seen) => {
                seen.quantity = quantity(
                    &format!("lines[{index}].quantity"),
                    seen.quantity + line.quantity,
                )?
            }
            None => merged.push(line.clone()),
        }
    }
    Ok(merged)
}

fn text(problems: &mut Vec<FieldError>, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        problems.push(FieldError::new(field, "is required"));
    } else if value.chars().count() > max {
        problems.push(FieldError::new(field, format!("at most {max} characters")));
    }
    value.to_owned()
}

/// A shipping address: every field present, the mobile an 11-digit mainland number.
pub fn address(input: &AddressIn) -> Result<AddressIn, OrderError> {
    let mut problems = Vec::new();
    let parsed = AddressIn {
        consignee: text(&mut problems, "consignee", &input.consignee, 30),
        mobile: text(&mut problems, "mobile", &input.mobile, 11),
        province: text(&mut problems, "province", &input.province, 30),
        city: text(&mut problems, "city", &input.city, 30),
        district: text(&mut problems, "district", &input.district, 30),
        detail: text(&mut problems, "detail", &input.detail, 120),
        is_default: input.is_default,
    };
    let mobile = &parsed.mobile;
    let mainland =
        mobile.len() == 11 && mobile.starts_with('1') && mobile.bytes().all(|b| b.is_ascii_digit());
    if !mobile.is_empty() && !mainland {
        problems.push(FieldError::new(
            "mobile",
            "must be an 11-digit mainland mobile number",
        ));
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(OrderError::Invalid(problems))
    }
}

/// An `Idempotency-Key`: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn idempotency_key(value: Option<&str>) -> Result<String, OrderError> {
    let value = value.map(str::trim).unwrap_or_default();
    let valid = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(value.to_owned())
    } else {
        Err(OrderError::InvalidIdempotencyKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn quantities_outside_one_to_999_are_refused() {
        for bad in [0, -1, 1000, i64::MAX, i64::MIN] {
            assert!(quantity("q", bad).is_err(), "{bad}");
        }
        assert_eq!(quantity("q", 999).ok(), Some(999));
    }

    #[test]
    fn repeated_skus_are_summed_and_the_sum_is_checked() {
        let sku_id = Uuid::nil();
        let merged = lines(&[
            LineIn {
                sku_id,
                quantity: 2,
            },
            LineIn {
                sku_id,
                quantity: 3,
            },
        ]);
        assert_eq!(merged.ok().map(|l| l[0].quantity), Some(5));
        assert!(
            lines(&[
                LineIn {
                    sku_id,
                    quantity: 900
                },
                LineIn {
                    sku_id,
                    quantity: 900
                }
            ])
            .is_err()
        );
        assert!(lines(&[]).is_err());
    }

    #[test]
    fn idempotency_keys_are_short_and_plain() {
        assert!(idempotency_key(Some("abc-123_X")).is_ok());
        assert!(idempotency_key(None).is_err());
        assert!(idempotency_key(Some("")).is_err());
        assert!(idempotency_key(Some("has space")).is_err());
        assert!(idempotency_key(Some(&"a".repeat(65))).is_err());
    }
}
