//! Queries. Every query on a tenant-owned table starts from [`scoped`], so none can run without
//! the tenant in scope.

use kernel::TenantId;
use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};

use crate::entity::{api_key, staff, staff_session, tenant_certification, wechat_config};

pub(crate) struct Scoped {
    tenant: uuid::Uuid,
}

pub(crate) fn scoped(tenant: TenantId) -> Scoped {
    Scoped {
        tenant: tenant.as_uuid(),
    }
}

macro_rules! scoped_tables {
    ($($entity:ident: $find:ident, $update:ident, $delete:ident;)+) => {
        impl Scoped {
            $(
                pub fn $find(&self) -> Select<$entity::Entity> {
                    $entity::Entity::find().filter($entity::Column::TenantId.eq(self.tenant))
                }

                #[allow(dead_code, reason = "not every table is updated in bulk yet")]
                pub fn $update(&self) -> UpdateMany<$entity::Entity> {
                    $entity::Entity::update_many().filter($entity::Column::TenantId.eq(self.tenant))
                }

                #[allow(dead_code, reason = "not every table is deleted from yet")]
                pub fn $delete(&self) -> DeleteMany<$entity::Entity> {
                    $entity::Entity::delete_many().filter($entity::Column::TenantId.eq(self.tenant))
                }
            )+
        }
    };
}

scoped_tables! {
    staff: staff, update_staff, delete_staff;
    staff_session: staff_sessions, update_staff_sessions, delete_staff_sessions;
    api_key: api_keys, update_api_keys, delete_api_keys;
    tenant_certification: certifications, update_certifications, delete_certifications;
    wechat_config: wechat_config, update_wechat_config, delete_wechat_config;
}
