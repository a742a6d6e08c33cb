//! Every change to an introduction: the caller's decision under the write
//! lock, the state machine, a version-checked update of the row and of the
//! members who changed, one event and one change-log row. Also expiry, and
//! leaving every introduction at once (blocks and erasure).

use chrono::{DateTime, Duration, Utc};
use friends_domain::check_ins::CheckInSchedule;
use friends_domain::introduction::{Action, IntroductionStatus, InvalidTransition, Member, apply, leaving_action};
use friends_domain::policy::Consent;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::events::{NewEvent, StoredEvent, action_name, append_event};
use super::{
    Decision, EventActor, Refused, StoredIntroduction, between, involving, load, open_statuses, place_value,
    waiting_statuses, with_members,
};
use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::{introduction_members, introductions};
use crate::{Store, StoreError, stored_precision};

/// Applies `decision` to `current` inside `transaction`. Becoming
/// `introduced` schedules every member's first check-in on `schedule`; a
/// member leaving (or the introduction ending) closes their check-ins and
/// returns the pooling agreement to `draft` without them.
pub(crate) async fn transition(
    transaction: &impl ConnectionTrait,
    current: &StoredIntroduction,
    decision: Decision,
    schedule: &CheckInSchedule,
    now: DateTime<Utc>,
) -> Result<Result<(StoredIntroduction, StoredEvent), InvalidTransition>, StoreError> {
    let (next_state, step) = match apply(current.state()?, decision.action, now) {
        Ok(next) => next,
        Err(refused) => return Ok(Err(refused)),
    };
    let mut next = current.clone();
    next.version += 1;
    next.status = next_state.status;
    next.last_action_at = next_state.last_action_at;
    next.updated_at = now;
    match decision.action {
        Action::Approve => next.approved_at = Some(now),
        Action::Consent { member, accept } => {
            if let Some(answering) = next.members.get_mut(member.index()) {
                answering.consent = if accept { Consent::Accepted } else { Consent::Declined };
                answering.supported_by = decision.supported_by.clone();
            }
        }
        Action::BrokerDecline | Action::Withdraw { .. } | Action::End { .. } | Action::Expire => {}
    }
    for (index, member) in next.members.iter_mut().enumerate() {
        if member.left_at.is_none() && Member::at(index).is_some_and(|place| next_state.has_left(place)) {
            member.left_at = Some(now);
        }
    }
    if next.status == friends_domain::introduction::IntroductionStatus::Declined {
        next.declined_at = Some(now);
    }
    if next.status.is_final() {
        next.closed_by = decision.action.member();
    }
    let introduced = IntroductionStatus::Introduced;
    if next.status == introduced && current.status != introduced {
        next.introduced_at = Some(now);
    }
    let result = introductions::Entity::update_many()
        .col_expr(introductions::Column::Version, Expr::value(next.version))
        .col_expr(introductions::Column::Status, Expr::value(next.status.as_str()))
        .col_expr(introductions::Column::ClosedByMember, Expr::value(next.closed_by.map(place_value)))
        .col_expr(introductions::Column::ApprovedAt, Expr::value(next.approved_at))
        .col_expr(introductions::Column::DeclinedAt, Expr::value(next.declined_at))
        .col_expr(introductions::Column::IntroducedAt, Expr::value(next.introduced_at))
        .col_expr(introductions::Column::LastActionAt, Expr::value(next.last_action_at))
        .col_expr(introductions::Column::UpdatedAt, Expr::value(now))
        .filter(introductions::Column::Id.eq(current.id))
        .filter(introductions::Column::Version.eq(current.version))
        .exec(transaction)
        .await?;
    if result.rows_affected != 1 {
        // The write lock makes this unreachable; refuse rather than guess.
        return Err(StoreError::VersionConflict { current: current.version });
    }
    for (index, (before, after)) in current.members.iter().zip(&next.members).enumerate() {
        if before == after {
            continue;
        }
        let place = Member::at(index).map_or(i16::MAX, place_value);
        introduction_members::Entity::update_many()
            .col_expr(introduction_members::Column::Consent, Expr::value(after.consent.as_str()))
            .col_expr(introduction_members::Column::SupportedBy, Expr::value(after.supported_by.clone()))
            .col_expr(introduction_members::Column::LeftAt, Expr::value(after.left_at))
            .filter(introduction_members::Column::IntroductionId.eq(current.id))
            .filter(introduction_members::Column::Place.eq(place))
            .exec(transaction)
            .await?;
    }
    if next.status == introduced && current.status != introduced {
        crate::check_in_rows::schedule_first(transaction, &next, schedule, now).await?;
    }
    if current.status == introduced {
        // Who is no longer a current member: those who left now, or
        // everyone once it ended.
        let gone: Vec<Uuid> = current
            .members
            .iter()
            .zip(&next.members)
            .filter(|(before, after)| {
                before.left_at.is_none() && (after.left_at.is_some() || next.status != introduced)
            })
            .map(|(before, _)| before.person)
            .collect();
        crate::check_in_rows::close_for(transaction, current.id, &gone).await?;
        crate::agreements::members_changed(transaction, current.id, &gone, now).await?;
    }
    let event = NewEvent {
        action: action_name(decision.action),
        actor: &decision.actor,
        from: Some(step.from),
        to: step.to,
        note: decision.note,
        supported_by: decision.supported_by,
    };
    let event = append_event(transaction, current.id, event, now).await?;
    change_log::append(transaction, ChangedEntity::Introduction, current.id, Operation::Updated, now).await?;
    Ok(Ok((next, event)))
}

/// `person` leaves every open introduction they are in (with `other` in it
/// too, when given), as `actor` on their behalf: withdrawing before the
/// introduction, ending their part after. Used by blocks and erasure inside
/// their own transactions.
pub(crate) async fn leave_all(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    other: Option<Uuid>,
    actor: &EventActor,
    schedule: &CheckInSchedule,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    let condition = match other {
        Some(other) => between(person, other),
        None => involving(person),
    };
    let rows = introductions::Entity::find()
        .filter(condition)
        .filter(introductions::Column::Status.is_in(open_statuses()))
        .order_by_asc(introductions::Column::CreatedAt)
        .all(transaction)
        .await?;
    let mut changed = Vec::with_capacity(rows.len());
    for current in with_members(transaction, rows).await? {
        let Some(member) = current.place_of(person) else { continue };
        if current.member(member).is_some_and(|stored| stored.left_at.is_some()) {
            continue;
        }
        let Some(action) = leaving_action(current.status, member) else { continue };
        let decision = Decision {
            action,
            actor: EventActor { on_behalf_of: Some(person), ..actor.clone() },
            note: None,
            supported_by: None,
        };
        if transition(transaction, &current, decision, schedule, now).await?.is_ok() {
            changed.push(current.id);
        }
    }
    Ok(changed)
}

impl Store {
    /// Changes introduction `id` atomically: `decide` sees the current row
    /// (and its members) under the write lock and returns what to do, or its
    /// own refusal; the state machine may still refuse
    /// (`Refused::Transition`).
    #[tracing::instrument(name = "store.update_introduction", skip_all, fields(introduction_id = %id))]
    pub async fn update_introduction<E>(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        decide: impl FnOnce(&StoredIntroduction) -> Result<Decision, E>,
    ) -> Result<Result<(StoredIntroduction, StoredEvent), Refused<E>>, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let Some(current) = load(&transaction, id).await? else {
            return Ok(Err(Refused::NotFound));
        };
        let decision = match decide(&current) {
            Ok(decision) => decision,
            Err(refusal) => return Ok(Err(Refused::Rule(refusal))),
        };
        match transition(&transaction, &current, decision, &self.check_ins, now).await? {
            Ok(done) => {
                transaction.commit().await?;
                Ok(Ok(done))
            }
            Err(invalid) => Ok(Err(Refused::Transition(invalid))),
        }
    }

    /// Expires every waiting request with no action for the expiry period
    /// at `now`; returns their ids.
    #[tracing::instrument(name = "store.expire_introductions", skip_all)]
    pub async fn expire_introductions(&self, now: DateTime<Utc>) -> Result<Vec<Uuid>, StoreError> {
        let now = stored_precision(now);
        let due_before = now - Duration::days(friends_domain::introduction::EXPIRY_DAYS);
        let transaction = self.begin_write().await?;
        let rows = introductions::Entity::find()
            .filter(introductions::Column::Status.is_in(waiting_statuses()))
            .filter(introductions::Column::LastActionAt.lte(due_before))
            .order_by_asc(introductions::Column::LastActionAt)
            .limit(1_000)
            .all(&transaction)
            .await?;
        let mut expired = Vec::with_capacity(rows.len());
        for current in with_members(&transaction, rows).await? {
            let decision =
                Decision { action: Action::Expire, actor: EventActor::system(), note: None, supported_by: None };
            if transition(&transaction, &current, decision, &self.check_ins, now).await?.is_ok() {
                expired.push(current.id);
            }
        }
        transaction.commit().await?;
        Ok(expired)
    }
}
