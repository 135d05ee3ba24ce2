#![doc = include_str!("../README.md")]

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_platform_tables;
mod m20261126_000002_tenant_tables;
mod m20261126_000100_catalog_tables;
mod m20261126_000200_customers;
mod m20261126_000300_payments;
mod m20261126_000310_payment_reconciliation;
mod m20261126_000400_orders;
mod m20261126_000410_after_sales;
mod m20261126_000420_fulfilment;
mod m20261126_000500_promo;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_platform_tables::Migration),
            Box::new(m20261126_000002_tenant_tables::Migration),
            Box::new(m20261126_000200_customers::Migration),
            Box::new(m20261126_000100_catalog_tables::Migration),
            Box::new(m20261126_000300_payments::Migration),
            Box::new(m20261126_000310_payment_reconciliation::Migration),
            Box::new(m20261126_000400_orders::Migration),
            Box::new(m20261126_000410_after_sales::Migration),
            Box::new(m20261126_000420_fulfilment::Migration),
            Box::new(m20261126_000500_promo::Migration),
        ]
    }
}
