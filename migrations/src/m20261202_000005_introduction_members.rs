//! Introductions with members (DESIGN §5, "pairs and groups are one
//! model"): a requester and 1 to 5 others, each with their own consent,
//! `supported_by` and the time they left, in `introduction_members`.
//!
//! Existing pairs move with no loss: the requester becomes member 0 and the
//! recipient member 1, with their authorities and answers; `supported_by`
//! comes from the note of their last answer (the event's note itself stays);
//! the side that withdrew or ended it gets `left_at` from that event; and
//! `closed_by` (`requester`/`recipient`) becomes the member's place. The
//! per-side columns are then dropped. Plain SQL that SQLite (3.35 or later)
//! and PostgreSQL both run.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IntroductionMembers {
    Table,
    IntroductionId,
    Place,
    PersonId,
    Authority,
    Consent,
    SupportedBy,
    LeftAt,
}

/// Member rows for one side of every existing pair.
fn copy_side(position: u8, person: &str, authority: &str, consent: &str, side: &str) -> String {
    format!(
        "INSERT INTO introduction_members \
           (introduction_id, place, person_id, authority, consent, supported_by, left_at) \
         SELECT i.id, {position}, i.{person}, i.{authority}, i.{consent}, \
           (SELECT n.supported_by FROM event_notes n \
              JOIN introduction_events e ON e.seq = n.event_seq \
             WHERE e.introduction_id = i.id AND e.action IN ('consented', 'declined') \
               AND e.on_behalf_of = i.{person} \
             ORDER BY e.seq DESC LIMIT 1), \
           CASE WHEN i.closed_by = '{side}' AND i.status IN ('withdrawn', 'ended') THEN \
             (SELECT MAX(e.at) FROM introduction_events e \
               WHERE e.introduction_id = i.id AND e.to_status IN ('withdrawn', 'ended')) \
           END \
         FROM introductions i"
    )
}

const DROPPED_INDEXES: [&str; 4] = [
    "idx_introductions_requester",
    "idx_introductions_recipient",
    "idx_introductions_requester_authority",
    "idx_introductions_recipient_authority",
];

const DROPPED_COLUMNS: [&str; 7] = [
    "requester",
    "recipient",
    "requester_authority",
    "recipient_authority",
    "requester_consent",
    "recipient_consent",
    "closed_by",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IntroductionMembers::Table)
                    .if_not_exists()
                    .col(uuid(IntroductionMembers::IntroductionId))
                    .col(small_integer(IntroductionMembers::Place))
                    .col(uuid(IntroductionMembers::PersonId))
                    .col(string(IntroductionMembers::Authority))
                    .col(string(IntroductionMembers::Consent))
                    .col(text_null(IntroductionMembers::SupportedBy))
                    .col(timestamp_with_time_zone_null(IntroductionMembers::LeftAt))
                    .primary_key(
                        Index::create().col(IntroductionMembers::IntroductionId).col(IntroductionMembers::Place),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_introduction_members_person")
                    .table(IntroductionMembers::Table)
                    .col(IntroductionMembers::PersonId)
                    .col(IntroductionMembers::IntroductionId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_introduction_members_authority")
                    .table(IntroductionMembers::Table)
                    .col(IntroductionMembers::Authority)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        let connection = manager.get_connection();
        connection
            .execute_unprepared(&copy_side(0, "requester", "requester_authority", "requester_consent", "requester"))
            .await?;
        connection
            .execute_unprepared(&copy_side(1, "recipient", "recipient_authority", "recipient_consent", "recipient"))
            .await?;
        connection.execute_unprepared("ALTER TABLE introductions ADD COLUMN closed_by_member SMALLINT NULL").await?;
        connection
            .execute_unprepared(
                "UPDATE introductions SET closed_by_member = \
                 CASE closed_by WHEN 'requester' THEN 0 WHEN 'recipient' THEN 1 END",
            )
            .await?;
        for index in DROPPED_INDEXES {
            connection.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}")).await?;
        }
        for column in DROPPED_COLUMNS {
            connection.execute_unprepared(&format!("ALTER TABLE introductions DROP COLUMN {column}")).await?;
        }
        Ok(())
    }

    /// Back to pairs. Refused while any introduction has more than two
    /// members (a group cannot be written as a pair without loss).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let groups = connection
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "SELECT COUNT(*) AS groups FROM introduction_members WHERE place > 1",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "groups"))
            .transpose()?
            .unwrap_or(0);
        if groups > 0 {
            return Err(DbErr::Migration("groups exist: they cannot be written back as pairs".into()));
        }
        // Columns come back nullable: the old NOT NULL needs a default that
        // no row should ever hold.
        for (column, kind) in [
            ("requester", "UUID"),
            ("recipient", "UUID"),
            ("requester_authority", "VARCHAR"),
            ("recipient_authority", "VARCHAR"),
            ("requester_consent", "VARCHAR"),
            ("recipient_consent", "VARCHAR"),
            ("closed_by", "VARCHAR"),
        ] {
            connection
                .execute_unprepared(&format!("ALTER TABLE introductions ADD COLUMN {column} {kind} NULL"))
                .await?;
        }
        for (position, side) in [(0, "requester"), (1, "recipient")] {
            connection
                .execute_unprepared(&format!(
                    "UPDATE introductions SET \
                       {side} = (SELECT m.person_id FROM introduction_members m \
                                  WHERE m.introduction_id = introductions.id AND m.place = {position}), \
                       {side}_authority = (SELECT m.authority FROM introduction_members m \
                                  WHERE m.introduction_id = introductions.id AND m.place = {position}), \
                       {side}_consent = (SELECT m.consent FROM introduction_members m \
                                  WHERE m.introduction_id = introductions.id AND m.place = {position})"
                ))
                .await?;
        }
        connection
            .execute_unprepared(
                "UPDATE introductions SET closed_by = \
                 CASE closed_by_member WHEN 0 THEN 'requester' WHEN 1 THEN 'recipient' END",
            )
            .await?;
        connection.execute_unprepared("ALTER TABLE introductions DROP COLUMN closed_by_member").await?;
        for (index, column) in
            DROPPED_INDEXES.iter().zip(["requester", "recipient", "requester_authority", "recipient_authority"])
        {
            connection
                .execute_unprepared(&format!("CREATE INDEX IF NOT EXISTS {index} ON introductions ({column})"))
                .await?;
        }
        manager.drop_table(Table::drop().table(IntroductionMembers::Table).to_owned()).await
    }
}
