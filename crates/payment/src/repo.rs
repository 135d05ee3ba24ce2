//! Queries. Every query on a payment table starts from [`scoped`], so none can run without the
//! tenant in scope.

use kernel::TenantId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select, UpdateMany};

use crate::entity::{ledger_entry, payment, payment_setting, refund};

pub(crate) struct Scoped {
    tenant: uuid::Uuid,
}

pub(crate) fn scoped(tenant: TenantId) -> Scoped {
    Scoped {
        tenant: tenant.as_uuid(),
    }
}

impl Scoped {
    pub fn tenant(&self) -> uuid::Uuid {
        self.tenant
    }

    pub fn payments(&self) -> Select<payment::Entity> {
        payment::Entity::find().filter(payment::Column::TenantId.eq(self.tenant))
    }

    pub fn payment_by_out_trade_no(&self, out_trade_no: &str) -> Select<payment::Entity> {
        self.payments()
            .filter(payment::Column::OutTradeNo.eq(out_trade_no))
    }

    pub fn update_payments(&self) -> UpdateMany<payment::Entity> {
        payment::Entity::update_many().filter(payment::Column::TenantId.eq(self.tenant))
    }

    pub fn refund_by_out_refund_no(&self, out_refund_no: &str) -> Select<refund::Entity> {
        refund::Entity::find()
            .filter(refund::Column::TenantId.eq(self.tenant))
            .filter(refund::Column::OutRefundNo.eq(out_refund_no))
    }

    pub fn update_refunds(&self) -> UpdateMany<refund::Entity> {
        refund::Entity::update_many().filter(refund::Column::TenantId.eq(self.tenant))
    }

    pub fn ledger_entries(&self) -> Select<ledger_entry::Entity> {
        ledger_entry::Entity::find().filter(ledger_entry::Column::TenantId.eq(self.tenant))
    }

    pub fn update_ledger_entries(&self) -> UpdateMany<ledger_entry::Entity> {
        ledger_entry::Entity::update_many().filter(ledger_entry::Column::TenantId.eq(self.tenant))
    }

    pub fn settings(&self) -> Select<payment_setting::Entity> {
        payment_setting::Entity::find().filter(payment_setting::Column::TenantId.eq(self.tenant))
    }
}
