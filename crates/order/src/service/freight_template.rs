//! Freight templates (运费模板): charged by piece or by weight, with a rate per region (province)
//! and a default rate, and free shipping from a goods total (满X包邮). A shop with a template is
//! charged by it at checkout; without one, by its flat rule (`freight.rs`). Pure rating is here
//! with its tests; the template is one JSON row per tenant.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tenant::{AdminPrincipal, Permission};
use utoipa::ToSchema;

use super::now;
use crate::entity::freight_template;
use crate::error::OrderError;
use crate::model::Figure;
use crate::repo::scoped;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargeBy {
    /// Units are pieces.
    Piece,
    /// Units are grams (the product's `shipping_weight_grams` × quantity).
    Weight,
}

/// `first_fee` for the first `first` units, then `additional_fee` per started `additional` units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FreightRate {
    pub first: i64,
    pub first_fee: i64,
    pub additional: i64,
    pub additional_fee: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegionRate {
    /// Province names as in addresses, e.g. `新疆维吾尔自治区`.
    pub provinces: Vec<String>,
    pub rate: FreightRate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FreightTemplate {
    pub charge_by: ChargeBy,
    /// For provinces no region names.
    pub default_rate: FreightRate,
    #[serde(default)]
    pub regions: Vec<RegionRate>,
    /// Free shipping from this goods total (fen); none: never free.
    pub free_over: Option<i64>,
}

const MAX_FEE: i64 = 100_000;

fn check_rate(problems: &mut Vec<kernel::FieldError>, field: &str, rate: &FreightRate) {
    if !(1..=1_000_000).contains(&rate.first) {
        problems.push(kernel::FieldError::new(
            format!("{field}.first"),
            "1 to 1000000 units",
        ));
    }
    if !(1..=1_000_000).contains(&rate.additional) {
        problems.push(kernel::FieldError::new(
            format!("{field}.additional"),
            "1 to 1000000 units",
        ));
    }
    for (name, fee) in [
        ("first_fee", rate.first_fee),
        ("additional_fee", rate.additional_fee),
    ] {
        if !(0..=MAX_FEE).contains(&fee) {
            problems.push(kernel::FieldError::new(
                format!("{field}.{name}"),
                "0 to 100000 fen",
            ));
        }
    }
}

impl FreightRate {
    fn fee(&self, units: i64) -> i64 {
        let beyond = (units - self.first).max(0);
        let steps = (beyond + self.additional - 1) / self.additional;
        self.first_fee + steps * self.additional_fee
    }
}

impl FreightTemplate {
    /// Checks every figure and that no province is in two regions.
    pub fn parse(mut self) -> Result<FreightTemplate, OrderError> {
        let mut problems = Vec::new();
        check_rate(&mut problems, "default_rate", &self.default_rate);
        if self.regions.len() > 40 {
            problems.push(kernel::FieldError::new("regions", "at most 40 regions"));
        }
        let mut seen = std::collections::HashSet::new();
        for (index, region) in self.regions.iter_mut().enumerate() {
            check_rate(
                &mut problems,
                &format!("regions[{index}].rate"),
                &region.rate,
            );
            for province in &mut region.provinces {
                *province = province.trim().to_owned();
            }
            if region.provinces.is_empty()
                || region
                    .provinces
                    .iter()
                    .any(|p| p.is_empty() || p.chars().count() > 30)
            {
                problems.push(kernel::FieldError::new(
                    format!("regions[{index}].provinces"),
                    "1 or more province names of at most 30 characters",
                ));
            }
            for province in &region.provinces {
                if !seen.insert(province.clone()) {
                    problems.push(kernel::FieldError::new(
                        format!("regions[{index}].provinces"),
                        format!("{province} is already in another region"),
                    ));
                }
            }
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

    /// The freight to `province` for `pieces` weighing `grams`, with the rule that produced it.
    pub fn freight(&self, province: &str, pieces: i64, grams: i64, goods_total: i64) -> Figure {
        if let Some(threshold) = self.free_over.filter(|over| goods_total >= *over) {
            return Figure {
                amount: 0,
                rule: format!("free shipping from {threshold} fen (满{threshold}分包邮)"),
            };
        }
        let (rate, place) = self
            .regions
            .iter()
            .find(|region| region.provinces.iter().any(|p| p == province))
            .map_or((&self.default_rate, "default rate"), |region| {
                (&region.rate, "rate for the region")
            });
        let (units, unit) = match self.charge_by {
            ChargeBy::Piece => (pieces, "pieces"),
            ChargeBy::Weight => (grams, "g"),
        };
        Figure {
            amount: rate.fee(units),
            rule: format!(
                "template by {}: {units} {unit} to {province}, {place}: {} fen for the first {} {unit}, {} fen per {} {unit} more",
                match self.charge_by {
                    ChargeBy::Piece => "piece",
                    ChargeBy::Weight => "weight",
                },
                rate.first_fee,
                rate.first,
                rate.additional_fee,
                rate.additional
            ),
        }
    }
}

/// The shop's template, if it set one.
pub(crate) async fn freight_template(
    db: &impl ConnectionTrait,
    tenant: kernel::TenantId,
) -> Result<Option<FreightTemplate>, OrderError> {
    scoped(tenant)
        .freight_templates()
        .one(db)
        .await?
        .map(|row| {
            serde_json::from_value(row.template).map_err(|e| {
                OrderError::Database(sea_orm::DbErr::Custom(format!("freight template: {e}")))
            })
        })
        .transpose()
}

/// The shop's freight template (404 `order.freight_template_not_found` without one).
pub async fn get_freight_template(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<FreightTemplate, OrderError> {
    principal.require(Permission::ViewOrders)?;
    freight_template(db, principal.tenant_id)
        .await?
        .ok_or(OrderError::FreightTemplateNotFound)
}

/// Sets the shop's template: checkouts are charged by it from now on, instead of the flat rule.
pub async fn set_freight_template(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
    template: FreightTemplate,
) -> Result<FreightTemplate, OrderError> {
    principal.require(Permission::ManageOrders)?;
    let template = template.parse()?;
    freight_template::Entity::insert(freight_template::ActiveModel {
        tenant_id: Set(principal.tenant_id.as_uuid()),
        template: Set(serde_json::to_value(&template).unwrap_or_default()),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(freight_template::Column::TenantId)
            .update_columns([
                freight_template::Column::Template,
                freight_template::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(template)
}

/// Removes the shop's template: checkouts go back to the flat rule.
pub async fn delete_freight_template(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<(), OrderError> {
    principal.require(Permission::ManageOrders)?;
    let deleted = freight_template::Entity::delete_many()
        .filter(freight_template::Column::TenantId.eq(principal.tenant_id.as_uuid()))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(OrderError::FreightTemplateNotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(first: i64, first_fee: i64, additional: i64, additional_fee: i64) -> FreightRate {
        FreightRate {
            first,
            first_fee,
            additional,
            additional_fee,
        }
    }

    fn template(charge_by: ChargeBy) -> FreightTemplate {
        FreightTemplate {
            charge_by,
            default_rate: rate(1, 800, 1, 200),
            regions: vec![RegionRate {
                provinces: vec!["新疆维吾尔自治区".to_owned(), "西藏自治区".to_owned()],
                rate: rate(1, 2000, 1, 1000),
            }],
            free_over: Some(19900),
        }
    }

    #[test]
    fn by_piece_the_first_piece_then_each_more() {
        let t = template(ChargeBy::Piece);
        assert_eq!(t.freight("浙江省", 1, 0, 100).amount, 800);
        assert_eq!(t.freight("浙江省", 3, 0, 100).amount, 1200);
        assert_eq!(t.freight("新疆维吾尔自治区", 2, 0, 100).amount, 3000);
        assert_eq!(t.freight("新疆维吾尔自治区", 2, 0, 19900).amount, 0);
    }

    #[test]
    fn by_weight_each_started_step_counts() {
        let t = FreightTemplate {
            default_rate: rate(1000, 1000, 500, 300),
            ..template(ChargeBy::Weight)
        };
        assert_eq!(t.freight("浙江省", 9, 1000, 0).amount, 1000);
        assert_eq!(t.freight("浙江省", 1, 1001, 0).amount, 1300);
        assert_eq!(t.freight("浙江省", 1, 2000, 0).amount, 1600);
        assert_eq!(t.freight("浙江省", 1, 0, 0).amount, 1000);
    }

    #[test]
    fn bad_templates_name_every_bad_field() {
        let mut bad = template(ChargeBy::Piece);
        bad.default_rate.additional = 0;
        bad.regions.push(RegionRate {
            provinces: vec!["西藏自治区".to_owned()],
            rate: rate(1, -1, 1, 1),
        });
        let Err(OrderError::Invalid(fields)) = bad.parse() else {
            panic!("accepted");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "default_rate.additional",
                "regions[1].rate.first_fee",
                "regions[1].provinces"
            ]
        );
    }
}
