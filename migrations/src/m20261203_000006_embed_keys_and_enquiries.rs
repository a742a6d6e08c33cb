//! The council embed (DESIGN §6, §7): embed keys, stored only as a hash of
//! the key, each with its one authority, allowed origins and the salt of its
//! listing ids; and residents' enquiries about a listing, for the brokers of
//! the key's authority. An enquirer's name, contact details and message are
//! cleared when a broker resolves the enquiry, and after 90 days at most.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmbedKeys {
    Table,
    Id,
    KeyHash,
    Authority,
    Origins,
    Label,
    ListingSalt,
    CreatedAt,
    CreatedBy,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum Enquiries {
    Table,
    Id,
    EmbedKeyId,
    Authority,
    PersonId,
    Name,
    Email,
    Phone,
    Message,
    Flags,
    Status,
    CreatedAt,
    ClosedAt,
    ClosedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmbedKeys::Table)
                    .if_not_exists()
                    .col(uuid(EmbedKeys::Id).primary_key())
                    .col(string(EmbedKeys::KeyHash).unique_key())
                    .col(string(EmbedKeys::Authority))
                    .col(json(EmbedKeys::Origins))
                    .col(string(EmbedKeys::Label))
                    .col(string(EmbedKeys::ListingSalt))
                    .col(timestamp_with_time_zone(EmbedKeys::CreatedAt))
                    .col(uuid(EmbedKeys::CreatedBy))
                    .col(timestamp_with_time_zone_null(EmbedKeys::RevokedAt))
                    .col(uuid_null(EmbedKeys::RevokedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Enquiries::Table)
                    .if_not_exists()
                    .col(uuid(Enquiries::Id).primary_key())
                    .col(uuid(Enquiries::EmbedKeyId))
                    .col(string(Enquiries::Authority))
                    .col(uuid(Enquiries::PersonId))
                    .col(text_null(Enquiries::Name))
                    .col(text_null(Enquiries::Email))
                    .col(text_null(Enquiries::Phone))
                    .col(text_null(Enquiries::Message))
                    .col(json(Enquiries::Flags))
                    .col(string(Enquiries::Status))
                    .col(timestamp_with_time_zone(Enquiries::CreatedAt))
                    .col(timestamp_with_time_zone_null(Enquiries::ClosedAt))
                    .col(uuid_null(Enquiries::ClosedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_enquiries_queue")
                    .table(Enquiries::Table)
                    .col(Enquiries::Authority)
                    .col(Enquiries::Status)
                    .col(Enquiries::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_enquiries_person")
                    .table(Enquiries::Table)
                    .col(Enquiries::PersonId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Enquiries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(EmbedKeys::Table).to_owned()).await
    }
}
