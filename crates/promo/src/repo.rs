//! Queries. Every query on a promo table starts from [`scoped`], so none can run without the
//! tenant in scope.

use kernel::TenantId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select, UpdateMany};

use crate::entity::{customer_count, flash_sale, item, purchase};

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
    flash_sale: flash_sales, update_flash_sales;
    item: items, update_items;
    purchase: purchases, update_purchases;
}

impl Scoped {
    pub fn update_customer_counts(&self) -> UpdateMany<customer_count::Entity> {
        customer_count::Entity::update_many()
            .filter(customer_count::Column::TenantId.eq(self.tenant))
    }

    pub fn delete_items(&self) -> sea_orm::DeleteMany<item::Entity> {
        item::Entity::delete_many().filter(item::Column::TenantId.eq(self.tenant))
    }
}
