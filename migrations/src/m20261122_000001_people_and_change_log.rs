//! People and the change log that derived indexes tail.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    Version,
    DisplayName,
    About,
    BirthYear,
    Gender,
    Outcode,
    AuthorityCode,
    TravelKm,
    Travel,
    Interests,
    Goals,
    SupportNeeds,
    Communication,
    AccessNeeds,
    Availability,
    ContributionMin,
    ContributionMax,
    Preferences,
    Contact,
    ShareNeedsWithMatches,
    Discoverable,
    PublicListing,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Seq,
    Entity,
    EntityId,
    Operation,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(People::Table)
                    .if_not_exists()
                    .col(pk_uuid(People::Id))
                    .col(big_integer(People::Version))
                    .col(text(People::DisplayName))
                    .col(text(People::About))
                    .col(integer(People::BirthYear))
                    .col(string_null(People::Gender))
                    .col(string(People::Outcode))
                    .col(string(People::AuthorityCode))
                    .col(integer(People::TravelKm))
                    .col(string_null(People::Travel))
                    .col(json(People::Interests))
                    .col(json(People::Goals))
                    .col(json(People::SupportNeeds))
                    .col(json(People::Communication))
                    .col(json(People::AccessNeeds))
                    .col(json(People::Availability))
                    .col(integer_null(People::ContributionMin))
                    .col(integer_null(People::ContributionMax))
                    .col(json(People::Preferences))
                    .col(json(People::Contact))
                    .col(boolean(People::ShareNeedsWithMatches))
                    .col(boolean(People::Discoverable))
                    .col(boolean(People::PublicListing))
                    .col(string(People::Status))
                    .col(timestamp_with_time_zone(People::CreatedAt))
                    .col(timestamp_with_time_zone(People::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_people_authority_code")
                    .table(People::Table)
                    .col(People::AuthorityCode)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ChangeLog::Seq))
                    .col(string(ChangeLog::Entity))
                    .col(uuid(ChangeLog::EntityId))
                    .col(string(ChangeLog::Operation))
                    .col(timestamp_with_time_zone(ChangeLog::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_change_log_entity")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::Entity)
                    .col(ChangeLog::EntityId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChangeLog::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(People::Table).to_owned()).await
    }
}
