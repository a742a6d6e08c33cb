//! The change log: one row per committed write, in commit order, that the
//! indexes of every node tail. Rows carry ids and the operation only, never
//! personal text, so they survive erasure.
//!
//! One append function, called inside the writer's own transaction, and one
//! reader; entities and operations are closed enums here and plain words in
//! the table.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::change_log;
use crate::{Store, StoreError};

macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$doc:meta])* $variant:ident => $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$doc])* $variant,)+
        }

        impl $name {
            /// Every value.
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            /// The word stored in the table.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }

            fn parse(word: &str) -> Result<Self, StoreError> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == word)
                    .ok_or_else(|| StoreError::Corrupt(format!("change_log: unknown {}", stringify!($name))))
            }
        }
    };
}

words! {
    /// What changed.
    ChangedEntity {
        /// A person's profile.
        Person => "person",
        /// A block between two people.
        Block => "block",
        /// An introduction (its members included).
        Introduction => "introduction",
        /// A safeguarding report.
        Report => "report",
        /// A council embed key.
        EmbedKey => "embed_key",
        /// A resident's enquiry about a listing.
        Enquiry => "enquiry",
    }
}

words! {
    /// How it changed.
    Operation {
        /// It was created.
        Created => "created",
        /// It changed.
        Updated => "updated",
        /// A person was erased (their row is gone).
        Erased => "erased",
        /// A block was lifted.
        Removed => "removed",
        /// A report or an enquiry was resolved.
        Resolved => "resolved",
        /// An embed key was revoked.
        Revoked => "revoked",
        /// An enquiry was closed unresolved after its time (its contact
        /// details cleared).
        Lapsed => "lapsed",
    }
}

/// One change, as index tailers read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// Position in the log (commit order).
    pub seq: i64,
    /// What changed.
    pub entity: ChangedEntity,
    /// Its id.
    pub entity_id: Uuid,
    /// How.
    pub operation: Operation,
}

/// One change about a known entity (a person's export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRecord {
    /// Position in the log.
    pub seq: i64,
    /// How it changed.
    pub operation: Operation,
    /// When it was committed.
    pub recorded_at: DateTime<Utc>,
}

/// Appends one change inside the caller's write transaction.
pub(crate) async fn append(
    transaction: &impl ConnectionTrait,
    entity: ChangedEntity,
    id: Uuid,
    operation: Operation,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    append_many(transaction, entity, &[id], operation, now).await
}

/// Appends the same change for many entities (bulk creation).
pub(crate) async fn append_many(
    transaction: &impl ConnectionTrait,
    entity: ChangedEntity,
    ids: &[Uuid],
    operation: Operation,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids.iter().map(|id| change_log::ActiveModel {
        seq: NotSet,
        entity: Set(entity.as_str().to_owned()),
        entity_id: Set(*id),
        operation: Set(operation.as_str().to_owned()),
        recorded_at: Set(now),
    });
    change_log::Entity::insert_many(rows).exec_without_returning(transaction).await?;
    Ok(())
}

impl Store {
    /// Up to `limit` changes after `after_seq`, in `seq` (= commit) order.
    pub async fn changes_since(&self, after_seq: i64, limit: u64) -> Result<Vec<Change>, StoreError> {
        let rows = change_log::Entity::find()
            .filter(change_log::Column::Seq.gt(after_seq))
            .order_by_asc(change_log::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Change {
                    seq: row.seq,
                    entity: ChangedEntity::parse(&row.entity)?,
                    entity_id: row.entity_id,
                    operation: Operation::parse(&row.operation)?,
                })
            })
            .collect()
    }

    /// Every change about one entity, oldest first.
    pub async fn changes_of(&self, entity: ChangedEntity, id: Uuid) -> Result<Vec<ChangeRecord>, StoreError> {
        let rows = change_log::Entity::find()
            .filter(change_log::Column::Entity.eq(entity.as_str()))
            .filter(change_log::Column::EntityId.eq(id))
            .order_by_asc(change_log::Column::Seq)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(ChangeRecord {
                    seq: row.seq,
                    operation: Operation::parse(&row.operation)?,
                    recorded_at: row.recorded_at,
                })
            })
            .collect()
    }

    /// The highest `seq`, or 0 for an empty log.
    pub async fn last_change_seq(&self) -> Result<i64, StoreError> {
        let newest = change_log::Entity::find().order_by_desc(change_log::Column::Seq).one(&self.db).await?;
        Ok(newest.map_or(0, |row| row.seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself() {
        for entity in ChangedEntity::ALL {
            assert_eq!(ChangedEntity::parse(entity.as_str()).ok(), Some(*entity));
        }
        for operation in Operation::ALL {
            assert_eq!(Operation::parse(operation.as_str()).ok(), Some(*operation));
        }
        assert!(Operation::parse("deleted").is_err());
    }
}
