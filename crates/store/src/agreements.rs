//! The pooling agreement of an introduction (DESIGN §5): one row per
//! introduction, written only while it is `introduced`. Before the first
//! edit it reads as an empty draft at version 0.
//!
//! Every edit and every confirmation is one write transaction that reads the
//! introduction and the agreement, asks the caller's rules (which check the
//! `If-Match` version and who may do it), writes the row and appends one
//! event to the introduction's trail (`agreement_edited`,
//! `agreement_confirmed`). A member leaving (in the transaction that
//! records it, [`members_changed`]) or being erased ([`erase_person`]) takes
//! them out of it and returns it to `draft` with no confirmations; the
//! leaving's own event records that change.

use chrono::{DateTime, Utc};
use friends_domain::agreement::{AgreementStatus, Confirmation, Terms, status_of};
use friends_domain::introduction::IntroductionStatus;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::agreements;
use crate::introductions::events::{NewEvent, append_event};
use crate::introductions::{EventActor, Refused, StoredIntroduction, ids_involving, load};
use crate::{Store, StoreError, stored_precision};

/// An agreement as stored (or the empty draft before the first edit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAgreement {
    /// The introduction it belongs to.
    pub introduction_id: Uuid,
    /// Bumped by every edit and change of members; 0 before the first edit.
    pub version: i64,
    /// Draft or agreed.
    pub status: AgreementStatus,
    /// Its fields.
    pub terms: Terms,
    /// The members' confirmations of the current version.
    pub confirmations: Vec<Confirmation>,
    /// Last changed (`None` before the first edit).
    pub updated_at: Option<DateTime<Utc>>,
}

impl StoredAgreement {
    fn empty(introduction_id: Uuid) -> Self {
        Self {
            introduction_id,
            version: 0,
            status: AgreementStatus::Draft,
            terms: Terms::default(),
            confirmations: Vec::new(),
            updated_at: None,
        }
    }
}

/// What the caller's rules decided to do to an agreement.
#[derive(Debug, Clone)]
pub enum AgreementChange {
    /// New terms (already checked against the bounds and members).
    Edit(Terms),
    /// `person` confirms the current version.
    Confirm {
        /// The member confirming, personally.
        person: Uuid,
    },
}

fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("agreements: {error}"))
}

fn from_row(row: agreements::Model) -> Result<StoredAgreement, StoreError> {
    Ok(StoredAgreement {
        introduction_id: row.introduction_id,
        version: row.version,
        status: match row.status.as_str() {
            "draft" => AgreementStatus::Draft,
            "agreed" => AgreementStatus::Agreed,
            _ => return Err(corrupt("status is not known")),
        },
        terms: serde_json::from_value(row.body).map_err(corrupt)?,
        confirmations: serde_json::from_value(row.confirmations).map_err(corrupt)?,
        updated_at: Some(row.updated_at),
    })
}

async fn read(connection: &impl ConnectionTrait, id: Uuid) -> Result<Option<StoredAgreement>, StoreError> {
    agreements::Entity::find_by_id(id).one(connection).await?.map(from_row).transpose()
}

async fn write(
    connection: &impl ConnectionTrait,
    agreement: &StoredAgreement,
    existed: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = agreements::ActiveModel {
        introduction_id: Set(agreement.introduction_id),
        version: Set(agreement.version),
        status: Set(agreement.status.as_str().to_owned()),
        body: Set(serde_json::to_value(&agreement.terms).map_err(corrupt)?),
        confirmations: Set(serde_json::to_value(&agreement.confirmations).map_err(corrupt)?),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if existed {
        let mut row = row;
        row.created_at = sea_orm::ActiveValue::NotSet;
        agreements::Entity::update(row).exec(connection).await?;
    } else {
        agreements::Entity::insert(row).exec_without_returning(connection).await?;
    }
    Ok(())
}

/// `gone` are no longer members of introduction `id`: they are taken out of
/// its agreement (if it has one), which returns to `draft` with no
/// confirmations at a new version.
pub(crate) async fn members_changed(
    transaction: &impl ConnectionTrait,
    id: Uuid,
    gone: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if gone.is_empty() {
        return Ok(());
    }
    let Some(mut agreement) = read(transaction, id).await? else { return Ok(()) };
    for person in gone {
        agreement.terms.without(*person);
    }
    agreement.version += 1;
    agreement.status = AgreementStatus::Draft;
    agreement.confirmations.clear();
    write(transaction, &agreement, true, now).await
}

/// Takes an erased person out of every agreement they were in: their
/// amount, signature, roles and confirmation go. One still running returns
/// to `draft`.
pub(crate) async fn erase_person(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids = ids_involving(transaction, person).await?;
    for chunk in ids.chunks(500) {
        let rows = agreements::Entity::find()
            .filter(agreements::Column::IntroductionId.is_in(chunk.to_vec()))
            .all(transaction)
            .await?;
        for row in rows {
            let mut agreement = from_row(row)?;
            let confirmed = agreement.confirmations.len();
            agreement.confirmations.retain(|confirmation| confirmation.person_id != person);
            if agreement.terms.without(person) || agreement.confirmations.len() != confirmed {
                agreement.version += 1;
                agreement.status = AgreementStatus::Draft;
                agreement.confirmations.clear();
                write(transaction, &agreement, true, now).await?;
            }
        }
    }
    Ok(())
}

/// The current members of `introduction`.
pub fn current_members(introduction: &StoredIntroduction) -> Vec<Uuid> {
    introduction.members.iter().filter(|member| member.left_at.is_none()).map(|member| member.person).collect()
}

impl Store {
    /// The agreement of introduction `id` (the empty draft before the first
    /// edit); `None` when there is no such introduction.
    pub async fn get_agreement(&self, id: Uuid) -> Result<Option<(StoredIntroduction, StoredAgreement)>, StoreError> {
        let Some(introduction) = load(&self.db, id).await? else { return Ok(None) };
        let agreement = read(&self.db, id).await?.unwrap_or_else(|| StoredAgreement::empty(id));
        Ok(Some((introduction, agreement)))
    }

    /// Changes the agreement of introduction `id` atomically: `decide` sees
    /// the introduction and the agreement under the write lock and returns
    /// what to do and who does it, or its own refusal.
    #[tracing::instrument(name = "store.change_agreement", skip_all, fields(introduction_id = %id))]
    pub async fn change_agreement<E>(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        decide: impl FnOnce(&StoredIntroduction, &StoredAgreement) -> Result<(AgreementChange, EventActor), E>,
    ) -> Result<Result<(StoredIntroduction, StoredAgreement), Refused<E>>, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let Some(introduction) = load(&transaction, id).await? else { return Ok(Err(Refused::NotFound)) };
        let current = read(&transaction, id).await?;
        let existed = current.is_some();
        let mut agreement = current.unwrap_or_else(|| StoredAgreement::empty(id));
        let (change, actor) = match decide(&introduction, &agreement) {
            Ok(decided) => decided,
            Err(refusal) => return Ok(Err(Refused::Rule(refusal))),
        };
        let members = current_members(&introduction);
        let action = match change {
            AgreementChange::Edit(terms) => {
                agreement.version += 1;
                agreement.terms = terms;
                agreement.confirmations.clear();
                "agreement_edited"
            }
            AgreementChange::Confirm { person } => {
                agreement.confirmations.retain(|confirmation| confirmation.person_id != person);
                agreement.confirmations.push(Confirmation { person_id: person, version: agreement.version, at: now });
                "agreement_confirmed"
            }
        };
        agreement.status = status_of(agreement.version, &agreement.confirmations, &members);
        agreement.updated_at = Some(now);
        write(&transaction, &agreement, existed, now).await?;
        let status = introduction.status;
        let event = NewEvent { action, actor: &actor, from: Some(status), to: status, note: None, supported_by: None };
        append_event(&transaction, id, event, now).await?;
        transaction.commit().await?;
        Ok(Ok((introduction, agreement)))
    }
}

/// Whether an agreement may change in this state: only while introduced.
pub fn editable(status: IntroductionStatus) -> bool {
    status == IntroductionStatus::Introduced
}
