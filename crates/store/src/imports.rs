//! Bulk import (DESIGN §7): people from a council's own system, each under
//! its `external_ref`, unique per authority. The same line again changes
//! nothing; a changed line updates the person (a new version and the usual
//! change-log row) but never their own choice to be found.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use friends_domain::person::PersonRecord;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::{external_refs, people};
use crate::people::to_row;
use crate::{Store, StoreError, stored_precision};

/// One valid line of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLine {
    /// The person's reference in the council's system.
    pub external_ref: String,
    /// The person as the line gives them, validated and already hidden.
    pub record: PersonRecord,
    /// A digest of the line's person, to tell an unchanged line.
    pub fingerprint: String,
}

/// What an import did (or, in a dry run, would do) with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new person.
    Created,
    /// The person changed.
    Updated,
    /// The same as the last import of this reference.
    Unchanged,
}

/// The rows already imported under the batch's references.
async fn known_refs(
    connection: &impl ConnectionTrait,
    lines: &[ImportLine],
) -> Result<HashMap<(String, String), external_refs::Model>, StoreError> {
    let mut by_authority: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in lines {
        by_authority.entry(line.record.authority_code.as_str()).or_default().push(line.external_ref.as_str());
    }
    let mut known = HashMap::new();
    for (authority, refs) in by_authority {
        let rows = external_refs::Entity::find()
            .filter(external_refs::Column::Authority.eq(authority))
            .filter(external_refs::Column::ExternalRef.is_in(refs))
            .all(connection)
            .await?;
        for row in rows {
            known.insert((row.authority.clone(), row.external_ref.clone()), row);
        }
    }
    Ok(known)
}

impl Store {
    /// Imports one batch of lines in one transaction (each reference at
    /// most once in a batch): a new reference creates a person, a known one
    /// with the same fingerprint is left alone, a changed one updates the
    /// person, keeping their own `discoverable` and `public_listing`. With
    /// `dry_run`, decides the same and writes nothing.
    #[tracing::instrument(name = "store.import_people", skip_all, fields(lines = lines.len(), dry_run))]
    pub async fn import_people(
        &self,
        lines: &[ImportLine],
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Imported>, StoreError> {
        if dry_run {
            let known = known_refs(&self.db, lines).await?;
            return Ok(lines
                .iter()
                .map(|line| match known.get(&(line.record.authority_code.clone(), line.external_ref.clone())) {
                    None => Imported::Created,
                    Some(row) if row.fingerprint == line.fingerprint => Imported::Unchanged,
                    Some(_) => Imported::Updated,
                })
                .collect());
        }
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let known = known_refs(&transaction, lines).await?;
        let mut outcomes = Vec::with_capacity(lines.len());
        let (mut created, mut new_rows, mut new_refs) = (Vec::new(), Vec::new(), Vec::new());
        let mut updated = Vec::new();
        for line in lines {
            let key = (line.record.authority_code.clone(), line.external_ref.clone());
            let current = match known.get(&key) {
                Some(row) if row.fingerprint == line.fingerprint => {
                    outcomes.push(Imported::Unchanged);
                    continue;
                }
                Some(row) => people::Entity::find_by_id(row.person_id).one(&transaction).await?,
                None => None,
            };
            let Some(current) = current else {
                // New (or its person has gone: the reference is reused).
                if let Some(stale) = known.get(&key) {
                    external_refs::Entity::delete_many()
                        .filter(external_refs::Column::PersonId.eq(stale.person_id))
                        .exec(&transaction)
                        .await?;
                }
                let id = Uuid::new_v4();
                new_rows.push(to_row(id, 1, &line.record, now, now));
                new_refs.push(external_refs::ActiveModel {
                    authority: Set(key.0),
                    external_ref: Set(key.1),
                    person_id: Set(id),
                    fingerprint: Set(line.fingerprint.clone()),
                    imported_at: Set(now),
                });
                created.push(id);
                outcomes.push(Imported::Created);
                continue;
            };
            // The person's own choice to be found stands.
            let mut record = line.record.clone();
            record.discoverable = current.discoverable;
            record.public_listing = current.public_listing;
            let mut row = to_row(current.id, current.version + 1, &record, current.created_at, now);
            row.id = sea_orm::ActiveValue::NotSet;
            people::Entity::update_many().set(row).filter(people::Column::Id.eq(current.id)).exec(&transaction).await?;
            if current.authority_code != record.authority_code {
                crate::introductions::erasure::move_authority(&transaction, current.id, &record.authority_code).await?;
            }
            external_refs::Entity::update_many()
                .col_expr(external_refs::Column::Fingerprint, sea_orm::sea_query::Expr::value(line.fingerprint.clone()))
                .col_expr(external_refs::Column::ImportedAt, sea_orm::sea_query::Expr::value(now))
                .filter(external_refs::Column::PersonId.eq(current.id))
                .exec(&transaction)
                .await?;
            updated.push(current.id);
            outcomes.push(Imported::Updated);
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
}
