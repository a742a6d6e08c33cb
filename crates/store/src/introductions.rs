//! Introductions: requests, atomic transitions, the append-only event trail,
//! the broker queue, expiry, and what blocks and erasures do to them.
//!
//! One file for now, until issue 10 migrates introductions to members (a
//! pair as a group of two) on both backends; the split (rows and views,
//! transitions, events, queue and expiry) belongs with that migration.
//!
//! Every change runs in one write transaction (which holds the database's
//! single write lock, see [`Store::begin_write`]) that reads the current row,
//! asks the caller's rules and the state machine of `friends_domain`, then
//! updates the row only if its version is unchanged, appends exactly one
//! event and one change-log row, and commits. Two racing actions therefore
//! produce one outcome each, in some order, or a refusal that changed
//! nothing.

use chrono::{DateTime, Duration, Utc};
use friends_domain::access::{Consent, Parties};
use friends_domain::introduction::{
    Action, IntroductionState, IntroductionStatus, InvalidTransition, Party, apply, leaving_action,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::{event_notes, introduction_events, introductions, people, reports};
use crate::people::{append_entity_change, stored_precision};
use crate::{Store, StoreError};

/// Change-log entity of introductions.
pub const INTRODUCTION_ENTITY: &str = "introduction";
/// Change-log entity of reports.
pub const REPORT_ENTITY: &str = "report";

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

/// An introduction as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIntroduction {
    /// Id.
    pub id: Uuid,
    /// Bumped by every transition.
    pub version: i64,
    /// Who asked (`from`).
    pub requester: Uuid,
    /// Who was asked about (`to`).
    pub recipient: Uuid,
    /// The requester's authority (kept current while they exist).
    pub requester_authority: String,
    /// The recipient's authority.
    pub recipient_authority: String,
    /// Who created the request.
    pub created_by: Uuid,
    /// In which role.
    pub created_by_role: String,
    /// Where it stands.
    pub status: IntroductionStatus,
    /// The requester's message; `None` when there was none or it was erased.
    pub message: Option<String>,
    /// Why the pair was suggested, at request time.
    pub reasons: Vec<String>,
    /// Safeguarding flags on the message.
    pub flags: Vec<String>,
    /// The requester's own answer.
    pub requester_consent: Consent,
    /// The recipient's own answer.
    pub recipient_consent: Consent,
    /// Whose side declined or left, when a person's side did.
    pub closed_by: Option<Party>,
    /// When a broker approved it.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it was declined.
    pub declined_at: Option<DateTime<Utc>>,
    /// When anyone last acted (expiry counts from here).
    pub last_action_at: DateTime<Utc>,
    /// Whether a person's erasure cleared its text.
    pub redacted: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl StoredIntroduction {
    /// What the state machine needs.
    pub fn state(&self) -> IntroductionState {
        IntroductionState {
            status: self.status,
            requester_consented: self.requester_consent == Consent::Accepted,
            recipient_consented: self.recipient_consent == Consent::Accepted,
            last_action_at: self.last_action_at,
        }
    }

    /// The two people and their authorities.
    pub fn parties(&self) -> Parties<'_> {
        Parties {
            requester: self.requester,
            recipient: self.recipient,
            requester_authority: &self.requester_authority,
            recipient_authority: &self.recipient_authority,
        }
    }

    /// When it expires if nobody acts (only while waiting).
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.status.is_waiting().then(|| self.state().expires_at())
    }

    /// The person on `party`'s side.
    pub fn person(&self, party: Party) -> Uuid {
        self.parties().person(party)
    }
}

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

/// A new request.
#[derive(Debug, Clone)]
pub struct NewIntroduction {
    /// Id to use.
    pub id: Uuid,
    /// `from`.
    pub requester: Uuid,
    /// `to`.
    pub recipient: Uuid,
    /// Who creates it.
    pub actor: EventActor,
    /// The message, validated.
    pub message: Option<String>,
    /// The pair's reasons.
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
    /// How long after a decline the pair may not be introduced again.
    pub cooldown: Duration,
}

/// Why a request was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestRefusal {
    /// Either person is missing, paused, hidden, or the pair is blocked.
    NotFound,
    /// A request between them is open (or they are introduced).
    OpenRequestExists,
    /// A request between them was declined within the cooldown.
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
    /// The state-machine action.
    pub action: Action,
    /// The side the actor acts for (consent, withdraw, end).
    pub by: Option<Party>,
    /// Who.
    pub actor: EventActor,
    /// A broker's note or reason.
    pub note: Option<String>,
    /// Who helped with a consent.
    pub supported_by: Option<String>,
}

/// A safeguarding report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// Id.
    pub id: Uuid,
    /// Who raised it (a person, or a broker's own id).
    pub reporter: Uuid,
    /// The person it is about.
    pub about: Uuid,
    /// Their authority at the time.
    pub about_authority: String,
    /// The worry; `None` once erased.
    pub reason: Option<String>,
    /// Who created it.
    pub created_by: Uuid,
    /// In which role.
    pub created_by_role: String,
    /// `open` or `resolved`.
    pub status: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// By which broker.
    pub resolved_by: Option<Uuid>,
    /// The broker's note.
    pub resolution_note: Option<String>,
}

/// One item of the broker queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueItem {
    /// A request waiting for review.
    Introduction(StoredIntroduction),
    /// An open report.
    Report(StoredReport),
}

impl QueueItem {
    /// The queue's order key: oldest first, then id.
    pub fn key(&self) -> (DateTime<Utc>, Uuid) {
        match self {
            Self::Introduction(introduction) => (introduction.created_at, introduction.id),
            Self::Report(report) => (report.created_at, report.id),
        }
    }
}

/// Which introductions a list shows: those matching any of the clauses.
#[derive(Debug, Clone, Default)]
pub struct IntroductionFilter {
    /// Everything (admins).
    pub all: bool,
    /// Requested by any of these people.
    pub requested_by: Vec<Uuid>,
    /// Received (and approved) by any of these people.
    pub received_by: Vec<Uuid>,
    /// Either person in any of these authorities.
    pub authorities: Vec<String>,
    /// Narrowed to this status.
    pub status: Option<IntroductionStatus>,
    /// Narrowed to introductions involving this person.
    pub person: Option<Uuid>,
}

/// What the exclusions index needs of an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntroductionPair {
    /// Id.
    pub id: Uuid,
    /// `from`.
    pub requester: Uuid,
    /// `to`.
    pub recipient: Uuid,
    /// Status.
    pub status: IntroductionStatus,
    /// When it was declined, if it was.
    pub declined_at: Option<DateTime<Utc>>,
    /// Whether a broker approved it (before, the recipient may not know it).
    pub approved: bool,
}

fn json_strings(values: &[String]) -> serde_json::Value {
    serde_json::Value::Array(values.iter().cloned().map(serde_json::Value::String).collect())
}

fn strings_of(column: &str, value: serde_json::Value) -> Result<Vec<String>, StoreError> {
    serde_json::from_value(value).map_err(|error| StoreError::Corrupt(format!("introductions.{column}: {error}")))
}

fn status_of(column: &str, value: &str) -> Result<IntroductionStatus, StoreError> {
    IntroductionStatus::parse(value).ok_or_else(|| StoreError::Corrupt(format!("{column} is not a known status")))
}

fn consent_of(value: &str) -> Result<Consent, StoreError> {
    Consent::parse(value).ok_or_else(|| StoreError::Corrupt("introductions consent is not known".into()))
}

fn from_row(row: introductions::Model) -> Result<StoredIntroduction, StoreError> {
    Ok(StoredIntroduction {
        id: row.id,
        version: row.version,
        requester: row.requester,
        recipient: row.recipient,
        requester_authority: row.requester_authority,
        recipient_authority: row.recipient_authority,
        created_by: row.created_by,
        created_by_role: row.created_by_role,
        status: status_of("introductions.status", &row.status)?,
        message: row.message,
        reasons: strings_of("reasons", row.reasons)?,
        flags: strings_of("flags", row.flags)?,
        requester_consent: consent_of(&row.requester_consent)?,
        recipient_consent: consent_of(&row.recipient_consent)?,
        closed_by: match row.closed_by.as_deref() {
            None => None,
            Some(party) => {
                Some(Party::parse(party).ok_or_else(|| StoreError::Corrupt("introductions.closed_by".into()))?)
            }
        },
        approved_at: row.approved_at,
        declined_at: row.declined_at,
        last_action_at: row.last_action_at,
        redacted: row.redacted,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn report_from_row(row: reports::Model) -> StoredReport {
    StoredReport {
        id: row.id,
        reporter: row.reporter,
        about: row.about,
        about_authority: row.about_authority,
        reason: row.reason,
        created_by: row.created_by,
        created_by_role: row.created_by_role,
        status: row.status,
        created_at: row.created_at,
        resolved_at: row.resolved_at,
        resolved_by: row.resolved_by,
        resolution_note: row.resolution_note,
    }
}

/// The event name of an action.
fn action_name(action: Action) -> &'static str {
    match action {
        Action::Approve => "approved",
        Action::BrokerDecline => "declined",
        Action::Consent { accept: true, .. } => "consented",
        Action::Consent { accept: false, .. } => "declined",
        Action::Withdraw => "withdrew",
        Action::End => "ended",
        Action::Expire => "expired",
    }
}

/// Involving `person`, either side.
fn involving(person: Uuid) -> Condition {
    Condition::any().add(introductions::Column::Requester.eq(person)).add(introductions::Column::Recipient.eq(person))
}

/// Between `one` and `other`, either way round.
fn between(one: Uuid, other: Uuid) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(introductions::Column::Requester.eq(one))
                .add(introductions::Column::Recipient.eq(other)),
        )
        .add(
            Condition::all()
                .add(introductions::Column::Requester.eq(other))
                .add(introductions::Column::Recipient.eq(one)),
        )
}

fn open_statuses() -> [&'static str; 3] {
    [
        IntroductionStatus::PendingReview.as_str(),
        IntroductionStatus::AwaitingConsent.as_str(),
        IntroductionStatus::Introduced.as_str(),
    ]
}

/// What one event records, before it has a position.
struct NewEvent<'a> {
    action: &'a str,
    actor: &'a EventActor,
    from: Option<IntroductionStatus>,
    to: IntroductionStatus,
    note: Option<String>,
    supported_by: Option<String>,
}

async fn append_event(
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

/// Applies `decision` to `current` inside `transaction`: the state machine,
/// a version-checked update, one event, one change-log row.
async fn transition(
    transaction: &impl ConnectionTrait,
    current: &StoredIntroduction,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Result<(StoredIntroduction, StoredEvent), InvalidTransition>, StoreError> {
    let (next_state, step) = match apply(current.state(), decision.action, now) {
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
        Action::Consent { party, accept } => {
            let answer = if accept { Consent::Accepted } else { Consent::Declined };
            match party {
                Party::Requester => next.requester_consent = answer,
                Party::Recipient => next.recipient_consent = answer,
            }
        }
        Action::BrokerDecline | Action::Withdraw | Action::End | Action::Expire => {}
    }
    if next.status == IntroductionStatus::Declined {
        next.declined_at = Some(now);
    }
    if next.status.is_final() {
        next.closed_by = decision.by;
    }
    let result = introductions::Entity::update_many()
        .col_expr(introductions::Column::Version, Expr::value(next.version))
        .col_expr(introductions::Column::Status, Expr::value(next.status.as_str()))
        .col_expr(introductions::Column::RequesterConsent, Expr::value(next.requester_consent.as_str()))
        .col_expr(introductions::Column::RecipientConsent, Expr::value(next.recipient_consent.as_str()))
        .col_expr(introductions::Column::ClosedBy, Expr::value(next.closed_by.map(|party| party.as_str().to_owned())))
        .col_expr(introductions::Column::ApprovedAt, Expr::value(next.approved_at))
        .col_expr(introductions::Column::DeclinedAt, Expr::value(next.declined_at))
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
    let event = NewEvent {
        action: action_name(decision.action),
        actor: &decision.actor,
        from: Some(step.from),
        to: step.to,
        note: decision.note,
        supported_by: decision.supported_by,
    };
    let event = append_event(transaction, current.id, event, now).await?;
    append_entity_change(transaction, INTRODUCTION_ENTITY, current.id, "updated", now).await?;
    Ok(Ok((next, event)))
}

/// Withdraws or ends every open introduction involving `person` (and
/// `other`, when given), as `actor` on that person's behalf. Used by blocks
/// and erasure inside their own transactions.
pub(crate) async fn leave_all(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    other: Option<Uuid>,
    actor: &EventActor,
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
    for row in rows {
        let current = from_row(row)?;
        let Some(action) = leaving_action(current.status) else { continue };
        let by = if current.requester == person { Party::Requester } else { Party::Recipient };
        let decision = Decision {
            action,
            by: Some(by),
            actor: EventActor { on_behalf_of: Some(person), ..actor.clone() },
            note: None,
            supported_by: None,
        };
        if transition(transaction, &current, decision, now).await?.is_ok() {
            changed.push(current.id);
        }
    }
    Ok(changed)
}

/// Keeps the authority columns of `person`'s introductions, and of open
/// reports about them, current when they move.
pub(crate) async fn move_authority(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    authority: &str,
) -> Result<(), StoreError> {
    introductions::Entity::update_many()
        .col_expr(introductions::Column::RequesterAuthority, Expr::value(authority))
        .filter(introductions::Column::Requester.eq(person))
        .exec(transaction)
        .await?;
    introductions::Entity::update_many()
        .col_expr(introductions::Column::RecipientAuthority, Expr::value(authority))
        .filter(introductions::Column::Recipient.eq(person))
        .exec(transaction)
        .await?;
    // Open reports go to the brokers of the person's new area.
    reports::Entity::update_many()
        .col_expr(reports::Column::AboutAuthority, Expr::value(authority))
        .filter(reports::Column::About.eq(person))
        .filter(reports::Column::Status.eq("open"))
        .exec(transaction)
        .await?;
    Ok(())
}

/// Clears the personal text of every introduction and report involving an
/// erased person: messages, reasons, event notes and report reasons. Event
/// rows themselves are never touched.
pub(crate) async fn redact_person(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = introductions::Entity::find()
        .select_only()
        .column(introductions::Column::Id)
        .filter(involving(person))
        .into_tuple()
        .all(transaction)
        .await?;
    for chunk in ids.chunks(500) {
        introductions::Entity::update_many()
            .col_expr(introductions::Column::Message, Expr::value(Option::<String>::None))
            .col_expr(introductions::Column::Reasons, Expr::value(json_strings(&[])))
            .col_expr(introductions::Column::Redacted, Expr::value(true))
            .col_expr(introductions::Column::UpdatedAt, Expr::value(now))
            .filter(introductions::Column::Id.is_in(chunk.iter().copied()))
            .exec(transaction)
            .await?;
        event_notes::Entity::delete_many()
            .filter(event_notes::Column::IntroductionId.is_in(chunk.iter().copied()))
            .exec(transaction)
            .await?;
    }
    reports::Entity::update_many()
        .col_expr(reports::Column::Reason, Expr::value(Option::<String>::None))
        .col_expr(reports::Column::ResolutionNote, Expr::value(Option::<String>::None))
        .filter(Condition::any().add(reports::Column::Reporter.eq(person)).add(reports::Column::About.eq(person)))
        .exec(transaction)
        .await?;
    Ok(())
}

impl Store {
    /// Stores a new request, checking inside the write transaction that
    /// both people can be found, no block stands between them, no request
    /// between them is open or was declined within the cooldown, and the
    /// requester is under their limit.
    #[tracing::instrument(name = "store.create_introduction", skip_all, fields(introduction_id = %new.id))]
    pub async fn create_introduction(
        &self,
        new: NewIntroduction,
        limits: RequestLimits,
        now: DateTime<Utc>,
    ) -> Result<Result<StoredIntroduction, RequestRefusal>, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let found = people::Entity::find()
            .filter(people::Column::Id.is_in([new.requester, new.recipient]))
            .all(&transaction)
            .await?;
        let findable = |id: Uuid| {
            found
                .iter()
                .find(|person| person.id == id)
                .filter(|person| person.status == "active" && person.discoverable)
        };
        let (Some(requester), Some(recipient)) = (findable(new.requester), findable(new.recipient)) else {
            return Ok(Err(RequestRefusal::NotFound));
        };
        let (requester_authority, recipient_authority) =
            (requester.authority_code.clone(), recipient.authority_code.clone());
        if self.blocked_between(&transaction, new.requester, new.recipient).await? {
            return Ok(Err(RequestRefusal::NotFound));
        }
        // A request to the new requester that no broker approved does not
        // exist for them (they must not learn of it, not even from a
        // conflict), so it neither blocks nor cools down their own request.
        let earlier = introductions::Entity::find()
            .filter(between(new.requester, new.recipient))
            .all(&transaction)
            .await?
            .into_iter()
            .map(from_row)
            .filter(|row| row.as_ref().map_or(true, |row| row.requester == new.requester || row.approved_at.is_some()))
            .collect::<Result<Vec<_>, _>>()?;
        if earlier.iter().any(|introduction| introduction.status.is_open()) {
            return Ok(Err(RequestRefusal::OpenRequestExists));
        }
        if let Some(until) = earlier
            .iter()
            .filter_map(|introduction| introduction.declined_at)
            .map(|declined_at| declined_at + limits.cooldown)
            .filter(|until| *until > now)
            .max()
        {
            return Ok(Err(RequestRefusal::Cooldown { until }));
        }
        use sea_orm::PaginatorTrait;
        let waiting = introductions::Entity::find()
            .filter(introductions::Column::Requester.eq(new.requester))
            .filter(
                introductions::Column::Status
                    .is_in([IntroductionStatus::PendingReview.as_str(), IntroductionStatus::AwaitingConsent.as_str()]),
            )
            .count(&transaction)
            .await?;
        if waiting >= u64::from(limits.max_open_requests) {
            return Ok(Err(RequestRefusal::LimitReached));
        }
        let state = IntroductionState::new(new.requester_asked_personally, now);
        let introduction = StoredIntroduction {
            id: new.id,
            version: 1,
            requester: new.requester,
            recipient: new.recipient,
            requester_authority,
            recipient_authority,
            created_by: new.actor.actor.unwrap_or_default(),
            created_by_role: new.actor.role.clone(),
            status: state.status,
            message: new.message,
            reasons: new.reasons,
            flags: new.flags,
            requester_consent: if state.requester_consented { Consent::Accepted } else { Consent::Awaiting },
            recipient_consent: Consent::Awaiting,
            closed_by: None,
            approved_at: None,
            declined_at: None,
            last_action_at: now,
            redacted: false,
            created_at: now,
            updated_at: now,
        };
        let row = introductions::ActiveModel {
            id: Set(introduction.id),
            version: Set(introduction.version),
            requester: Set(introduction.requester),
            recipient: Set(introduction.recipient),
            requester_authority: Set(introduction.requester_authority.clone()),
            recipient_authority: Set(introduction.recipient_authority.clone()),
            created_by: Set(introduction.created_by),
            created_by_role: Set(introduction.created_by_role.clone()),
            status: Set(introduction.status.as_str().to_owned()),
            message: Set(introduction.message.clone()),
            reasons: Set(json_strings(&introduction.reasons)),
            flags: Set(json_strings(&introduction.flags)),
            requester_consent: Set(introduction.requester_consent.as_str().to_owned()),
            recipient_consent: Set(introduction.recipient_consent.as_str().to_owned()),
            closed_by: Set(None),
            approved_at: Set(None),
            declined_at: Set(None),
            last_action_at: Set(now),
            redacted: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        };
        introductions::Entity::insert(row).exec_without_returning(&transaction).await?;
        let actor = EventActor { on_behalf_of: Some(new.requester), ..new.actor };
        let event = NewEvent {
            action: "requested",
            actor: &actor,
            from: None,
            to: state.status,
            note: None,
            supported_by: None,
        };
        append_event(&transaction, new.id, event, now).await?;
        append_entity_change(&transaction, INTRODUCTION_ENTITY, new.id, "created", now).await?;
        transaction.commit().await?;
        Ok(Ok(introduction))
    }

    async fn blocked_between(
        &self,
        transaction: &impl ConnectionTrait,
        one: Uuid,
        other: Uuid,
    ) -> Result<bool, StoreError> {
        use crate::entities::blocks;
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

    /// The introduction with `id`.
    pub async fn get_introduction(&self, id: Uuid) -> Result<Option<StoredIntroduction>, StoreError> {
        introductions::Entity::find_by_id(id).one(&self.db).await?.map(from_row).transpose()
    }

    /// Changes introduction `id` atomically: `decide` sees the current row
    /// under the write lock and returns what to do, or its own refusal; the
    /// state machine may still refuse (`Refused::Transition`).
    #[tracing::instrument(name = "store.update_introduction", skip_all, fields(introduction_id = %id))]
    pub async fn update_introduction<E>(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        decide: impl FnOnce(&StoredIntroduction) -> Result<Decision, E>,
    ) -> Result<Result<(StoredIntroduction, StoredEvent), Refused<E>>, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let Some(row) = introductions::Entity::find_by_id(id).one(&transaction).await? else {
            return Ok(Err(Refused::NotFound));
        };
        let current = from_row(row)?;
        let decision = match decide(&current) {
            Ok(decision) => decision,
            Err(refusal) => return Ok(Err(Refused::Rule(refusal))),
        };
        match transition(&transaction, &current, decision, now).await? {
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
            .filter(
                introductions::Column::Status
                    .is_in([IntroductionStatus::PendingReview.as_str(), IntroductionStatus::AwaitingConsent.as_str()]),
            )
            .filter(introductions::Column::LastActionAt.lte(due_before))
            .order_by_asc(introductions::Column::LastActionAt)
            .limit(1_000)
            .all(&transaction)
            .await?;
        let mut expired = Vec::with_capacity(rows.len());
        for row in rows {
            let current = from_row(row)?;
            let decision = Decision {
                action: Action::Expire,
                by: None,
                actor: EventActor::system(),
                note: None,
                supported_by: None,
            };
            if transition(&transaction, &current, decision, now).await?.is_ok() {
                expired.push(current.id);
            }
        }
        transaction.commit().await?;
        Ok(expired)
    }

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

    /// A page of introductions matching `filter`, newest first, after the
    /// keyset `after` = (created_at, id) of the last one seen.
    pub async fn introductions_page(
        &self,
        filter: &IntroductionFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<StoredIntroduction>, StoreError> {
        let mut query = introductions::Entity::find();
        if !filter.all {
            let mut any = Condition::any();
            if !filter.requested_by.is_empty() {
                any = any.add(introductions::Column::Requester.is_in(filter.requested_by.iter().copied()));
            }
            if !filter.received_by.is_empty() {
                any = any.add(
                    Condition::all()
                        .add(introductions::Column::Recipient.is_in(filter.received_by.iter().copied()))
                        .add(introductions::Column::ApprovedAt.is_not_null()),
                );
            }
            if !filter.authorities.is_empty() {
                any = any
                    .add(introductions::Column::RequesterAuthority.is_in(filter.authorities.iter().cloned()))
                    .add(introductions::Column::RecipientAuthority.is_in(filter.authorities.iter().cloned()));
            }
            if any.is_empty() {
                return Ok(Vec::new());
            }
            query = query.filter(any);
        }
        if let Some(status) = filter.status {
            query = query.filter(introductions::Column::Status.eq(status.as_str()));
        }
        if let Some(person) = filter.person {
            query = query.filter(involving(person));
        }
        if let Some((created_at, id)) = after {
            query = query.filter(
                Condition::any().add(introductions::Column::CreatedAt.lt(created_at)).add(
                    Condition::all()
                        .add(introductions::Column::CreatedAt.eq(created_at))
                        .add(introductions::Column::Id.lt(id)),
                ),
            );
        }
        let rows = query
            .order_by_desc(introductions::Column::CreatedAt)
            .order_by_desc(introductions::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// Every introduction involving `person`, oldest first (export).
    pub async fn person_introductions(&self, person: Uuid) -> Result<Vec<StoredIntroduction>, StoreError> {
        let rows = introductions::Entity::find()
            .filter(involving(person))
            .order_by_asc(introductions::Column::CreatedAt)
            .order_by_asc(introductions::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// The broker queue for `authorities`: requests waiting for review and
    /// open reports, oldest first, after the keyset `after`.
    pub async fn broker_queue(
        &self,
        authorities: &[String],
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let mut requests = introductions::Entity::find()
            .filter(introductions::Column::Status.eq(IntroductionStatus::PendingReview.as_str()))
            .filter(
                Condition::any()
                    .add(introductions::Column::RequesterAuthority.is_in(authorities.iter().cloned()))
                    .add(introductions::Column::RecipientAuthority.is_in(authorities.iter().cloned())),
            );
        let mut open_reports = reports::Entity::find()
            .filter(reports::Column::Status.eq("open"))
            .filter(reports::Column::AboutAuthority.is_in(authorities.iter().cloned()));
        if let Some((created_at, id)) = after {
            requests = requests.filter(
                Condition::any().add(introductions::Column::CreatedAt.gt(created_at)).add(
                    Condition::all()
                        .add(introductions::Column::CreatedAt.eq(created_at))
                        .add(introductions::Column::Id.gt(id)),
                ),
            );
            open_reports =
                open_reports.filter(Condition::any().add(reports::Column::CreatedAt.gt(created_at)).add(
                    Condition::all().add(reports::Column::CreatedAt.eq(created_at)).add(reports::Column::Id.gt(id)),
                ));
        }
        let requests = requests
            .order_by_asc(introductions::Column::CreatedAt)
            .order_by_asc(introductions::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let open_reports = open_reports
            .order_by_asc(reports::Column::CreatedAt)
            .order_by_asc(reports::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut items = Vec::with_capacity(requests.len() + open_reports.len());
        for row in requests {
            items.push(QueueItem::Introduction(from_row(row)?));
        }
        items.extend(open_reports.into_iter().map(|row| QueueItem::Report(report_from_row(row))));
        items.sort_by_key(QueueItem::key);
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(items)
    }

    /// What the exclusions index needs of these introductions.
    pub async fn introduction_pairs(&self, ids: &[Uuid]) -> Result<Vec<IntroductionPair>, StoreError> {
        let mut pairs = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = introductions::Entity::find()
                .filter(introductions::Column::Id.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?;
            for row in rows {
                pairs.push(pair_of(row)?);
            }
        }
        Ok(pairs)
    }

    /// Every introduction that keeps a pair apart at `now`: open ones, and
    /// those declined after `declined_since`.
    pub async fn excluding_introductions(
        &self,
        declined_since: DateTime<Utc>,
    ) -> Result<Vec<IntroductionPair>, StoreError> {
        let rows = introductions::Entity::find()
            .filter(
                Condition::any()
                    .add(introductions::Column::Status.is_in(open_statuses()))
                    .add(introductions::Column::DeclinedAt.gt(declined_since)),
            )
            .all(&self.db)
            .await?;
        rows.into_iter().map(pair_of).collect()
    }

    /// Stores a report about `about`, for the brokers of their authority.
    /// `NotFound` when there is no such person.
    #[tracing::instrument(name = "store.create_report", skip_all, fields(report_id = %id))]
    pub async fn create_report(
        &self,
        id: Uuid,
        reporter: Uuid,
        about: Uuid,
        reason: String,
        actor: &EventActor,
        now: DateTime<Utc>,
    ) -> Result<StoredReport, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let Some(about_person) = people::Entity::find_by_id(about).one(&transaction).await? else {
            return Err(StoreError::NotFound);
        };
        let report = StoredReport {
            id,
            reporter,
            about,
            about_authority: about_person.authority_code,
            reason: Some(reason),
            created_by: actor.actor.unwrap_or_default(),
            created_by_role: actor.role.clone(),
            status: "open".into(),
            created_at: now,
            resolved_at: None,
            resolved_by: None,
            resolution_note: None,
        };
        let row = reports::ActiveModel {
            id: Set(report.id),
            reporter: Set(report.reporter),
            about: Set(report.about),
            about_authority: Set(report.about_authority.clone()),
            reason: Set(report.reason.clone()),
            created_by: Set(report.created_by),
            created_by_role: Set(report.created_by_role.clone()),
            status: Set(report.status.clone()),
            created_at: Set(now),
            resolved_at: Set(None),
            resolved_by: Set(None),
            resolution_note: Set(None),
        };
        reports::Entity::insert(row).exec_without_returning(&transaction).await?;
        append_entity_change(&transaction, REPORT_ENTITY, id, "created", now).await?;
        transaction.commit().await?;
        Ok(report)
    }

    /// The report with `id`.
    pub async fn get_report(&self, id: Uuid) -> Result<Option<StoredReport>, StoreError> {
        Ok(reports::Entity::find_by_id(id).one(&self.db).await?.map(report_from_row))
    }

    /// Resolves an open report. `NotFound` if it is not open.
    #[tracing::instrument(name = "store.resolve_report", skip_all, fields(report_id = %id))]
    pub async fn resolve_report(
        &self,
        id: Uuid,
        broker: Uuid,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<StoredReport, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let result = reports::Entity::update_many()
            .col_expr(reports::Column::Status, Expr::value("resolved"))
            .col_expr(reports::Column::ResolvedAt, Expr::value(now))
            .col_expr(reports::Column::ResolvedBy, Expr::value(broker))
            .col_expr(reports::Column::ResolutionNote, Expr::value(note))
            .filter(reports::Column::Id.eq(id))
            .filter(reports::Column::Status.eq("open"))
            .exec(&transaction)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        append_entity_change(&transaction, REPORT_ENTITY, id, "resolved", now).await?;
        let report = reports::Entity::find_by_id(id).one(&transaction).await?.ok_or(StoreError::NotFound)?;
        transaction.commit().await?;
        Ok(report_from_row(report))
    }

    /// Reports raised by `reporter` (their export; reports about a person
    /// are never shown to them).
    pub async fn reports_by(&self, reporter: Uuid) -> Result<Vec<StoredReport>, StoreError> {
        let rows = reports::Entity::find()
            .filter(reports::Column::Reporter.eq(reporter))
            .order_by_asc(reports::Column::CreatedAt)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(report_from_row).collect())
    }
}

fn pair_of(row: introductions::Model) -> Result<IntroductionPair, StoreError> {
    Ok(IntroductionPair {
        id: row.id,
        requester: row.requester,
        recipient: row.recipient,
        status: status_of("introductions.status", &row.status)?,
        declined_at: row.declined_at,
        approved: row.approved_at.is_some(),
    })
}

/// Why [`Store::update_introduction`] changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused<E> {
    /// No introduction with that id.
    NotFound,
    /// The caller's rules said no.
    Rule(E),
    /// Not a move on the diagram from the current state.
    Transition(InvalidTransition),
}
