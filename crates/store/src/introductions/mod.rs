//! Introductions with members (DESIGN §5): a requester and 1 to 5 others,
//! each with their own consent; a pair is the case of one.
//!
//! - [`create`]: a new request, with its limits checked under the lock;
//! - [`transitions`]: every change, atomically, and expiry;
//! - [`events`]: the append-only trail;
//! - [`lists`]: reads, lists and what the exclusions index needs;
//! - [`queue`]: the broker queue (requests and reports);
//! - [`erasure`]: what blocks, moves and erasures do to introductions.
//!
//! Every change runs in one write transaction (which holds the database's
//! single write lock, see [`Store::begin_write`]) that reads the current row
//! and its members, asks the caller's rules and the state machine of
//! `friends_domain`, then updates the row only if its version is unchanged,
//! appends exactly one event and one change-log row, and commits. Two racing
//! actions therefore produce one outcome each, in some order, or a refusal
//! that changed nothing.

mod create;
pub(crate) mod erasure;
pub(crate) mod events;
mod lists;
pub(crate) mod queue;
pub(crate) mod transitions;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use friends_domain::introduction::{Action, IntroductionState, IntroductionStatus, InvalidTransition, Member};
use friends_domain::policy::{Consent, Party};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{introduction_members, introductions};

/// Who did something, as events record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventActor {
    /// The caller's `sub`; `None` for the service itself (expiry).
    pub actor: Option<Uuid>,
    /// `member`, `supporter`, `broker`, `admin` or `system`.
    pub role: String,
    /// The person the caller acted for, if any.
    pub on_behalf_of: Option<Uuid>,
}

impl EventActor {
    /// The service itself.
    pub fn system() -> Self {
        Self { actor: None, role: "system".into(), on_behalf_of: None }
    }
}

/// One member as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMember {
    /// Their person id.
    pub person: Uuid,
    /// Their authority (kept current while they exist).
    pub authority: String,
    /// Their own answer.
    pub consent: Consent,
    /// Who helped them answer; `None` when nobody did, or once erased.
    pub supported_by: Option<String>,
    /// When they left, if they did.
    pub left_at: Option<DateTime<Utc>>,
}

/// An introduction as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIntroduction {
    /// Id.
    pub id: Uuid,
    /// Bumped by every transition.
    pub version: i64,
    /// The requester first, then the others in the order they were named.
    pub members: Vec<StoredMember>,
    /// Who created the request.
    pub created_by: Uuid,
    /// In which role.
    pub created_by_role: String,
    /// Where it stands.
    pub status: IntroductionStatus,
    /// The requester's message; `None` when there was none or it was erased.
    pub message: Option<String>,
    /// Why they were suggested, at request time.
    pub reasons: Vec<String>,
    /// Safeguarding flags on the message.
    pub flags: Vec<String>,
    /// Whose side declined or left, when a member's side did.
    pub closed_by: Option<Member>,
    /// When a broker approved it.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it was declined.
    pub declined_at: Option<DateTime<Utc>>,
    /// When every member had said yes (it became `introduced`).
    pub introduced_at: Option<DateTime<Utc>>,
    /// When anyone last acted (expiry counts from here).
    pub last_action_at: DateTime<Utc>,
    /// Whether a member's erasure cleared its text.
    pub redacted: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl StoredIntroduction {
    /// What the state machine needs.
    pub fn state(&self) -> Result<IntroductionState, StoreError> {
        let members: Vec<(bool, bool)> =
            self.members.iter().map(|member| (member.consent == Consent::Accepted, member.left_at.is_some())).collect();
        IntroductionState::restore(self.status, &members, self.last_action_at)
            .ok_or_else(|| StoreError::Corrupt("introduction_members: member count".into()))
    }

    /// The members as the access rules need them, requester first.
    pub fn parties(&self) -> Vec<Party<'_>> {
        self.members.iter().map(|member| Party { person: member.person, authority: &member.authority }).collect()
    }

    /// The requester.
    pub fn requester(&self) -> Uuid {
        self.members.first().map(|member| member.person).unwrap_or_default()
    }

    /// The member at `member`'s place, if there is one.
    pub fn member(&self, member: Member) -> Option<&StoredMember> {
        self.members.get(member.index())
    }

    /// The person at `member`'s place.
    pub fn person(&self, member: Member) -> Option<Uuid> {
        self.member(member).map(|member| member.person)
    }

    /// `person`'s place, if they are a member.
    pub fn place_of(&self, person: Uuid) -> Option<Member> {
        self.members.iter().position(|member| member.person == person).and_then(Member::at)
    }

    /// Whether a broker ever approved it (the members other than the
    /// requester know of it only after).
    pub fn approved(&self) -> bool {
        self.approved_at.is_some()
    }

    /// When it expires if nobody acts (only while waiting).
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.status
            .is_waiting()
            .then(|| self.last_action_at + Duration::days(friends_domain::introduction::EXPIRY_DAYS))
    }
}

/// A new request.
#[derive(Debug, Clone)]
pub struct NewIntroduction {
    /// Id to use.
    pub id: Uuid,
    /// `from`.
    pub requester: Uuid,
    /// The others: one for a pair (`to`), up to five for a group.
    pub others: Vec<Uuid>,
    /// Who creates it.
    pub actor: EventActor,
    /// The message, validated.
    pub message: Option<String>,
    /// Why they were suggested.
    pub reasons: Vec<String>,
    /// Safeguarding flags of the message.
    pub flags: Vec<String>,
    /// Whether the requester asked with their own token (their consent).
    pub requester_asked_personally: bool,
}

/// The limits a new request must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Most requests one requester may have waiting.
    pub max_open_requests: u32,
    /// How long after a decline the same people may not be introduced again.
    pub cooldown: Duration,
}

/// Why a request was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestRefusal {
    /// A member is missing, paused or hidden, or two of them are blocked.
    NotFound,
    /// The member count is not 2 to 6, or someone is named twice.
    InvalidMembers,
    /// A request between two of them is open (or they are introduced).
    OpenRequestExists,
    /// A request between two of them was declined within the cooldown.
    Cooldown {
        /// When a new request becomes possible.
        until: DateTime<Utc>,
    },
    /// The requester has `max_open_requests` waiting.
    LimitReached,
}

/// What the caller's rules decided to do to an introduction.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The state-machine action (it names the member, where one acts).
    pub action: Action,
    /// Who.
    pub actor: EventActor,
    /// A broker's note or reason.
    pub note: Option<String>,
    /// Who helped with a consent.
    pub supported_by: Option<String>,
}

/// Why [`crate::Store::update_introduction`] changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused<E> {
    /// No introduction with that id.
    NotFound,
    /// The caller's rules said no.
    Rule(E),
    /// Not a move on the diagram from the current state.
    Transition(InvalidTransition),
}

/// Which introductions a list shows: those matching any of the clauses.
#[derive(Debug, Clone, Default)]
pub struct IntroductionFilter {
    /// Everything (admins).
    pub all: bool,
    /// Requested by any of these people.
    pub requested_by: Vec<Uuid>,
    /// Received (and approved) by any of these people: they are a member
    /// other than the requester.
    pub received_by: Vec<Uuid>,
    /// Any member in any of these authorities.
    pub authorities: Vec<String>,
    /// Narrowed to this status.
    pub status: Option<IntroductionStatus>,
    /// Narrowed to introductions this person is a member of.
    pub person: Option<Uuid>,
}

/// What the exclusions index needs of an introduction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntroductionLinks {
    /// Id.
    pub id: Uuid,
    /// The requester first, then the others.
    pub members: Vec<Uuid>,
    /// Status.
    pub status: IntroductionStatus,
    /// When it was declined, if it was.
    pub declined_at: Option<DateTime<Utc>>,
    /// Whether a broker approved it (before, only the requester knows it).
    pub approved: bool,
}

pub(crate) fn json_strings(values: &[String]) -> serde_json::Value {
    serde_json::Value::Array(values.iter().cloned().map(serde_json::Value::String).collect())
}

fn strings_of(column: &str, value: serde_json::Value) -> Result<Vec<String>, StoreError> {
    serde_json::from_value(value).map_err(|error| StoreError::Corrupt(format!("introductions.{column}: {error}")))
}

pub(crate) fn status_of(column: &str, value: &str) -> Result<IntroductionStatus, StoreError> {
    IntroductionStatus::parse(value).ok_or_else(|| StoreError::Corrupt(format!("{column} is not a known status")))
}

fn member_place(value: i16) -> Result<Member, StoreError> {
    usize::try_from(value)
        .ok()
        .and_then(Member::at)
        .ok_or_else(|| StoreError::Corrupt("introduction member place out of range".into()))
}

fn place_value(member: Member) -> i16 {
    // At most MAX_MEMBERS.
    i16::try_from(member.index()).unwrap_or(i16::MAX)
}

fn member_from_row(row: &introduction_members::Model) -> Result<StoredMember, StoreError> {
    Ok(StoredMember {
        person: row.person_id,
        authority: row.authority.clone(),
        consent: Consent::parse(&row.consent)
            .ok_or_else(|| StoreError::Corrupt("introduction_members.consent is not known".into()))?,
        supported_by: row.supported_by.clone(),
        left_at: row.left_at,
    })
}

fn from_rows(
    row: introductions::Model,
    members: &[introduction_members::Model],
) -> Result<StoredIntroduction, StoreError> {
    let mut ordered: Vec<&introduction_members::Model> = members.iter().collect();
    ordered.sort_by_key(|member| member.place);
    for (index, member) in ordered.iter().enumerate() {
        if usize::try_from(member.place).ok() != Some(index) {
            return Err(StoreError::Corrupt("introduction_members: places are not 0, 1, 2…".into()));
        }
    }
    Ok(StoredIntroduction {
        id: row.id,
        version: row.version,
        members: ordered.into_iter().map(member_from_row).collect::<Result<_, _>>()?,
        created_by: row.created_by,
        created_by_role: row.created_by_role,
        status: status_of("introductions.status", &row.status)?,
        message: row.message,
        reasons: strings_of("reasons", row.reasons)?,
        flags: strings_of("flags", row.flags)?,
        closed_by: row.closed_by_member.map(member_place).transpose()?,
        approved_at: row.approved_at,
        declined_at: row.declined_at,
        introduced_at: row.introduced_at,
        last_action_at: row.last_action_at,
        redacted: row.redacted,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The members of these introductions, by introduction.
async fn members_of(
    connection: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<introduction_members::Model>>, StoreError> {
    let mut found: HashMap<Uuid, Vec<introduction_members::Model>> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = introduction_members::Entity::find()
            .filter(introduction_members::Column::IntroductionId.is_in(chunk.iter().copied()))
            .order_by_asc(introduction_members::Column::Place)
            .all(connection)
            .await?;
        for row in rows {
            found.entry(row.introduction_id).or_default().push(row);
        }
    }
    Ok(found)
}

/// These rows with their members, in the rows' order.
pub(crate) async fn with_members(
    connection: &impl ConnectionTrait,
    rows: Vec<introductions::Model>,
) -> Result<Vec<StoredIntroduction>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let members = members_of(connection, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let found = members.get(&row.id).map_or(&[][..], Vec::as_slice);
            from_rows(row, found)
        })
        .collect()
}

/// One introduction with its members.
pub(crate) async fn load(
    connection: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<StoredIntroduction>, StoreError> {
    let Some(row) = introductions::Entity::find_by_id(id).one(connection).await? else { return Ok(None) };
    Ok(with_members(connection, vec![row]).await?.pop())
}

/// Introductions with a member matching `condition` (on the members table).
fn having_member(condition: Condition) -> Condition {
    let mut members = Query::select();
    members
        .column(introduction_members::Column::IntroductionId)
        .from(introduction_members::Entity)
        .cond_where(condition);
    Condition::all().add(introductions::Column::Id.in_subquery(members))
}

/// Introductions `person` is a member of.
pub(crate) fn involving(person: Uuid) -> Condition {
    having_member(Condition::all().add(introduction_members::Column::PersonId.eq(person)))
}

/// The ids of every introduction `person` is (or was) a member of.
pub(crate) async fn ids_involving(connection: &impl ConnectionTrait, person: Uuid) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    Ok(introductions::Entity::find()
        .select_only()
        .column(introductions::Column::Id)
        .filter(involving(person))
        .into_tuple()
        .all(connection)
        .await?)
}

/// Introductions both `one` and `other` are members of.
pub(crate) fn between(one: Uuid, other: Uuid) -> Condition {
    Condition::all().add(involving(one)).add(involving(other))
}

/// Introductions requested by any of `people`.
fn requested_by(people: &[Uuid]) -> Condition {
    having_member(
        Condition::all()
            .add(introduction_members::Column::Place.eq(0))
            .add(introduction_members::Column::PersonId.is_in(people.iter().copied())),
    )
}

/// Introductions any of `people` is a member of other than the requester.
fn received_by(people: &[Uuid]) -> Condition {
    having_member(
        Condition::all()
            .add(introduction_members::Column::Place.gt(0))
            .add(introduction_members::Column::PersonId.is_in(people.iter().copied())),
    )
}

/// Introductions with a member in any of `authorities`.
fn in_authorities(authorities: &[String]) -> Condition {
    having_member(Condition::all().add(introduction_members::Column::Authority.is_in(authorities.iter().cloned())))
}

fn open_statuses() -> [&'static str; 3] {
    [
        IntroductionStatus::PendingReview.as_str(),
        IntroductionStatus::AwaitingConsent.as_str(),
        IntroductionStatus::Introduced.as_str(),
    ]
}

fn waiting_statuses() -> [&'static str; 2] {
    [IntroductionStatus::PendingReview.as_str(), IntroductionStatus::AwaitingConsent.as_str()]
}
