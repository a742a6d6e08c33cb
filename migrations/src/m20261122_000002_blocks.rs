//! Blocks between people. A removed block keeps its row (with `removed_at`)
//! so that index tailers can see which pair it was; rows about a person are
//! deleted when the person is erased.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Blocks {
    Table,
    Id,
    Blocker,
    Blocked,
    CreatedAt,
    RemovedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Blocks::Table)
                    .if_not_exists()
                    .col(pk_uuid(Blocks::Id))
                    .col(uuid(Blocks::Blocker))
                    .col(uuid(Blocks::Blocked))
                    .col(timestamp_with_time_zone(Blocks::CreatedAt))
                    .col(timestamp_with_time_zone_null(Blocks::RemovedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [("idx_blocks_blocker", Blocks::Blocker), ("idx_blocks_blocked", Blocks::Blocked)] {
            manager
                .create_index(Index::create().name(name).table(Blocks::Table).col(column).if_not_exists().to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Blocks::Table).to_owned()).await
    }
}
