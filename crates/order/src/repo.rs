//! Queries. Every query on an order table starts from [`scoped`], so none can run without the
//! tenant in scope.

use kernel::TenantId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select, UpdateMany};

use crate::entity::{
    address, after_sale, after_sale_transition, cart_line, freight_rule, order, order_line, review,
    transition,
};

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
    cart_line: cart_lines, update_cart_lines;
    address: addresses, update_addresses;
    order: orders, update_orders;
    order_line: order_lines, update_order_lines;
    transition: transitions, update_transitions;
    freight_rule: freight_rules, update_freight_rules;
    after_sale: after_sales, update_after_sales;
    after_sale_transition: after_sale_transitions, update_after_sale_transitions;
    review: reviews, update_reviews;
}

impl Scoped {
    pub fn delete_cart_lines(&self) -> sea_orm::DeleteMany<cart_line::Entity> {
        cart_line::Entity::delete_many().filter(cart_line::Column::TenantId.eq(self.tenant))
    }

    pub fn delete_addresses(&self) -> sea_orm::DeleteMany<address::Entity> {
        address::Entity::delete_many().filter(address::Column::TenantId.eq(self.tenant))
    }
}
