//! Introductions, their append-only events, the personal text of events
//! (kept apart so that erasure can delete it without touching an event), and
//! safeguarding reports.
//!
//! `introduction_events` is append-only in the database itself: triggers
//! refuse every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE).

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Introductions {
    Table,
    Id,
    Version,
    Requester,
    Recipient,
    RequesterAuthority,
    RecipientAuthority,
    CreatedBy,
    CreatedByRole,
    Status,
    Message,
    Reasons,
    Flags,
    RequesterConsent,
    RecipientConsent,
    ClosedBy,
    ApprovedAt,
    DeclinedAt,
    LastActionAt,
    Redacted,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IntroductionEvents {
    Table,
    Seq,
    IntroductionId,
    At,
    Action,
    Actor,
    ActorRole,
    OnBehalfOf,
    FromStatus,
    ToStatus,
}

#[derive(DeriveIden)]
enum EventNotes {
    Table,
    EventSeq,
    IntroductionId,
    Note,
    SupportedBy,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    Reporter,
    About,
    AboutAuthority,
    Reason,
    CreatedBy,
    CreatedByRole,
    Status,
    CreatedAt,
    ResolvedAt,
    ResolvedBy,
    ResolutionNote,
}

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER IF NOT EXISTS introduction_events_no_update BEFORE UPDATE ON introduction_events \
     BEGIN SELECT RAISE(ABORT, 'introduction_events is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS introduction_events_no_delete BEFORE DELETE ON introduction_events \
     BEGIN SELECT RAISE(ABORT, 'introduction_events is append-only'); END",
];

const POSTGRES_TRIGGERS: [&str; 3] = [
    "CREATE OR REPLACE FUNCTION introduction_events_append_only() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN RAISE EXCEPTION 'introduction_events is append-only'; END $$",
    "CREATE TRIGGER introduction_events_no_change BEFORE UPDATE OR DELETE ON introduction_events \
     FOR EACH ROW EXECUTE FUNCTION introduction_events_append_only()",
    "CREATE TRIGGER introduction_events_no_truncate BEFORE TRUNCATE ON introduction_events \
     FOR EACH STATEMENT EXECUTE FUNCTION introduction_events_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Introductions::Table)
                    .if_not_exists()
                    .col(pk_uuid(Introductions::Id))
                    .col(big_integer(Introductions::Version))
                    .col(uuid(Introductions::Requester))
                    .col(uuid(Introductions::Recipient))
                    .col(string(Introductions::RequesterAuthority))
                    .col(string(Introductions::RecipientAuthority))
                    .col(uuid(Introductions::CreatedBy))
                    .col(string(Introductions::CreatedByRole))
                    .col(string(Introductions::Status))
                    .col(text_null(Introductions::Message))
                    .col(json(Introductions::Reasons))
                    .col(json(Introductions::Flags))
                    .col(string(Introductions::RequesterConsent))
                    .col(string(Introductions::RecipientConsent))
                    .col(string_null(Introductions::ClosedBy))
                    .col(timestamp_with_time_zone_null(Introductions::ApprovedAt))
                    .col(timestamp_with_time_zone_null(Introductions::DeclinedAt))
                    .col(timestamp_with_time_zone(Introductions::LastActionAt))
                    .col(boolean(Introductions::Redacted))
                    .col(timestamp_with_time_zone(Introductions::CreatedAt))
                    .col(timestamp_with_time_zone(Introductions::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_introductions_requester", Introductions::Requester),
            ("idx_introductions_recipient", Introductions::Recipient),
            ("idx_introductions_requester_authority", Introductions::RequesterAuthority),
            ("idx_introductions_recipient_authority", Introductions::RecipientAuthority),
            ("idx_introductions_status_last_action", Introductions::Status),
        ] {
            manager
                .create_index(
                    Index::create().name(name).table(Introductions::Table).col(column).if_not_exists().to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(IntroductionEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(IntroductionEvents::Seq))
                    .col(uuid(IntroductionEvents::IntroductionId))
                    .col(timestamp_with_time_zone(IntroductionEvents::At))
                    .col(string(IntroductionEvents::Action))
                    .col(uuid_null(IntroductionEvents::Actor))
                    .col(string(IntroductionEvents::ActorRole))
                    .col(uuid_null(IntroductionEvents::OnBehalfOf))
                    .col(string_null(IntroductionEvents::FromStatus))
                    .col(string(IntroductionEvents::ToStatus))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_introduction_events_introduction")
                    .table(IntroductionEvents::Table)
                    .col(IntroductionEvents::IntroductionId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventNotes::Table)
                    .if_not_exists()
                    .col(big_integer(EventNotes::EventSeq).primary_key())
                    .col(uuid(EventNotes::IntroductionId))
                    .col(text_null(EventNotes::Note))
                    .col(text_null(EventNotes::SupportedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_event_notes_introduction")
                    .table(EventNotes::Table)
                    .col(EventNotes::IntroductionId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(pk_uuid(Reports::Id))
                    .col(uuid(Reports::Reporter))
                    .col(uuid(Reports::About))
                    .col(string(Reports::AboutAuthority))
                    .col(text_null(Reports::Reason))
                    .col(uuid(Reports::CreatedBy))
                    .col(string(Reports::CreatedByRole))
                    .col(string(Reports::Status))
                    .col(timestamp_with_time_zone(Reports::CreatedAt))
                    .col(timestamp_with_time_zone_null(Reports::ResolvedAt))
                    .col(uuid_null(Reports::ResolvedBy))
                    .col(text_null(Reports::ResolutionNote))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_reports_about_authority", Reports::AboutAuthority),
            ("idx_reports_reporter", Reports::Reporter),
            ("idx_reports_about", Reports::About),
        ] {
            manager
                .create_index(Index::create().name(name).table(Reports::Table).col(column).if_not_exists().to_owned())
                .await?;
        }
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for statement in SQLITE_TRIGGERS {
                    connection.execute_unprepared(statement).await?;
                }
            }
            DatabaseBackend::Postgres => {
                for statement in POSTGRES_TRIGGERS {
                    connection.execute_unprepared(statement).await?;
                }
            }
            _ => return Err(DbErr::Migration("only SQLite and PostgreSQL are supported".into())),
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Reports::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(EventNotes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(IntroductionEvents::Table).to_owned()).await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS introduction_events_append_only()")
                .await?;
        }
        manager.drop_table(Table::drop().table(Introductions::Table).to_owned()).await
    }
}
