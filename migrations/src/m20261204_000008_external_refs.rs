//! Bulk import (DESIGN §7): each imported person's reference in the
//! council's own system, unique per authority, with a fingerprint of the
//! line last imported for them, so that the same line again changes
//! nothing. The row goes when the person is erased.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExternalRefs {
    Table,
    Authority,
    ExternalRef,
    PersonId,
    Fingerprint,
    ImportedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExternalRefs::Table)
                    .if_not_exists()
                    .col(string(ExternalRefs::Authority))
                    .col(string(ExternalRefs::ExternalRef))
                    .col(uuid(ExternalRefs::PersonId).unique_key())
                    .col(string(ExternalRefs::Fingerprint))
                    .col(timestamp_with_time_zone(ExternalRefs::ImportedAt))
                    .primary_key(Index::create().col(ExternalRefs::Authority).col(ExternalRefs::ExternalRef))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ExternalRefs::Table).to_owned()).await
    }
}
