//! The append-only trail of an introduction: one event per accepted action,
//! its personal text (notes, `supported_by`) kept apart in `event_notes` so
//! that erasure can delete it without touching an event.

use chrono::{DateTime, Utc};
use friends_domain::introduction::{Action, IntroductionStatus};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{EventActor, status_of};
use crate::entities::{event_notes, introduction_events};
use crate::{Store, StoreError};

/// One event, with its text where it still exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position (global order of events).
    pub seq: i64,
    /// The introduction.
    pub introduction_id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// `requested`, `approved`, `declined`, `consented`, `withdrew`, `ended`,
    /// `expired`.
    pub action: String,
    /// Who.
    pub actor: EventActor,
    /// Status before (`None` for the request itself).
    pub from_status: Option<IntroductionStatus>,
    /// Status after.
    pub to_status: IntroductionStatus,
    /// A broker's note or decline reason (brokers only).
    pub note: Option<String>,
    /// Who helped a person give their answer.
    pub supported_by: Option<String>,
}

/// The event name of the request itself.
pub(super) const REQUESTED: &str = "requested";

/// The event name of an action.
pub(super) fn action_name(action: Action) -> &'static str {
    match action {
        Action::Approve => "approved",
        Action::BrokerDecline => "declined",
        Action::Consent { accept: true, .. } => "consented",
        Action::Consent { accept: false, .. } => "declined",
        Action::Withdraw { .. } => "withdrew",
        Action::End { .. } => "ended",
        Action::Expire => "expired",
    }
}

/// What one event records, before it has a position.
pub(crate) struct NewEvent<'a> {
    pub(crate) action: &'a str,
    pub(crate) actor: &'a EventActor,
    pub(crate) from: Option<IntroductionStatus>,
    pub(crate) to: IntroductionStatus,
    pub(crate) note: Option<String>,
    pub(crate) supported_by: Option<String>,
}

pub(crate) async fn append_event(
    transaction: &impl ConnectionTrait,
    introduction_id: Uuid,
    event: NewEvent<'_>,
    now: DateTime<Utc>,
) -> Result<StoredEvent, StoreError> {
    let NewEvent { action, actor, from, to, note, supported_by } = event;
    let row = introduction_events::ActiveModel {
        seq: NotSet,
        introduction_id: Set(introduction_id),
        at: Set(now),
        action: Set(action.to_owned()),
        actor: Set(actor.actor),
        actor_role: Set(actor.role.clone()),
        on_behalf_of: Set(actor.on_behalf_of),
        from_status: Set(from.map(|status| status.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
    };
    let seq = introduction_events::Entity::insert(row).exec(transaction).await?.last_insert_id;
    if note.is_some() || supported_by.is_some() {
        let row = event_notes::ActiveModel {
            event_seq: Set(seq),
            introduction_id: Set(introduction_id),
            note: Set(note.clone()),
            supported_by: Set(supported_by.clone()),
        };
        event_notes::Entity::insert(row).exec_without_returning(transaction).await?;
    }
    Ok(StoredEvent {
        seq,
        introduction_id,
        at: now,
        action: action.to_owned(),
        actor: actor.clone(),
        from_status: from,
        to_status: to,
        note,
        supported_by,
    })
}

impl Store {
    /// The events of an introduction, oldest first, with their text.
    pub async fn introduction_events(&self, id: Uuid) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = introduction_events::Entity::find()
            .filter(introduction_events::Column::IntroductionId.eq(id))
            .order_by_asc(introduction_events::Column::Seq)
            .all(&self.db)
            .await?;
        let notes =
            event_notes::Entity::find().filter(event_notes::Column::IntroductionId.eq(id)).all(&self.db).await?;
        rows.into_iter()
            .map(|row| {
                let text = notes.iter().find(|note| note.event_seq == row.seq);
                Ok(StoredEvent {
                    seq: row.seq,
                    introduction_id: row.introduction_id,
                    at: row.at,
                    action: row.action,
                    actor: EventActor { actor: row.actor, role: row.actor_role, on_behalf_of: row.on_behalf_of },
                    from_status: row
                        .from_status
                        .as_deref()
                        .map(|status| status_of("introduction_events.from_status", status))
                        .transpose()?,
                    to_status: status_of("introduction_events.to_status", &row.to_status)?,
                    note: text.and_then(|text| text.note.clone()),
                    supported_by: text.and_then(|text| text.supported_by.clone()),
                })
            })
            .collect()
    }
}
