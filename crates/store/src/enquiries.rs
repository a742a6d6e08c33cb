//! Residents' enquiries about a public listing (the council embed): for the
//! brokers of the embed key's authority only, never shown to the listed
//! person. The enquirer's name, contact details and message are kept only
//! while a broker needs them: cleared when a broker resolves the enquiry,
//! and when it lapses (at most 90 days after it came, resolved or not).
//! Erasing the listed person deletes every enquiry about them.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::{enquiries, people};
use crate::introductions::json_strings;
use crate::{Store, StoreError, stored_precision};

/// Status of an enquiry waiting for a broker.
pub(crate) const OPEN: &str = "open";
/// Status of an enquiry a broker resolved (details cleared).
const RESOLVED: &str = "resolved";
/// Status of an enquiry past its time (details cleared).
const LAPSED: &str = "lapsed";

/// A new enquiry, checked by the API.
#[derive(Debug, Clone)]
pub struct NewEnquiry {
    /// Id.
    pub id: Uuid,
    /// The key it came through.
    pub embed_key_id: Uuid,
    /// That key's authority: whose brokers read it.
    pub authority: String,
    /// The listed person it is about.
    pub person_id: Uuid,
    /// The enquirer's name.
    pub name: String,
    /// Their email, if given.
    pub email: Option<String>,
    /// Their phone number, if given.
    pub phone: Option<String>,
    /// What they asked.
    pub message: String,
    /// Safeguarding flags on the message.
    pub flags: Vec<String>,
}

/// An enquiry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEnquiry {
    /// Id.
    pub id: Uuid,
    /// The key's authority.
    pub authority: String,
    /// The listed person.
    pub person_id: Uuid,
    /// The enquirer's name; `None` once closed.
    pub name: Option<String>,
    /// Their email; `None` once closed.
    pub email: Option<String>,
    /// Their phone; `None` once closed.
    pub phone: Option<String>,
    /// Their message; `None` once closed.
    pub message: Option<String>,
    /// Safeguarding flags on the message.
    pub flags: Vec<String>,
    /// `open`, `resolved` or `lapsed`.
    pub status: String,
    /// When it came.
    pub created_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

pub(crate) fn enquiry_from_row(row: enquiries::Model) -> Result<StoredEnquiry, StoreError> {
    let flags =
        serde_json::from_value(row.flags).map_err(|error| StoreError::Corrupt(format!("enquiries.flags: {error}")))?;
    Ok(StoredEnquiry {
        id: row.id,
        authority: row.authority,
        person_id: row.person_id,
        name: row.name,
        email: row.email,
        phone: row.phone,
        message: row.message,
        flags,
        status: row.status,
        created_at: row.created_at,
        closed_at: row.closed_at,
    })
}

/// Deletes every enquiry about `person` (their erasure's transaction).
pub(crate) async fn erase_about(connection: &impl ConnectionTrait, person: Uuid) -> Result<(), StoreError> {
    enquiries::Entity::delete_many().filter(enquiries::Column::PersonId.eq(person)).exec(connection).await?;
    Ok(())
}

impl Store {
    /// Stores an enquiry about a person who is still listed in the key's
    /// authority (checked under the write lock); `NotFound` otherwise.
    #[tracing::instrument(name = "store.create_enquiry", skip_all, fields(enquiry_id = %new.id))]
    pub async fn create_enquiry(&self, new: NewEnquiry, now: DateTime<Utc>) -> Result<StoredEnquiry, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let listed = people::Entity::find_by_id(new.person_id).one(&transaction).await?.is_some_and(|person| {
            person.public_listing
                && person.discoverable
                && person.status == friends_domain::person::ProfileStatus::Active.as_str()
                && person.authority_code == new.authority
        });
        if !listed {
            return Err(StoreError::NotFound);
        }
        let row = enquiries::ActiveModel {
            id: Set(new.id),
            embed_key_id: Set(new.embed_key_id),
            authority: Set(new.authority.clone()),
            person_id: Set(new.person_id),
            name: Set(Some(new.name.clone())),
            email: Set(new.email.clone()),
            phone: Set(new.phone.clone()),
            message: Set(Some(new.message.clone())),
            flags: Set(json_strings(&new.flags)),
            status: Set(OPEN.into()),
            created_at: Set(now),
            closed_at: Set(None),
            closed_by: Set(None),
        };
        enquiries::Entity::insert(row).exec_without_returning(&transaction).await?;
        change_log::append(&transaction, ChangedEntity::Enquiry, new.id, Operation::Created, now).await?;
        transaction.commit().await?;
        Ok(StoredEnquiry {
            id: new.id,
            authority: new.authority,
            person_id: new.person_id,
            name: Some(new.name),
            email: new.email,
            phone: new.phone,
            message: Some(new.message),
            flags: new.flags,
            status: OPEN.into(),
            created_at: now,
            closed_at: None,
        })
    }

    /// The enquiry with `id`.
    pub async fn get_enquiry(&self, id: Uuid) -> Result<Option<StoredEnquiry>, StoreError> {
        enquiries::Entity::find_by_id(id).one(&self.db).await?.map(enquiry_from_row).transpose()
    }

    /// Resolves an open enquiry and clears the enquirer's details. `NotFound`
    /// if it is not open.
    #[tracing::instrument(name = "store.resolve_enquiry", skip_all, fields(enquiry_id = %id))]
    pub async fn resolve_enquiry(
        &self,
        id: Uuid,
        broker: Uuid,
        now: DateTime<Utc>,
    ) -> Result<StoredEnquiry, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let closed = close(now, Some(broker), RESOLVED)
            .filter(enquiries::Column::Id.eq(id))
            .filter(enquiries::Column::Status.eq(OPEN))
            .exec(&transaction)
            .await?;
        if closed.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        change_log::append(&transaction, ChangedEntity::Enquiry, id, Operation::Resolved, now).await?;
        let row = enquiries::Entity::find_by_id(id).one(&transaction).await?.ok_or(StoreError::NotFound)?;
        transaction.commit().await?;
        self.checkpoint_wal().await?;
        enquiry_from_row(row)
    }

    /// Lapses every open enquiry that came before `before`, clearing the
    /// enquirer's details; returns how many.
    #[tracing::instrument(name = "store.lapse_enquiries", skip_all)]
    pub async fn lapse_enquiries(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        // Only open enquiries still hold details: resolving clears them.
        let due: Vec<Uuid> = enquiries::Entity::find()
            .filter(enquiries::Column::CreatedAt.lt(before))
            .filter(enquiries::Column::Status.eq(OPEN))
            .all(&transaction)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect();
        for id in &due {
            close(now, None, LAPSED).filter(enquiries::Column::Id.eq(*id)).exec(&transaction).await?;
            change_log::append(&transaction, ChangedEntity::Enquiry, *id, Operation::Lapsed, now).await?;
        }
        transaction.commit().await?;
        if !due.is_empty() {
            self.checkpoint_wal().await?;
        }
        Ok(due.len())
    }
}

/// An update that closes enquiries as `status` and clears the enquirer's
/// details.
fn close(now: DateTime<Utc>, by: Option<Uuid>, status: &'static str) -> sea_orm::UpdateMany<enquiries::Entity> {
    enquiries::Entity::update_many()
        .col_expr(enquiries::Column::Name, Expr::value(Option::<String>::None))
        .col_expr(enquiries::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(enquiries::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(enquiries::Column::Message, Expr::value(Option::<String>::None))
        .col_expr(enquiries::Column::Status, Expr::value(status))
        .col_expr(enquiries::Column::ClosedAt, Expr::value(now))
        .col_expr(enquiries::Column::ClosedBy, Expr::value(by))
}
