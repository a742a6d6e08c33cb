//! Blocks: create, read, remove, and what index tailers need.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::blocks;
use crate::{Store, StoreError, stored_precision};

/// A block as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlock {
    /// Block id.
    pub id: Uuid,
    /// Who blocked.
    pub blocker: Uuid,
    /// Who was blocked.
    pub blocked: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was lifted, if it was.
    pub removed_at: Option<DateTime<Utc>>,
}

impl From<blocks::Model> for StoredBlock {
    fn from(row: blocks::Model) -> Self {
        Self {
            id: row.id,
            blocker: row.blocker,
            blocked: row.blocked,
            created_at: row.created_at,
            removed_at: row.removed_at,
        }
    }
}

impl Store {
    /// Blocks `blocked` for `blocker`, and withdraws (or ends) every open
    /// introduction between them as `actor` on the blocker's behalf. If an
    /// active block between them in that direction exists, it is returned
    /// unchanged.
    #[tracing::instrument(name = "store.create_block", skip_all, fields(block_id = %id))]
    pub async fn create_block(
        &self,
        id: Uuid,
        blocker: Uuid,
        blocked: Uuid,
        actor: &crate::introductions::EventActor,
        now: DateTime<Utc>,
    ) -> Result<StoredBlock, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let existing = blocks::Entity::find()
            .filter(blocks::Column::Blocker.eq(blocker))
            .filter(blocks::Column::Blocked.eq(blocked))
            .filter(blocks::Column::RemovedAt.is_null())
            .one(&transaction)
            .await?;
        if let Some(existing) = existing {
            return Ok(existing.into());
        }
        let row = blocks::ActiveModel {
            id: Set(id),
            blocker: Set(blocker),
            blocked: Set(blocked),
            created_at: Set(now),
            removed_at: Set(None),
        };
        blocks::Entity::insert(row).exec_without_returning(&transaction).await?;
        change_log::append(&transaction, ChangedEntity::Block, id, Operation::Created, now).await?;
        crate::introductions::transitions::leave_all(&transaction, blocker, Some(blocked), actor, &self.check_ins, now)
            .await?;
        transaction.commit().await?;
        Ok(StoredBlock { id, blocker, blocked, created_at: now, removed_at: None })
    }

    /// The block with `id`, lifted or not.
    pub async fn get_block(&self, id: Uuid) -> Result<Option<StoredBlock>, StoreError> {
        Ok(blocks::Entity::find_by_id(id).one(&self.db).await?.map(StoredBlock::from))
    }

    /// Lifts an active block. `NotFound` if there is none with `id`.
    #[tracing::instrument(name = "store.remove_block", skip_all, fields(block_id = %id))]
    pub async fn remove_block(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let result = blocks::Entity::update_many()
            .col_expr(blocks::Column::RemovedAt, sea_orm::sea_query::Expr::value(now))
            .filter(blocks::Column::Id.eq(id))
            .filter(blocks::Column::RemovedAt.is_null())
            .exec(&transaction)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        change_log::append(&transaction, ChangedEntity::Block, id, Operation::Removed, now).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Every active block, for building indexes.
    pub async fn active_blocks(&self) -> Result<Vec<StoredBlock>, StoreError> {
        let rows = blocks::Entity::find().filter(blocks::Column::RemovedAt.is_null()).all(&self.db).await?;
        Ok(rows.into_iter().map(StoredBlock::from).collect())
    }

    /// The blocks with these ids that still exist (lifted ones included).
    pub async fn blocks_by_ids(&self, ids: &[Uuid]) -> Result<Vec<StoredBlock>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows =
                blocks::Entity::find().filter(blocks::Column::Id.is_in(chunk.iter().copied())).all(&self.db).await?;
            found.extend(rows.into_iter().map(StoredBlock::from));
        }
        Ok(found)
    }
}
