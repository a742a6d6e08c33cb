//! Idempotency keys: the store's side of the `Idempotency-Key` header.
//!
//! The first request with a key reserves it (a row with no answer yet) in a
//! write transaction of its own, so that two racing requests with one key
//! cannot both run; once answered, the answer is kept for replay. A request
//! that was cut off by a crash leaves its key reserved: a retry is then told
//! the key is in use rather than run again, because whether the first run
//! committed cannot be known.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};

use crate::entities::idempotency_keys;
use crate::stored_precision;
use crate::{Store, StoreError};

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status.
    pub status: u16,
    /// The headers worth replaying (name, value).
    pub headers: Vec<(String, String)>,
    /// The body, as sent.
    pub body: String,
}

/// What a reservation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is new: run the request, then complete or release it.
    Reserved,
    /// The key was used for this same request, which was answered.
    Replay(StoredAnswer),
    /// The key was used for this same request, which has not been answered.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

impl Store {
    /// Reserves `key` for `caller` and the request `fingerprint`; keys
    /// created before `expired_before` are forgotten first.
    pub async fn reserve_idempotency_key(
        &self,
        caller: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<Reservation, StoreError> {
        let transaction = self.begin_write().await?;
        let existing =
            idempotency_keys::Entity::find_by_id((caller.to_owned(), key.to_owned())).one(&transaction).await?;
        let outcome = match existing {
            Some(row) if row.created_at >= expired_before => {
                if row.fingerprint != fingerprint {
                    Reservation::Mismatch
                } else {
                    match (row.status, row.body) {
                        (Some(status), Some(body)) => Reservation::Replay(StoredAnswer {
                            status: u16::try_from(status).unwrap_or(500),
                            headers: row.headers.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default(),
                            body,
                        }),
                        _ => Reservation::InFlight,
                    }
                }
            }
            stale => {
                if stale.is_some() {
                    idempotency_keys::Entity::delete_by_id((caller.to_owned(), key.to_owned()))
                        .exec(&transaction)
                        .await?;
                }
                let row = idempotency_keys::ActiveModel {
                    caller: Set(caller.to_owned()),
                    key: Set(key.to_owned()),
                    fingerprint: Set(fingerprint.to_owned()),
                    status: Set(None),
                    headers: Set(None),
                    body: Set(None),
                    created_at: Set(stored_precision(now)),
                };
                match idempotency_keys::Entity::insert(row).exec_without_returning(&transaction).await {
                    Ok(_) => Reservation::Reserved,
                    Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                        Reservation::InFlight
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        };
        transaction.commit().await?;
        Ok(outcome)
    }

    /// Keeps the answer of a reserved key.
    pub async fn complete_idempotency_key(
        &self,
        caller: &str,
        key: &str,
        answer: &StoredAnswer,
    ) -> Result<(), StoreError> {
        let headers = serde_json::to_string(&answer.headers).map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let row = idempotency_keys::ActiveModel {
            caller: sea_orm::Unchanged(caller.to_owned()),
            key: sea_orm::Unchanged(key.to_owned()),
            status: Set(Some(i32::from(answer.status))),
            headers: Set(Some(headers)),
            body: Set(Some(answer.body.clone())),
            ..Default::default()
        };
        row.update(&self.db).await?;
        Ok(())
    }

    /// Frees a reserved key whose request changed nothing (it was refused),
    /// so that a corrected retry with the same key runs.
    pub async fn release_idempotency_key(&self, caller: &str, key: &str) -> Result<(), StoreError> {
        idempotency_keys::Entity::delete_by_id((caller.to_owned(), key.to_owned())).exec(&self.db).await?;
        Ok(())
    }

    /// Forgets keys created before `before`; returns how many.
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let deleted = idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected)
    }
}

/// In an erasure's transaction: every kept answer that names the person,
/// and every key the person used, goes with them.
pub(crate) async fn erase_person_keys(
    transaction: &sea_orm::DatabaseTransaction,
    person: uuid::Uuid,
) -> Result<(), StoreError> {
    let id = person.to_string();
    idempotency_keys::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(idempotency_keys::Column::Caller.ends_with(format!(":{id}")))
                .add(idempotency_keys::Column::Body.contains(&id)),
        )
        .exec(transaction)
        .await?;
    Ok(())
}
