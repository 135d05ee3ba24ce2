//! Parsing of merchant input, before anything is written: parse, don't validate.

use std::collections::HashSet;

use crate::error::{CatalogError, Problems};
use crate::model::{NewProduct, NewSku, Qualification, SpecAttribute};

/// The highest price a SKU may have: ¥999,999.99. Anything above is a typo (yuan sent as fen twice).
pub const MAX_PRICE_FEN: i64 = 99_999_999;
pub const MAX_STOCK: i64 = 10_000_000;
pub const MAX_SKUS: usize = 400;
const MAX_SPEC_ATTRIBUTES: usize = 3;
/// Separates spec values in a combination key; no merchant types it.
const COMBINATION_SEPARATOR: char = '\u{1f}';

fn text(value: &str, min: usize, max: usize) -> Result<String, String> {
    let value = value.trim();
    let length = value.chars().count();
    if length < min || length > max {
        return Err(if min == 0 {
            format!("must be at most {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        });
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(value.to_owned())
}

pub fn category_name(value: &str) -> Result<String, String> {
    text(value, 1, 20)
}

pub fn title(value: &str) -> Result<String, String> {
    text(value, 1, 60)
}

pub fn subtitle(value: &str) -> Result<String, String> {
    text(value, 0, 120)
}

pub fn detail_html(value: &str) -> Result<String, String> {
    if value.chars().count() > 100_000 {
        return Err("must be at most 100000 characters".to_owned());
    }
    Ok(value.to_owned())
}

pub fn images(values: &[String]) -> Result<Vec<String>, String> {
    if values.len() > 9 {
        return Err("at most 9 images".to_owned());
    }
    values
        .iter()
        .map(|url| {
            let url = url.trim();
            let well_formed = (url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("/media/"))
                && url.len() <= 500
                && !url.chars().any(char::is_whitespace);
            if well_formed {
                Ok(url.to_owned())
            } else {
                Err(format!(
                    "`{url}` is not an image URL (http(s)://… or /media/…, at most 500 characters)"
                ))
            }
        })
        .collect()
}

pub fn tags(values: &[String]) -> Result<Vec<String>, String> {
    if values.len() > 10 {
        return Err("at most 10 tags".to_owned());
    }
    let mut seen = HashSet::new();
    let mut tags = Vec::new();
    for value in values {
        let tag = text(value, 1, 10).map_err(|m| format!("each tag {m}"))?;
        if tag.contains('|') {
            return Err("a tag must not contain `|`".to_owned());
        }
        if seen.insert(tag.clone()) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

pub fn sort_weight(value: i32) -> Result<i32, String> {
    if (-1_000_000..=1_000_000).contains(&value) {
        Ok(value)
    } else {
        Err("must be between -1000000 and 1000000".to_owned())
    }
}

pub fn shipping_weight_grams(value: i32) -> Result<i32, String> {
    if (0..=1_000_000).contains(&value) {
        Ok(value)
    } else {
        Err("must be between 0 and 1000000 grams".to_owned())
    }
}

pub fn optional_code(value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(code) => text(code, 1, 64).map(Some),
    }
}

pub fn price(value: i64) -> Result<i64, String> {
    if (1..=MAX_PRICE_FEN).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} fen is not a price (1 to {MAX_PRICE_FEN} fen)"
        ))
    }
}

pub fn stock(value: i64) -> Result<i64, String> {
    if (0..=MAX_STOCK).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between 0 and {MAX_STOCK}"))
    }
}

/// An SC food production licence: `SC` and 14 digits.
pub fn is_food_licence(value: &str) -> bool {
    value
        .strip_prefix("SC")
        .is_some_and(|digits| digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// A cosmetics filing or registration number, e.g. `国妆特字G20190001` or `粤G妆网备字2020000001`:
/// names 妆, ends with at least four digits, 8 to 40 characters.
pub fn is_cosmetics_filing(value: &str) -> bool {
    let length = value.chars().count();
    let trailing_digits = value.chars().rev().take_while(char::is_ascii_digit).count();
    (8..=40).contains(&length) && value.contains('妆') && trailing_digits >= 4
}

impl Qualification {
    /// What the merchant must attach, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Qualification::None => "nothing",
            Qualification::Food => "SC food production licence number (SC + 14 digits)",
            Qualification::Cosmetics => "cosmetics filing or registration number",
        }
    }

    pub fn accepts(self, number: Option<&str>) -> bool {
        match self {
            Qualification::None => true,
            Qualification::Food => number.is_some_and(is_food_licence),
            Qualification::Cosmetics => number.is_some_and(is_cosmetics_filing),
        }
    }
}

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

/// Everything of a new product but its category (checked against the database).
#[derive(Clone, Debug)]
pub struct ParsedProduct {
    pub title: String,
    pub subtitle: String,
    pub images: Vec<String>,
    pub detail_html: String,
    pub tags: Vec<String>,
    pub sort_weight: i32,
    pub shipping_weight_grams: i32,
    pub qualification_number: Option<String>,
    pub show_exact_stock: bool,
    pub specs: Vec<SpecAttribute>,
    pub skus: Vec<ParsedSku>,
}

pub fn product(input: &NewProduct) -> Result<ParsedProduct, CatalogError> {
    let mut problems = Problems::default();
    let title = problems.take("title", title(&input.title));
    let subtitle = problems.take("subtitle", subtitle(&input.subtitle));
    let images = problems.take("images", images(&input.images));
    let detail_html = problems.take("detail_html", detail_html(&input.detail_html));
    let tags = problems.take("tags", tags(&input.tags));
    let sort_weight = problems.take("sort_weight", sort_weight(input.sort_weight));
    let weight = problems.take(
        "shipping_weight_grams",
        shipping_weight_grams(input.shipping_weight_grams),
    );
    let qualification_number = problems.take(
        "qualification_number",
        optional_code(input.qualification_number.as_deref()),
    );
    let (
        Some(title),
        Some(subtitle),
        Some(images),
        Some(detail_html),
        Some(tags),
        Some(sort_weight),
        Some(shipping_weight_grams),
        Some(qualification_number),
    ) = (
        title,
        subtitle,
        images,
        detail_html,
        tags,
        sort_weight,
        weight,
        qualification_number,
    )
    else {
        return Err(problems.into_error());
    };
    let specs = specs(&input.specs)?;
    let skus = skus(&specs, &input.skus)?;
    Ok(ParsedProduct {
        title,
        subtitle,
        images,
        detail_html,
        tags,
        sort_weight,
        shipping_weight_grams,
        qualification_number,
        show_exact_stock: input.show_exact_stock,
        specs,
        skus,
    })
}

/// The lower-cased text substring search runs over.
pub fn search_text(title: &str, subtitle: &str, tags: &[String]) -> String {
    format!("{title} {subtitle} {}", tags.join(" ")).to_lowercase()
}

/// `|新品|热卖|`: one LIKE `%|tag|%` finds a tag exactly.
pub fn tags_text(tags: &[String]) -> String {
    format!("|{}|", tags.join("|"))
}

/// Escapes LIKE wildcards so a keyword matches literally (with `ESCAPE '\'`).
pub fn like_literal(keyword: &str) -> String {
    keyword
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn food_licences_are_sc_and_fourteen_digits() {
        assert!(is_food_licence("SC10644010600123"));
        assert!(!is_food_licence("SC1064401060012"));
        assert!(!is_food_licence("SC1064401060012X"));
        assert!(!is_food_licence("sc10644010600123"));
        assert!(Qualification::Food.accepts(Some("SC10644010600123")));
        assert!(!Qualification::Food.accepts(None));
        assert!(Qualification::None.accepts(None));
    }

    #[test]
    fn cosmetics_filings_name_cosmetics_and_end_in_digits() {
        assert!(is_cosmetics_filing("国妆特字G20190001"));
        assert!(is_cosmetics_filing("粤G妆网备字2020000001"));
        assert!(!is_cosmetics_filing("G20190001"));
        assert!(!is_cosmetics_filing("国妆特字"));
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

    #[test]
    fn like_keywords_match_literally() {
        assert_eq!(like_literal("50%_off"), "50\\%\\_off");
        assert_eq!(
            search_text("玻尿酸保湿面霜", "", &["新品".into()]),
            "玻尿酸保湿面霜  新品"
        );
    }
}
