//! Bulk import (DESIGN §7): people from a council's own system, each under
//! its `external_ref`, unique per importing authority (the council whose
//! system it is, not the area the person lives in, which they may leave).
//! The same line again changes nothing; a changed line changes what the
//! person did not change themselves (`friends_domain::imported`), as a new
//! version with the usual change-log row. An erased person's reference is
//! kept only as a digest, and their line is refused.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use friends_domain::imported::{self, FieldDigests};
use friends_domain::person::PersonRecord;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::{erased_refs, external_refs, people};
use crate::people::{from_row, to_row};
use crate::{Store, StoreError, stored_precision};

/// One valid line of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLine {
    /// The person's reference in the council's system.
    pub external_ref: String,
    /// The person as the line gives them, validated and already hidden.
    pub record: PersonRecord,
}

/// What an import did (or, in a dry run, would do) with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new person, with this id (none in a dry run).
    Created(Option<Uuid>),
    /// The person changed.
    Updated(Uuid),
    /// The same as the last import of this reference, or a change to
    /// fields only the person may change now.
    Unchanged(Uuid),
    /// The person asked to be erased: not imported.
    Erased,
}

/// The rows already imported by `authority` under the batch's references,
/// and the batch's references of erased people.
async fn known_refs(
    connection: &impl ConnectionTrait,
    authority: &str,
    lines: &[ImportLine],
) -> Result<(HashMap<String, external_refs::Model>, HashSet<String>), StoreError> {
    let mut known = HashMap::new();
    let mut erased = HashSet::new();
    for chunk in lines.chunks(500) {
        let refs = chunk.iter().map(|line| line.external_ref.as_str());
        let rows = external_refs::Entity::find()
            .filter(external_refs::Column::Authority.eq(authority))
            .filter(external_refs::Column::ExternalRef.is_in(refs))
            .all(connection)
            .await?;
        for row in rows {
            known.insert(row.external_ref.clone(), row);
        }
        let digests: HashMap<String, &str> = chunk
            .iter()
            .map(|line| (imported::ref_digest(authority, &line.external_ref), line.external_ref.as_str()))
            .collect();
        let rows = erased_refs::Entity::find()
            .filter(erased_refs::Column::Authority.eq(authority))
            .filter(erased_refs::Column::RefDigest.is_in(digests.keys().cloned()))
            .all(connection)
            .await?;
        erased.extend(rows.iter().filter_map(|row| digests.get(&row.ref_digest).map(|text| (*text).to_owned())));
    }
    Ok((known, erased))
}

fn digests_of(row: &external_refs::Model) -> FieldDigests {
    // A row this version did not write reads as "the person changed
    // everything": nothing of theirs is overwritten.
    serde_json::from_str(&row.field_digests).unwrap_or_default()
}

fn encode(digests: &FieldDigests) -> String {
    serde_json::to_string(digests).unwrap_or_else(|_| "{}".to_owned())
}

/// A person's reference in a council's system, for their export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRef {
    /// The importing authority.
    pub authority: String,
    /// Their reference there.
    pub external_ref: String,
    /// When an import last wrote it.
    pub imported_at: DateTime<Utc>,
}

impl Store {
    /// Imports one batch of lines from `authority`'s system in one
    /// transaction (each reference at most once in a batch): a new
    /// reference creates a person, a known one with the same fingerprint is
    /// left alone, a changed one is merged into the person (see the module
    /// docs), and an erased person's is refused. With `dry_run`, decides the
    /// same and writes nothing.
    #[tracing::instrument(name = "store.import_people", skip_all, fields(lines = lines.len(), dry_run))]
    pub async fn import_people(
        &self,
        authority: &str,
        lines: &[ImportLine],
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Imported>, StoreError> {
        let now = stored_precision(now);
        // A dry run reads in a transaction of its own (one consistent view)
        // without taking the writers' lock.
        let transaction =
            if dry_run { sea_orm::TransactionTrait::begin(&self.db).await? } else { self.begin_write().await? };
        if self.backend == crate::Backend::Postgres {
            // An import starts on empty tables: a generic plan cached then
            // (sqlx prepares each statement once a connection) would scan
            // `external_refs` whole for every later batch. Plan each lookup
            // for the table as it is.
            transaction.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan").await?;
        }
        let (known, erased) = known_refs(&transaction, authority, lines).await?;
        let mut outcomes = Vec::with_capacity(lines.len());
        let (mut created, mut new_rows, mut new_refs) = (Vec::new(), Vec::new(), Vec::new());
        let mut updated = Vec::new();
        for line in lines {
            if erased.contains(&line.external_ref) {
                outcomes.push(Imported::Erased);
                continue;
            }
            let fingerprint = imported::fingerprint(&line.record);
            let known_row = known.get(&line.external_ref);
            let current = match known_row {
                Some(row) if row.fingerprint == fingerprint => {
                    outcomes.push(Imported::Unchanged(row.person_id));
                    continue;
                }
                Some(row) => people::Entity::find_by_id(row.person_id).one(&transaction).await?,
                None => None,
            };
            let (Some(row), Some(current)) = (known_row, current) else {
                if dry_run {
                    outcomes.push(Imported::Created(None));
                    continue;
                }
                // New (or its person has gone without an erasure: the
                // reference is reused).
                if let Some(stale) = known_row {
                    external_refs::Entity::delete_many()
                        .filter(external_refs::Column::PersonId.eq(stale.person_id))
                        .exec(&transaction)
                        .await?;
                }
                let id = Uuid::new_v4();
                new_rows.push(to_row(id, 1, &line.record, now, now));
                new_refs.push(external_refs::ActiveModel {
                    authority: Set(authority.to_owned()),
                    external_ref: Set(line.external_ref.clone()),
                    person_id: Set(id),
                    fingerprint: Set(fingerprint),
                    field_digests: Set(encode(&imported::field_digests(&line.record))),
                    imported_at: Set(now),
                });
                created.push(id);
                outcomes.push(Imported::Created(Some(id)));
                continue;
            };
            let stored = from_row(current)?;
            let record = imported::merge(&stored.record, &line.record, &digests_of(row));
            let changed = record != stored.record;
            outcomes.push(if changed { Imported::Updated(stored.id) } else { Imported::Unchanged(stored.id) });
            if dry_run {
                continue;
            }
            if changed {
                let mut person = to_row(stored.id, stored.version + 1, &record, stored.created_at, now);
                person.id = sea_orm::ActiveValue::NotSet;
                people::Entity::update_many()
                    .set(person)
                    .filter(people::Column::Id.eq(stored.id))
                    .exec(&transaction)
                    .await?;
                if stored.record.authority_code != record.authority_code {
                    crate::introductions::erasure::move_authority(&transaction, stored.id, &record.authority_code)
                        .await?;
                }
                updated.push(stored.id);
            }
            // What the council's system says now is the base of the next
            // merge, whether or not the person kept their own values.
            external_refs::Entity::update_many()
                .col_expr(external_refs::Column::Fingerprint, sea_orm::sea_query::Expr::value(fingerprint))
                .col_expr(
                    external_refs::Column::FieldDigests,
                    sea_orm::sea_query::Expr::value(encode(&imported::field_digests(&line.record))),
                )
                .col_expr(external_refs::Column::ImportedAt, sea_orm::sea_query::Expr::value(now))
                .filter(external_refs::Column::PersonId.eq(stored.id))
                .exec(&transaction)
                .await?;
        }
        if dry_run {
            // Nothing was written; the transaction only gave a consistent view.
            transaction.rollback().await?;
            return Ok(outcomes);
        }
        for (rows, refs) in new_rows.chunks(200).zip(new_refs.chunks(200)) {
            people::Entity::insert_many(rows.to_vec()).exec_without_returning(&transaction).await?;
            external_refs::Entity::insert_many(refs.to_vec()).exec_without_returning(&transaction).await?;
        }
        if !created.is_empty() {
            change_log::append_many(&transaction, ChangedEntity::Person, &created, Operation::Created, now).await?;
        }
        if !updated.is_empty() {
            change_log::append_many(&transaction, ChangedEntity::Person, &updated, Operation::Updated, now).await?;
        }
        transaction.commit().await?;
        Ok(outcomes)
    }

    /// The person's references in councils' systems (for their export).
    pub async fn external_refs_of(&self, id: Uuid) -> Result<Vec<ExternalRef>, StoreError> {
        let rows = external_refs::Entity::find().filter(external_refs::Column::PersonId.eq(id)).all(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|row| ExternalRef {
                authority: row.authority,
                external_ref: row.external_ref,
                imported_at: row.imported_at,
            })
            .collect())
    }
}
