//! Queries. Every query on a catalog table starts from [`scoped`], so none can run without the
//! tenant in scope.

use kernel::TenantId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select, UpdateMany};

use crate::entity::{category, low_stock_alert, product, sku, stock_adjustment};

pub(crate) struct Scoped {
    tenant: uuid::Uuid,
}

pub(crate) fn scoped(tenant: TenantId) -> Scoped {
    Scoped {
        tenant: tenant.as_uuid(),
    }
}

macro_rules! scoped_tables {
    ($($entity:ident: $find:ident, $update:ident;)+) => {
        impl Scoped {
            $(
                pub fn $find(&self) -> Select<$entity::Entity> {
                    $entity::Entity::find().filter($entity::Column::TenantId.eq(self.tenant))
                }

                #[allow(dead_code, reason = "not every table is updated in bulk")]
                pub fn $update(&self) -> UpdateMany<$entity::Entity> {
                    $entity::Entity::update_many().filter($entity::Column::TenantId.eq(self.tenant))
                }
            )+
        }
    };
}

scoped_tables! {
    category: categories, update_categories;
    product: products, update_products;
    sku: skus, update_skus;
    stock_adjustment: stock_adjustments, update_stock_adjustments;
    low_stock_alert: low_stock_alerts, update_low_stock_alerts;
}
