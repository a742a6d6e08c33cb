//! Bulk import (DESIGN §7): each imported person's reference in the
//! council's own system, unique per importing authority, with a
//! fingerprint of the line last imported for them (the same line again
//! changes nothing) and a digest of each field as imported (a later line
//! changes only what the person did not). The row goes when the person is
//! erased, leaving in `erased_refs` a digest of the reference alone, so
//! that the council's next file does not bring them back.

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
    FieldDigests,
    ImportedAt,
}

#[derive(DeriveIden)]
enum ErasedRefs {
    Table,
    Authority,
    RefDigest,
    ErasedAt,
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
                    .col(text(ExternalRefs::FieldDigests))
                    .col(timestamp_with_time_zone(ExternalRefs::ImportedAt))
                    .primary_key(Index::create().col(ExternalRefs::Authority).col(ExternalRefs::ExternalRef))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ErasedRefs::Table)
                    .if_not_exists()
                    .col(string(ErasedRefs::Authority))
                    .col(string(ErasedRefs::RefDigest))
                    .col(timestamp_with_time_zone(ErasedRefs::ErasedAt))
                    .primary_key(Index::create().col(ErasedRefs::Authority).col(ErasedRefs::RefDigest))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ErasedRefs::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ExternalRefs::Table).to_owned()).await
    }
}
