//! Pricing a checkout: goods, discounts (empty until the promotion engine fills them), freight by
//! the shop's rule, payable. Pure, so it is unit-tested.

use catalog::CheckoutSku;

use crate::error::OrderError;
use crate::model::{Figure, LineIn, PricedLine, Pricing};

/// A shop's freight rule: a flat fee per order, free from a goods total upwards (满X包邮).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct FreightRule {
    /// Fen per order, 0 to 100000.
    pub flat_fee: i64,
    /// Free shipping from this goods total (fen); none: never free.
    pub free_over: Option<i64>,
}

impl Default for FreightRule {
    /// ¥10 per order, free from ¥99.
    fn default() -> Self {
        FreightRule {
            flat_fee: 1000,
            free_over: Some(9900),
        }
    }
}

impl FreightRule {
    pub fn parse(self) -> Result<FreightRule, OrderError> {
        let mut problems = Vec::new();
        if !(0..=100_000).contains(&self.flat_fee) {
            problems.push(kernel::FieldError::new("flat_fee", "0 to 100000 fen"));
        }
        if self
            .free_over
            .is_some_and(|over| !(1..=99_999_999).contains(&over))
        {
            problems.push(kernel::FieldError::new(
                "free_over",
                "1 to 99999999 fen, or null",
            ));
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(OrderError::Invalid(problems))
        }
    }

    pub fn freight(&self, goods_total: i64) -> Figure {
        match self.free_over {
            Some(threshold) if goods_total >= threshold => Figure {
                amount: 0,
                rule: format!("free shipping from {threshold} fen (满{threshold}分包邮)"),
            },
            _ => Figure {
                amount: self.flat_fee,
                rule: format!("flat fee of {} fen per order", self.flat_fee),
            },
        }
    }
}

/// How a checkout's freight is charged: the shop's flat rule, or its template for the address's
/// province.
#[derive(Clone, Debug)]
pub enum FreightPolicy {
    Flat(FreightRule),
    Template {
        template: super::freight_template::FreightTemplate,
        province: String,
    },
}

impl From<FreightRule> for FreightPolicy {
    fn from(rule: FreightRule) -> Self {
        FreightPolicy::Flat(rule)
    }
}

/// Prices `lines` against the current SKUs; refuses unknown SKUs, products not on sale and lines
/// above the stock.
pub fn price(
    lines: &[LineIn],
    skus: &[CheckoutSku],
    policy: impl Into<FreightPolicy>,
) -> Result<Pricing, OrderError> {
    let policy = policy.into();
    let mut grams = 0;
    let mut priced = Vec::with_capacity(lines.len());
    for line in lines {
        let sku = skus
            .iter()
            .find(|sku| sku.sku_id == line.sku_id)
            .ok_or(OrderError::SkuNotFound(line.sku_id))?;
        if !sku.on_sale {
            return Err(OrderError::SkuNotOnSale(line.sku_id));
        }
        if sku.stock < line.quantity {
            return Err(OrderError::InsufficientStock {
                sku_id: line.sku_id,
                available: sku.stock,
                requested: line.quantity,
            });
        }
        priced.push(PricedLine {
            sku_id: sku.sku_id,
            product_id: sku.product_id,
            title: sku.title.clone(),
            spec_text: sku.spec_text.clone(),
            image: sku.image.clone(),
            unit_price: sku.price,
            quantity: line.quantity,
            line_total: sku.price * line.quantity,
        });
        grams += sku.weight_grams * line.quantity;
    }
    let goods_total: i64 = priced.iter().map(|line| line.line_total).sum();
    let discounts: Vec<Figure> = Vec::new();
    let discount_total: i64 = discounts.iter().map(|d| d.amount).sum();
    let freight = match &policy {
        FreightPolicy::Flat(rule) => rule.freight(goods_total),
        FreightPolicy::Template { template, province } => {
            let pieces = priced.iter().map(|line| line.quantity).sum();
            template.freight(province, pieces, grams, goods_total)
        }
    };
    let payable = (goods_total - discount_total).max(0) + freight.amount;
    Ok(Pricing {
        lines: priced,
        goods_total: Figure {
            amount: goods_total,
            rule: "sum of unit price × quantity".to_owned(),
        },
        discounts,
        payable: Figure {
            amount: payable,
            rule: "goods − discounts + freight".to_owned(),
        },
        freight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sku(price: i64, stock: i64, on_sale: bool) -> CheckoutSku {
        CheckoutSku {
            sku_id: Uuid::from_u128(1),
            product_id: Uuid::from_u128(2),
            title: "茶".to_owned(),
            spec_text: String::new(),
            price,
            stock,
            on_sale,
            weight_grams: 100,
            image: String::new(),
        }
    }

    fn line(quantity: i64) -> LineIn {
        LineIn {
            sku_id: Uuid::from_u128(1),
            quantity,
        }
    }

    #[test]
    fn freight_is_free_from_the_threshold() {
        let rule = FreightRule::default();
        let below = price(&[line(1)], &[sku(9899, 5, true)], rule).ok();
        assert_eq!(
            below.map(|p| (p.freight.amount, p.payable.amount)),
            Some((1000, 10899))
        );
        let at = price(&[line(1)], &[sku(9900, 5, true)], rule).ok();
        assert_eq!(
            at.map(|p| (p.freight.amount, p.payable.amount)),
            Some((0, 9900))
        );
    }

    #[test]
    fn checkout_fails_when_stock_is_exhausted_or_the_product_is_off_shelf() {
        let rule = FreightRule::default();
        assert!(matches!(
            price(&[line(6)], &[sku(100, 5, true)], rule),
            Err(OrderError::InsufficientStock {
                available: 5,
                requested: 6,
                ..
            })
        ));
        assert!(matches!(
            price(&[line(1)], &[sku(100, 5, false)], rule),
            Err(OrderError::SkuNotOnSale(_))
        ));
        assert!(matches!(
            price(&[line(1)], &[], rule),
            Err(OrderError::SkuNotFound(_))
        ));
    }
}
