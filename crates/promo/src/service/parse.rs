//! Every outside value parsed once, all problems reported together.

use std::collections::HashSet;

use chrono::Utc;
use kernel::FieldError;

use crate::error::PromoError;
use crate::model::{BuyIn, FlashSaleIn};

pub const MAX_ITEMS: usize = 20;
pub const MAX_QUANTITY: i64 = 1_000_000;
pub const MAX_PRICE: i64 = 99_999_999;
pub const MAX_LIMIT: i64 = 99;

/// A flash sale as written by the merchant: trimmed title, a default limit, every rule checked.
pub fn flash_sale(input: &FlashSaleIn) -> Result<FlashSaleIn, PromoError> {
    let mut problems = Vec::new();
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 60 {
        problems.push(FieldError::new("title", "1 to 60 characters"));
    }
    if input.ends_at <= input.starts_at {
        problems.push(FieldError::new("ends_at", "must be after starts_at"));
    } else if input.ends_at <= Utc::now() {
        problems.push(FieldError::new("ends_at", "must be in the future"));
    }
    let limit = input.per_customer_limit.unwrap_or(1);
    if !(1..=MAX_LIMIT).contains(&limit) {
        problems.push(FieldError::new(
            "per_customer_limit",
            format!("1 to {MAX_LIMIT}"),
        ));
    }
    if input.items.is_empty() || input.items.len() > MAX_ITEMS {
        problems.push(FieldError::new("items", format!("1 to {MAX_ITEMS} items")));
    }
    let mut seen = HashSet::new();
    for (index, item) in input.items.iter().enumerate() {
        if !seen.insert(item.sku_id) {
            problems.push(FieldError::new(
                format!("items[{index}].sku_id"),
                "appears twice",
            ));
        }
        if !(1..=MAX_PRICE).contains(&item.sale_price_fen) {
            problems.push(FieldError::new(
                format!("items[{index}].sale_price_fen"),
                format!("1 to {MAX_PRICE} fen"),
            ));
        }
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            problems.push(FieldError::new(
                format!("items[{index}].quantity"),
                format!("1 to {MAX_QUANTITY}"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(PromoError::Invalid(problems));
    }
    Ok(FlashSaleIn {
        title,
        per_customer_limit: Some(limit),
        ..input.clone()
    })
}

pub fn buy(input: &BuyIn) -> Result<(), PromoError> {
    if !(1..=MAX_LIMIT).contains(&input.quantity) {
        return Err(PromoError::invalid("quantity", format!("1 to {MAX_LIMIT}")));
    }
    Ok(())
}

/// `Idempotency-Key`: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn idempotency_key(value: Option<&str>) -> Result<String, PromoError> {
    match value {
        Some(key)
            if !key.is_empty()
                && key.len() <= 64
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(key.to_owned())
        }
        _ => Err(PromoError::invalid(
            "Idempotency-Key",
            "the header is required: 1 to 64 letters, digits, '-' or '_'",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FlashSaleItemIn;
    use chrono::Duration;

    fn sale(price: i64, quantity: i64) -> FlashSaleIn {
        let now = Utc::now();
        FlashSaleIn {
            title: " 秒杀 ".to_owned(),
            starts_at: now,
            ends_at: now + Duration::hours(1),
            per_customer_limit: None,
            items: vec![FlashSaleItemIn {
                sku_id: uuid::Uuid::from_u128(1),
                sale_price_fen: price,
                quantity,
            }],
        }
    }

    #[test]
    fn a_good_sale_gets_the_default_limit_and_a_trimmed_title() {
        let parsed = flash_sale(&sale(100, 5)).ok();
        assert_eq!(
            parsed.map(|s| (s.title, s.per_customer_limit)),
            Some(("秒杀".to_owned(), Some(1)))
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = sale(0, 0);
        bad.ends_at = bad.starts_at;
        let Err(PromoError::Invalid(fields)) = flash_sale(&bad) else {
            panic!("accepted a bad sale");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            ["ends_at", "items[0].sale_price_fen", "items[0].quantity"]
        );
    }

    #[test]
    fn keys_are_checked() {
        assert!(idempotency_key(Some("abc_DEF-1")).is_ok());
        assert!(idempotency_key(Some("")).is_err());
        assert!(idempotency_key(Some("a b")).is_err());
        assert!(idempotency_key(None).is_err());
    }
}
