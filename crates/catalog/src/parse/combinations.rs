//! Spec attributes and SKUs: one SKU per combination, each naming one value of every attribute.

use std::collections::HashSet;

use super::{
    COMBINATION_SEPARATOR, MAX_SKUS, MAX_SPEC_ATTRIBUTES, optional_code, price, stock, text,
};
use crate::error::{CatalogError, Problems};
use crate::model::{NewSku, SpecAttribute};

pub fn specs(values: &[SpecAttribute]) -> Result<Vec<SpecAttribute>, CatalogError> {
    let mut problems = Problems::default();
    if values.len() > MAX_SPEC_ATTRIBUTES {
        problems.0.push(kernel::FieldError::new(
            "specs",
            "at most 3 spec attributes",
        ));
    }
    let mut names = HashSet::new();
    let mut parsed = Vec::new();
    for (index, attribute) in values.iter().enumerate() {
        let field = format!("specs[{index}]");
        let name = problems.take(&format!("{field}.name"), text(&attribute.name, 1, 20));
        if let Some(name) = &name
            && !names.insert(name.clone())
        {
            problems.0.push(kernel::FieldError::new(
                format!("{field}.name"),
                "is repeated",
            ));
        }
        if attribute.values.is_empty() || attribute.values.len() > 50 {
            problems.0.push(kernel::FieldError::new(
                format!("{field}.values"),
                "must have 1 to 50 values",
            ));
        }
        let mut seen = HashSet::new();
        let mut spec_values = Vec::new();
        for (value_index, value) in attribute.values.iter().enumerate() {
            let value_field = format!("{field}.values[{value_index}]");
            if let Some(value) = problems.take(&value_field, text(value, 1, 20)) {
                if value.contains(COMBINATION_SEPARATOR) || !seen.insert(value.clone()) {
                    problems
                        .0
                        .push(kernel::FieldError::new(value_field, "is repeated"));
                } else {
                    spec_values.push(value);
                }
            }
        }
        if let Some(name) = name {
            parsed.push(SpecAttribute {
                name,
                values: spec_values,
            });
        }
    }
    if problems.0.is_empty() {
        Ok(parsed)
    } else {
        Err(problems.into_error())
    }
}

/// A SKU that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedSku {
    pub spec_values: Vec<String>,
    pub combination_key: String,
    pub price: i64,
    pub list_price: Option<i64>,
    pub stock: i64,
    pub merchant_code: Option<String>,
    pub barcode: Option<String>,
    pub low_stock_threshold: i64,
}

pub fn combination_key(values: &[String]) -> String {
    values.join(&COMBINATION_SEPARATOR.to_string())
}

/// One SKU per combination; each combination names one value of every attribute, in order.
pub fn skus(specs: &[SpecAttribute], skus: &[NewSku]) -> Result<Vec<ParsedSku>, CatalogError> {
    if skus.is_empty() || skus.len() > MAX_SKUS {
        return Err(CatalogError::invalid(
            "skus",
            format!("must have 1 to {MAX_SKUS} SKUs"),
        ));
    }
    let mut seen = HashSet::new();
    let mut parsed = Vec::with_capacity(skus.len());
    for (index, sku) in skus.iter().enumerate() {
        let field = format!("skus[{index}]");
        let values: Vec<String> = sku
            .spec_values
            .iter()
            .map(|v| v.trim().to_owned())
            .collect();
        let matches = values.len() == specs.len()
            && values
                .iter()
                .zip(specs)
                .all(|(value, attribute)| attribute.values.contains(value));
        if !matches {
            return Err(CatalogError::SkuCombinationMismatch(format!(
                "{field}.spec_values {values:?} must name one value of each of [{}]",
                specs
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let key = combination_key(&values);
        if !seen.insert(key.clone()) {
            return Err(CatalogError::DuplicateSkuCombination(format!(
                "{field}.spec_values {values:?}"
            )));
        }
        let price = price(sku.price)
            .map_err(|m| CatalogError::InvalidPrice(format!("{field}.price: {m}")))?;
        let list_price = match sku.list_price {
            None => None,
            Some(list) => {
                let list = self::price(list)
                    .map_err(|m| CatalogError::InvalidPrice(format!("{field}.list_price: {m}")))?;
                if list < price {
                    return Err(CatalogError::InvalidPrice(format!(
                        "{field}.list_price must not be below the price"
                    )));
                }
                Some(list)
            }
        };
        let mut problems = Problems::default();
        let stock = problems.take(&format!("{field}.stock"), stock(sku.stock));
        let threshold = problems.take(
            &format!("{field}.low_stock_threshold"),
            self::stock(sku.low_stock_threshold),
        );
        let merchant_code = problems.take(
            &format!("{field}.merchant_code"),
            optional_code(sku.merchant_code.as_deref()),
        );
        let barcode = problems.take(
            &format!("{field}.barcode"),
            optional_code(sku.barcode.as_deref()),
        );
        match (stock, threshold, merchant_code, barcode) {
            (Some(stock), Some(low_stock_threshold), Some(merchant_code), Some(barcode)) => parsed
                .push(ParsedSku {
                    spec_values: values,
                    combination_key: key,
                    price,
                    list_price,
                    stock,
                    merchant_code,
                    barcode,
                    low_stock_threshold,
                }),
            _ => return Err(problems.into_error()),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::MAX_PRICE_FEN;

    fn sku(values: &[&str], price: i64) -> NewSku {
        NewSku {
            spec_values: values.iter().map(|v| (*v).to_owned()).collect(),
            price,
            list_price: None,
            stock: 5,
            merchant_code: None,
            barcode: None,
            low_stock_threshold: 1,
        }
    }

    fn colour_and_size() -> Vec<SpecAttribute> {
        vec![
            SpecAttribute {
                name: "颜色".into(),
                values: vec!["红".into(), "蓝".into()],
            },
            SpecAttribute {
                name: "尺码".into(),
                values: vec!["S".into(), "M".into()],
            },
        ]
    }

    #[test]
    fn one_sku_per_matching_combination_is_accepted() -> Result<(), CatalogError> {
        let parsed = skus(
            &colour_and_size(),
            &[sku(&["红", "S"], 100), sku(&["蓝", "M"], 200)],
        )?;
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].combination_key, "蓝\u{1f}M");
        Ok(())
    }

    #[test]
    fn duplicate_and_mismatched_combinations_are_refused() {
        let specs = colour_and_size();
        assert!(matches!(
            skus(&specs, &[sku(&["红", "S"], 100), sku(&["红", "S"], 100)]),
            Err(CatalogError::DuplicateSkuCombination(_))
        ));
        assert!(matches!(
            skus(&specs, &[sku(&["红"], 100)]),
            Err(CatalogError::SkuCombinationMismatch(_))
        ));
        assert!(matches!(
            skus(&specs, &[sku(&["绿", "S"], 100)]),
            Err(CatalogError::SkuCombinationMismatch(_))
        ));
        assert!(matches!(
            skus(&[], &[sku(&["红"], 100)]),
            Err(CatalogError::SkuCombinationMismatch(_))
        ));
    }

    #[test]
    fn negative_zero_and_absurd_prices_are_refused() {
        for bad in [-1, 0, MAX_PRICE_FEN + 1, i64::MAX] {
            assert!(
                matches!(
                    skus(&[], &[sku(&[], bad)]),
                    Err(CatalogError::InvalidPrice(_))
                ),
                "{bad}"
            );
        }
        let mut below_list = sku(&[], 500);
        below_list.list_price = Some(400);
        assert!(matches!(
            skus(&[], &[below_list]),
            Err(CatalogError::InvalidPrice(_))
        ));
    }

    #[test]
    fn repeated_spec_names_and_values_are_refused() {
        let repeated = vec![SpecAttribute {
            name: "颜色".into(),
            values: vec!["红".into(), "红".into()],
        }];
        assert!(specs(&repeated).is_err());
        let same_name = vec![
            SpecAttribute {
                name: "颜色".into(),
                values: vec!["红".into()],
            },
            SpecAttribute {
                name: "颜色".into(),
                values: vec!["蓝".into()],
            },
        ];
        assert!(specs(&same_name).is_err());
    }
}
