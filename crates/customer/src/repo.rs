//! Every query starts from `scoped(tenant)`.

use kernel::TenantId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select, UpdateMany};

use crate::entity::{customer, customer_session};

pub(crate) struct Scoped {
    tenant: uuid::Uuid,
}

pub(crate) fn scoped(tenant: TenantId) -> Scoped {
    Scoped {
        tenant: tenant.as_uuid(),
    }
}

impl Scoped {
    pub fn customers(&self) -> Select<customer::Entity> {
        customer::Entity::find().filter(customer::Column::TenantId.eq(self.tenant))
    }

    pub fn update_customers(&self) -> UpdateMany<customer::Entity> {
        customer::Entity::update_many().filter(customer::Column::TenantId.eq(self.tenant))
    }

    pub fn sessions(&self) -> Select<customer_session::Entity> {
        customer_session::Entity::find().filter(customer_session::Column::TenantId.eq(self.tenant))
    }
}
