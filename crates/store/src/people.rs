//! People: create, read, optimistic update, erase, and the change history.

use chrono::{DateTime, Utc};
use friends_domain::person::{Contact, Contribution, PersonRecord, Preferences, ProfileStatus};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::change_log::{self, ChangeRecord, ChangedEntity, Operation};
use crate::entities::{erased_refs, external_refs, people};
use crate::{Store, StoreError, stored_precision};

/// A person as stored: the validated record and its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPerson {
    /// The person's id (a member's token `sub`).
    pub id: Uuid,
    /// Optimistic-concurrency version, 1 on creation.
    pub version: i64,
    /// The profile.
    pub record: PersonRecord,
    /// When the profile was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Creates a person with `id`. Fails with `AlreadyExists` if the id is
    /// taken.
    #[tracing::instrument(name = "store.create_person", skip_all, fields(person_id = %id))]
    pub async fn create_person(
        &self,
        id: Uuid,
        record: &PersonRecord,
        now: DateTime<Utc>,
    ) -> Result<StoredPerson, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let row = to_row(id, 1, record, now, now);
        if let Err(error) = people::Entity::insert(row).exec_without_returning(&transaction).await {
            return Err(match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::AlreadyExists,
                _ => StoreError::from(error),
            });
        }
        change_log::append(&transaction, ChangedEntity::Person, id, Operation::Created, now).await?;
        transaction.commit().await?;
        Ok(StoredPerson { id, version: 1, record: record.clone(), created_at: now, updated_at: now })
    }

    /// Creates many people in one transaction (demo data, imports).
    #[tracing::instrument(name = "store.create_people", skip_all, fields(count = people.len()))]
    pub async fn create_people(&self, people: &[(Uuid, PersonRecord)], now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        for chunk in people.chunks(200) {
            let rows = chunk.iter().map(|(id, record)| to_row(*id, 1, record, now, now));
            people::Entity::insert_many(rows).exec_without_returning(&transaction).await?;
            let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
            change_log::append_many(&transaction, ChangedEntity::Person, &ids, Operation::Created, now).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// The person with `id`, if any.
    #[tracing::instrument(name = "store.get_person", skip_all, fields(person_id = %id))]
    pub async fn get_person(&self, id: Uuid) -> Result<Option<StoredPerson>, StoreError> {
        let row = people::Entity::find_by_id(id).one(&self.db).await?;
        row.map(from_row).transpose()
    }

    /// The authority of the person with `id`, if they exist: all that
    /// access checks need, without decoding the whole profile.
    pub async fn person_authority(&self, id: Uuid) -> Result<Option<String>, StoreError> {
        use sea_orm::QuerySelect;
        let authority: Option<String> = people::Entity::find_by_id(id)
            .select_only()
            .column(people::Column::AuthorityCode)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(authority)
    }

    /// Number of people stored.
    pub async fn count_people(&self) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(people::Entity::find().count(&self.db).await?)
    }

    /// Replaces the profile of `id` if its version is still
    /// `expected_version`; the stored version becomes one higher.
    #[tracing::instrument(name = "store.update_person", skip_all, fields(person_id = %id))]
    pub async fn update_person(
        &self,
        id: Uuid,
        expected_version: i64,
        record: &PersonRecord,
        now: DateTime<Utc>,
    ) -> Result<StoredPerson, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let Some(current) = people::Entity::find_by_id(id).one(&transaction).await? else {
            return Err(StoreError::NotFound);
        };
        if current.version != expected_version {
            return Err(StoreError::VersionConflict { current: current.version });
        }
        let new_version = expected_version + 1;
        let mut row = to_row(id, new_version, record, current.created_at, now);
        row.id = sea_orm::ActiveValue::NotSet;
        let result = people::Entity::update_many()
            .set(row)
            .filter(people::Column::Id.eq(id))
            .filter(people::Column::Version.eq(expected_version))
            .exec(&transaction)
            .await?;
        // The immediate transaction holds the write lock (SQLite) and the
        // version filter guards PostgreSQL, so a lost race shows up here.
        if result.rows_affected != 1 {
            return Err(StoreError::VersionConflict { current: current.version });
        }
        if current.authority_code != record.authority_code {
            // Brokers follow the person to their new area.
            crate::introductions::erasure::move_authority(&transaction, id, &record.authority_code).await?;
        }
        change_log::append(&transaction, ChangedEntity::Person, id, Operation::Updated, now).await?;
        transaction.commit().await?;
        Ok(StoredPerson {
            id,
            version: new_version,
            record: record.clone(),
            created_at: current.created_at,
            updated_at: now,
        })
    }

    /// Erases the person: the row goes, their open introductions are
    /// withdrawn (or ended) by `actor`, the personal text of introductions,
    /// events and reports about them is cleared, an `erased` change is
    /// logged (ids only), and on SQLite the WAL is checkpointed so that no copy of the
    /// person's text is left in the files. Returns `NotFound` if there was
    /// no such person.
    #[tracing::instrument(name = "store.erase_person", skip_all, fields(person_id = %id))]
    pub async fn erase_person(
        &self,
        id: Uuid,
        actor: &crate::introductions::EventActor,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let deleted = people::Entity::delete_by_id(id).exec(&transaction).await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        // Anybody can leave at any moment: their requests end with them, and
        // the text about them goes; the event skeleton stays.
        crate::introductions::transitions::leave_all(&transaction, id, None, actor, &self.check_ins, now).await?;
        crate::introductions::erasure::redact_person(&transaction, id, now).await?;
        crate::check_ins::erase_person(&transaction, id).await?;
        crate::agreements::erase_person(&transaction, id, now).await?;
        // Their reference in the council's system (bulk import) too, kept
        // as a digest so that the council's next file does not restore them.
        erase_references(&transaction, id, now).await?;
        // Who they blocked, and who blocked them, is about them too.
        crate::entities::blocks::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(crate::entities::blocks::Column::Blocker.eq(id))
                    .add(crate::entities::blocks::Column::Blocked.eq(id)),
            )
            .exec(&transaction)
            .await?;
        crate::idempotency::erase_person_keys(&transaction, id).await?;
        // Residents' enquiries about them say who they are to the council.
        crate::enquiries::erase_about(&transaction, id).await?;
        change_log::append(&transaction, ChangedEntity::Person, id, Operation::Erased, now).await?;
        transaction.commit().await?;
        self.checkpoint_wal().await
    }

    /// Every change-log row about the person, oldest first.
    pub async fn person_changes(&self, id: Uuid) -> Result<Vec<ChangeRecord>, StoreError> {
        self.changes_of(ChangedEntity::Person, id).await
    }

    /// The people with these ids that exist now (erased ones are absent).
    pub async fn people_by_ids(&self, ids: &[Uuid]) -> Result<Vec<StoredPerson>, StoreError> {
        let mut people = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows =
                people::Entity::find().filter(people::Column::Id.is_in(chunk.iter().copied())).all(&self.db).await?;
            for row in rows {
                people.push(from_row(row)?);
            }
        }
        Ok(people)
    }

    /// A page of people in id order, after `after` (for building indexes).
    pub async fn people_page(&self, after: Option<Uuid>, limit: u64) -> Result<Vec<StoredPerson>, StoreError> {
        use sea_orm::QuerySelect;
        let mut query = people::Entity::find().order_by_asc(people::Column::Id).limit(limit);
        if let Some(after) = after {
            query = query.filter(people::Column::Id.gt(after));
        }
        query.all(&self.db).await?.into_iter().map(from_row).collect()
    }
}

fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Serialising plain data structs and string lists cannot fail.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Keeps a digest of an erased person's reference (if they were imported)
/// and deletes the reference (in the erasure's transaction).
async fn erase_references(
    connection: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows = external_refs::Entity::find().filter(external_refs::Column::PersonId.eq(id)).all(connection).await?;
    for row in rows {
        let tombstone = erased_refs::ActiveModel {
            authority: Set(row.authority.clone()),
            ref_digest: Set(friends_domain::imported::ref_digest(&row.authority, &row.external_ref)),
            erased_at: Set(now),
        };
        // Idempotent, should the digest be there already.
        erased_refs::Entity::insert(tombstone)
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    erased_refs::Column::Authority,
                    erased_refs::Column::RefDigest,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(connection)
            .await?;
    }
    external_refs::Entity::delete_many().filter(external_refs::Column::PersonId.eq(id)).exec(connection).await?;
    Ok(())
}

pub(crate) fn to_row(
    id: Uuid,
    version: i64,
    record: &PersonRecord,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> people::ActiveModel {
    people::ActiveModel {
        id: Set(id),
        version: Set(version),
        display_name: Set(record.display_name.clone()),
        about: Set(record.about.clone()),
        birth_year: Set(record.birth_year),
        gender: Set(record.gender.clone()),
        outcode: Set(record.outcode.clone()),
        authority_code: Set(record.authority_code.clone()),
        travel_km: Set(i32::from(record.travel_km)),
        travel: Set(record.travel.clone()),
        interests: Set(json_of(&record.interests)),
        goals: Set(json_of(&record.goals)),
        support_needs: Set(json_of(&record.support_needs)),
        communication: Set(json_of(&record.communication)),
        access_needs: Set(json_of(&record.access_needs)),
        availability: Set(json_of(&record.availability)),
        contribution_min: Set(record.contribution_gbp_week.map(|range| range.min as i32)),
        contribution_max: Set(record.contribution_gbp_week.map(|range| range.max as i32)),
        preferences: Set(json_of(&record.preferences)),
        contact: Set(json_of(&record.contact)),
        share_needs_with_matches: Set(record.share_needs_with_matches),
        discoverable: Set(record.discoverable),
        public_listing: Set(record.public_listing),
        status: Set(record.status.as_str().to_owned()),
        created_at: Set(created_at),
        updated_at: Set(updated_at),
    }
}

fn decode<T: DeserializeOwned>(column: &str, value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|error| StoreError::Corrupt(format!("people.{column}: {error}")))
}

pub(crate) fn from_row(row: people::Model) -> Result<StoredPerson, StoreError> {
    let status = ProfileStatus::parse(&row.status)
        .ok_or_else(|| StoreError::Corrupt("people.status is not a known status".into()))?;
    let contribution_gbp_week = match (row.contribution_min, row.contribution_max) {
        (Some(min), Some(max)) => Some(Contribution {
            min: u32::try_from(min).map_err(|_| StoreError::Corrupt("people.contribution_min".into()))?,
            max: u32::try_from(max).map_err(|_| StoreError::Corrupt("people.contribution_max".into()))?,
        }),
        _ => None,
    };
    let preferences: Preferences = decode("preferences", row.preferences)?;
    let contact: Contact = decode("contact", row.contact)?;
    let record = PersonRecord {
        display_name: row.display_name,
        about: row.about,
        birth_year: row.birth_year,
        gender: row.gender,
        outcode: row.outcode,
        authority_code: row.authority_code,
        travel_km: u16::try_from(row.travel_km).map_err(|_| StoreError::Corrupt("people.travel_km".into()))?,
        travel: row.travel,
        interests: decode("interests", row.interests)?,
        goals: decode("goals", row.goals)?,
        support_needs: decode("support_needs", row.support_needs)?,
        communication: decode("communication", row.communication)?,
        access_needs: decode("access_needs", row.access_needs)?,
        availability: decode("availability", row.availability)?,
        contribution_gbp_week,
        preferences,
        contact,
        share_needs_with_matches: row.share_needs_with_matches,
        discoverable: row.discoverable,
        public_listing: row.public_listing,
        status,
    };
    Ok(StoredPerson {
        id: row.id,
        version: row.version,
        record,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
