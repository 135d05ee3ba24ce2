//! Parsing of merchant input, before anything is written: parse, don't validate.

use std::collections::HashSet;

mod combinations;

pub use combinations::{ParsedSku, combination_key, skus, specs};

use crate::error::{CatalogError, Problems};
use crate::model::{NewProduct, Qualification, SpecAttribute};

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
    fn like_keywords_match_literally() {
        assert_eq!(like_literal("50%_off"), "50\\%\\_off");
        assert_eq!(
            search_text("玻尿酸保湿面霜", "", &["新品".into()]),
            "玻尿酸保湿面霜  新品"
        );
    }
}
