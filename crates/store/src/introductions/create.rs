//! A new request: every member findable, no block and no open or recently
//! declined introduction between any two of them, and the requester under
//! their limit, all checked inside the write transaction that stores it.
//! What stands between two members other than the requester is answered
//! as "not found", never as a conflict that would tell the requester of
//! other people's introductions.

use chrono::{DateTime, Utc};
use friends_domain::introduction::{IntroductionState, Member};
use friends_domain::policy::Consent;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::events::{NewEvent, REQUESTED, append_event};
use super::{
    EventActor, NewIntroduction, RequestLimits, RequestRefusal, StoredIntroduction, StoredMember, between,
    json_strings, place_value, requested_by, waiting_statuses, with_members,
};
use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::{blocks, introduction_members, introductions, people};
use crate::{Store, StoreError, stored_precision};

/// Whether an active block stands between `one` and `other`, either way.
async fn blocked_between(transaction: &impl ConnectionTrait, one: Uuid, other: Uuid) -> Result<bool, StoreError> {
    let found = blocks::Entity::find()
        .filter(blocks::Column::RemovedAt.is_null())
        .filter(
            Condition::any()
                .add(Condition::all().add(blocks::Column::Blocker.eq(one)).add(blocks::Column::Blocked.eq(other)))
                .add(Condition::all().add(blocks::Column::Blocker.eq(other)).add(blocks::Column::Blocked.eq(one))),
        )
        .one(transaction)
        .await?;
    Ok(found.is_some())
}

impl Store {
    /// Stores a new request, checking inside the write transaction that
    /// every member can be found, no block stands between any two of them,
    /// no introduction between any two is open or was declined within the
    /// cooldown, and the requester is under their limit.
    #[tracing::instrument(name = "store.create_introduction", skip_all, fields(introduction_id = %new.id))]
    pub async fn create_introduction(
        &self,
        new: NewIntroduction,
        limits: RequestLimits,
        now: DateTime<Utc>,
    ) -> Result<Result<StoredIntroduction, RequestRefusal>, StoreError> {
        let now = stored_precision(now);
        let everyone: Vec<Uuid> = std::iter::once(new.requester).chain(new.others.iter().copied()).collect();
        let distinct = everyone.iter().collect::<std::collections::HashSet<_>>().len() == everyone.len();
        let Some(state) = IntroductionState::new(everyone.len(), new.requester_asked_personally, now) else {
            return Ok(Err(RequestRefusal::InvalidMembers));
        };
        if !distinct {
            return Ok(Err(RequestRefusal::InvalidMembers));
        }
        let transaction = self.begin_write().await?;
        let found =
            people::Entity::find().filter(people::Column::Id.is_in(everyone.iter().copied())).all(&transaction).await?;
        let mut authorities = Vec::with_capacity(everyone.len());
        for id in &everyone {
            let findable = found
                .iter()
                .find(|person| person.id == *id)
                .filter(|person| person.status == "active" && person.discoverable);
            let Some(person) = findable else { return Ok(Err(RequestRefusal::NotFound)) };
            authorities.push(person.authority_code.clone());
        }
        for (index, one) in everyone.iter().enumerate() {
            for other in &everyone[index + 1..] {
                if blocked_between(&transaction, *one, *other).await? {
                    return Ok(Err(RequestRefusal::NotFound));
                }
            }
        }
        for (index, one) in everyone.iter().enumerate() {
            for other in &everyone[index + 1..] {
                let rows = introductions::Entity::find().filter(between(*one, *other)).all(&transaction).await?;
                // A pair with the requester in it: a request to a member that
                // no broker approved does not exist for them (they must not
                // learn of it, not even from a conflict), so it neither
                // blocks nor cools down their own. Two other members of a
                // group: kept apart by what either of them knows of, and the
                // requester is told nothing about it (a 404, as for a block),
                // since their introductions are none of the requester's.
                let ours = *one == new.requester || *other == new.requester;
                let earlier: Vec<StoredIntroduction> = with_members(&transaction, rows)
                    .await?
                    .into_iter()
                    .filter(|earlier| {
                        earlier.approved()
                            || if ours {
                                earlier.requester() == new.requester
                            } else {
                                earlier.requester() == *one || earlier.requester() == *other
                            }
                    })
                    .collect();
                if earlier.iter().any(|earlier| earlier.status.is_open()) {
                    return Ok(Err(if ours { RequestRefusal::OpenRequestExists } else { RequestRefusal::NotFound }));
                }
                if let Some(until) = earlier
                    .iter()
                    .filter_map(|earlier| earlier.declined_at)
                    .map(|declined_at| declined_at + limits.cooldown)
                    .filter(|until| *until > now)
                    .max()
                {
                    return Ok(Err(if ours { RequestRefusal::Cooldown { until } } else { RequestRefusal::NotFound }));
                }
            }
        }
        let waiting = introductions::Entity::find()
            .filter(requested_by(&[new.requester]))
            .filter(introductions::Column::Status.is_in(waiting_statuses()))
            .count(&transaction)
            .await?;
        if waiting >= u64::from(limits.max_open_requests) {
            return Ok(Err(RequestRefusal::LimitReached));
        }
        let members: Vec<StoredMember> = everyone
            .iter()
            .zip(authorities)
            .enumerate()
            .map(|(index, (person, authority))| StoredMember {
                person: *person,
                authority,
                consent: if Member::at(index).is_some_and(|member| state.has_consented(member)) {
                    Consent::Accepted
                } else {
                    Consent::Awaiting
                },
                supported_by: None,
                left_at: None,
            })
            .collect();
        let introduction = StoredIntroduction {
            id: new.id,
            version: 1,
            members,
            created_by: new.actor.actor.unwrap_or_default(),
            created_by_role: new.actor.role.clone(),
            status: state.status,
            message: new.message,
            reasons: new.reasons,
            flags: new.flags,
            closed_by: None,
            approved_at: None,
            declined_at: None,
            introduced_at: None,
            last_action_at: now,
            redacted: false,
            created_at: now,
            updated_at: now,
        };
        let row = introductions::ActiveModel {
            id: Set(introduction.id),
            version: Set(introduction.version),
            created_by: Set(introduction.created_by),
            created_by_role: Set(introduction.created_by_role.clone()),
            status: Set(introduction.status.as_str().to_owned()),
            message: Set(introduction.message.clone()),
            reasons: Set(json_strings(&introduction.reasons)),
            flags: Set(json_strings(&introduction.flags)),
            closed_by_member: Set(None),
            approved_at: Set(None),
            declined_at: Set(None),
            introduced_at: Set(None),
            last_action_at: Set(now),
            redacted: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        };
        introductions::Entity::insert(row).exec_without_returning(&transaction).await?;
        let rows = introduction.members.iter().enumerate().map(|(index, member)| introduction_members::ActiveModel {
            introduction_id: Set(introduction.id),
            place: Set(Member::at(index).map_or(i16::MAX, place_value)),
            person_id: Set(member.person),
            authority: Set(member.authority.clone()),
            consent: Set(member.consent.as_str().to_owned()),
            supported_by: Set(None),
            left_at: Set(None),
        });
        introduction_members::Entity::insert_many(rows).exec_without_returning(&transaction).await?;
        let actor = EventActor { on_behalf_of: Some(new.requester), ..new.actor };
        let event =
            NewEvent { action: REQUESTED, actor: &actor, from: None, to: state.status, note: None, supported_by: None };
        append_event(&transaction, new.id, event, now).await?;
        change_log::append(&transaction, ChangedEntity::Introduction, new.id, Operation::Created, now).await?;
        transaction.commit().await?;
        Ok(Ok(introduction))
    }
}
