//! Council embed keys (DESIGN §6): created by an admin for one authority and
//! its allowed origins. The key itself is never stored, only its hash; a
//! revoked key is kept (for the list and the audit) with `revoked_at`, and
//! is never found by [`Store::active_embed_key`] again, on any node, since
//! every public request looks its key up here.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::embed_keys;
use crate::introductions::json_strings;
use crate::{Store, StoreError, stored_precision};

/// A new key, as the API made it.
#[derive(Debug, Clone)]
pub struct NewEmbedKey {
    /// Id.
    pub id: Uuid,
    /// SHA-256 of the key, hex.
    pub key_hash: String,
    /// ONS code of its authority.
    pub authority: String,
    /// Origins allowed to call with it (`https://council.example`).
    pub origins: Vec<String>,
    /// What it is for, in the admin's words.
    pub label: String,
    /// Keys this key's listing ids, hex.
    pub listing_salt: String,
    /// The admin who made it.
    pub created_by: Uuid,
}

/// An embed key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEmbedKey {
    /// Id.
    pub id: Uuid,
    /// ONS code of its authority.
    pub authority: String,
    /// Allowed origins.
    pub origins: Vec<String>,
    /// Label.
    pub label: String,
    /// Keys this key's listing ids, hex.
    pub listing_salt: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

fn from_row(row: embed_keys::Model) -> Result<StoredEmbedKey, StoreError> {
    let origins = serde_json::from_value(row.origins)
        .map_err(|error| StoreError::Corrupt(format!("embed_keys.origins: {error}")))?;
    Ok(StoredEmbedKey {
        id: row.id,
        authority: row.authority,
        origins,
        label: row.label,
        listing_salt: row.listing_salt,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    })
}

impl Store {
    /// Stores a new key.
    #[tracing::instrument(name = "store.create_embed_key", skip_all, fields(embed_key_id = %new.id))]
    pub async fn create_embed_key(&self, new: NewEmbedKey, now: DateTime<Utc>) -> Result<StoredEmbedKey, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let row = embed_keys::ActiveModel {
            id: Set(new.id),
            key_hash: Set(new.key_hash),
            authority: Set(new.authority.clone()),
            origins: Set(json_strings(&new.origins)),
            label: Set(new.label.clone()),
            listing_salt: Set(new.listing_salt.clone()),
            created_at: Set(now),
            created_by: Set(new.created_by),
            revoked_at: Set(None),
            revoked_by: Set(None),
        };
        embed_keys::Entity::insert(row).exec_without_returning(&transaction).await?;
        change_log::append(&transaction, ChangedEntity::EmbedKey, new.id, Operation::Created, now).await?;
        transaction.commit().await?;
        Ok(StoredEmbedKey {
            id: new.id,
            authority: new.authority,
            origins: new.origins,
            label: new.label,
            listing_salt: new.listing_salt,
            created_at: now,
            revoked_at: None,
        })
    }

    /// The keys not revoked, newest first.
    pub async fn active_embed_keys(&self) -> Result<Vec<StoredEmbedKey>, StoreError> {
        let rows = embed_keys::Entity::find()
            .filter(embed_keys::Column::RevokedAt.is_null())
            .order_by_desc(embed_keys::Column::CreatedAt)
            .order_by_asc(embed_keys::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// The key whose hash is `key_hash`, unless it was revoked.
    pub async fn active_embed_key(&self, key_hash: &str) -> Result<Option<StoredEmbedKey>, StoreError> {
        let row = embed_keys::Entity::find()
            .filter(embed_keys::Column::KeyHash.eq(key_hash))
            .filter(embed_keys::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?;
        row.map(from_row).transpose()
    }

    /// Revokes a key at once. `NotFound` if there is no such key, or it was
    /// revoked already.
    #[tracing::instrument(name = "store.revoke_embed_key", skip_all, fields(embed_key_id = %id))]
    pub async fn revoke_embed_key(&self, id: Uuid, by: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let result = embed_keys::Entity::update_many()
            .col_expr(embed_keys::Column::RevokedAt, Expr::value(now))
            .col_expr(embed_keys::Column::RevokedBy, Expr::value(by))
            .filter(embed_keys::Column::Id.eq(id))
            .filter(embed_keys::Column::RevokedAt.is_null())
            .exec(&transaction)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        change_log::append(&transaction, ChangedEntity::EmbedKey, id, Operation::Revoked, now).await?;
        transaction.commit().await?;
        Ok(())
    }
}
