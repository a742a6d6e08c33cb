//! After the introduction (DESIGN §5): check-ins, the pooling agreement, and
//! when each introduction became `introduced` (for check-ins and outcomes).
//!
//! - `check_ins`: one row per member and check-in, numbered from 0. The next
//!   one of a current member waits as `scheduled` (never shown); the job
//!   opens it (`due`, at `opened_at`) when it falls due and schedules the one
//!   after. An answer makes it `answered`; 14 days after it opened without
//!   one, `missed`; leaving,
//!   `closed` (and the scheduled one is deleted). `attention` is `open`
//!   while it waits in the brokers' queue (`not_well`, or missed), then
//!   `resolved`. `note` and `supported_by` are the person's text: erasure
//!   deletes the person's rows.
//! - `agreements`: one per introduction, its fields as JSON (`body`), its
//!   `version` (the `ETag`), `draft` or `agreed`, and the members'
//!   confirmations (`[{person_id, version, at}]`).
//! - `introductions.introduced_at`: filled for existing rows from the event
//!   that introduced them. Existing members get their first check-in when
//!   the service starts (`Store::schedule_missing_check_ins`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CheckIns {
    Table,
    Id,
    IntroductionId,
    PersonId,
    Authority,
    Number,
    DueAt,
    Status,
    OpenedAt,
    Answer,
    Note,
    SupportedBy,
    AnsweredAt,
    Attention,
    FlaggedAt,
    ResolvedAt,
    ResolvedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Agreements {
    Table,
    IntroductionId,
    Version,
    Status,
    Body,
    Confirmations,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Introductions {
    Table,
    IntroducedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CheckIns::Table)
                    .if_not_exists()
                    .col(uuid(CheckIns::Id).primary_key())
                    .col(uuid(CheckIns::IntroductionId))
                    .col(uuid(CheckIns::PersonId))
                    .col(string(CheckIns::Authority))
                    .col(integer(CheckIns::Number))
                    .col(timestamp_with_time_zone(CheckIns::DueAt))
                    .col(string(CheckIns::Status))
                    .col(timestamp_with_time_zone_null(CheckIns::OpenedAt))
                    .col(string_null(CheckIns::Answer))
                    .col(text_null(CheckIns::Note))
                    .col(text_null(CheckIns::SupportedBy))
                    .col(timestamp_with_time_zone_null(CheckIns::AnsweredAt))
                    .col(string_null(CheckIns::Attention))
                    .col(timestamp_with_time_zone_null(CheckIns::FlaggedAt))
                    .col(timestamp_with_time_zone_null(CheckIns::ResolvedAt))
                    .col(uuid_null(CheckIns::ResolvedBy))
                    .col(timestamp_with_time_zone(CheckIns::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            ("idx_check_ins_member", vec![CheckIns::IntroductionId, CheckIns::PersonId, CheckIns::Number], true),
            ("idx_check_ins_due", vec![CheckIns::Status, CheckIns::DueAt], false),
            ("idx_check_ins_person", vec![CheckIns::PersonId, CheckIns::DueAt], false),
            ("idx_check_ins_queue", vec![CheckIns::Authority, CheckIns::Attention, CheckIns::FlaggedAt], false),
        ] {
            let mut index = Index::create();
            index.name(name).table(CheckIns::Table).if_not_exists();
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Agreements::Table)
                    .if_not_exists()
                    .col(uuid(Agreements::IntroductionId).primary_key())
                    .col(big_integer(Agreements::Version))
                    .col(string(Agreements::Status))
                    .col(json(Agreements::Body))
                    .col(json(Agreements::Confirmations))
                    .col(timestamp_with_time_zone(Agreements::CreatedAt))
                    .col(timestamp_with_time_zone(Agreements::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Introductions::Table)
                    .add_column(timestamp_with_time_zone_null(Introductions::IntroducedAt))
                    .to_owned(),
            )
            .await?;
        let connection = manager.get_connection();
        connection
            .execute_unprepared(
                "UPDATE introductions SET introduced_at = \
                   (SELECT MIN(e.at) FROM introduction_events e \
                     WHERE e.introduction_id = introductions.id AND e.to_status = 'introduced') \
                 WHERE status IN ('introduced', 'ended')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Introductions::Table).drop_column(Introductions::IntroducedAt).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(Agreements::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(CheckIns::Table).to_owned()).await
    }
}
