//! Schema migrations for Finding Friends: one set, run unchanged on SQLite
//! and PostgreSQL. Migrations are dated, append-only, and each has a `down`.
//! `friends serve` and `friends migrate` apply them at start.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_people_and_change_log;
mod m20261122_000002_blocks;
mod m20261122_000003_introductions;
mod m20261202_000004_idempotency_keys;
mod m20261202_000005_introduction_members;
mod m20261203_000006_embed_keys_and_enquiries;
mod m20261203_000007_aftercare;
mod m20261204_000008_external_refs;

/// Every migration, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_people_and_change_log::Migration),
            Box::new(m20261122_000002_blocks::Migration),
            Box::new(m20261122_000003_introductions::Migration),
            Box::new(m20261202_000004_idempotency_keys::Migration),
            Box::new(m20261202_000005_introduction_members::Migration),
            Box::new(m20261203_000006_embed_keys_and_enquiries::Migration),
            Box::new(m20261203_000007_aftercare::Migration),
            Box::new(m20261204_000008_external_refs::Migration),
        ]
    }
}
