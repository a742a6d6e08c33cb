//! Introductions (DESIGN §5): requests, broker triage, personal consent,
//! leaving, the audit trail, lists and the broker queue.
//!
//! One file for now, until issue 10's structure step moves introductions to
//! the members-based model (a pair as a group of two): splitting it before
//! that would move the same code twice. Planned split: requests, triage and
//! consent, views, lists and queue.
//!
//! The rules of who may do what, and of what each side sees, are the pure
//! functions of `friends_domain::access`; this module applies them to the
//! row the store hands over under its write lock, so that the check and the
//! change are one atomic step.

use chrono::{DateTime, Utc};
use friends_domain::FieldError;
use friends_domain::access::{
    Command, Consent, Perspective, Refusal, Relation, Role, ShownStatus, hidden_from_requester, permit, relation,
    shown_consent, shown_status, shows_contacts, shows_notes,
};
use friends_domain::introduction::{Action, IntroductionStatus, Party};
use friends_domain::money::money_flags;
use friends_domain::person::Contact;
use friends_domain::text::check_text;
use friends_store::{
    Decision, IntroductionFilter, NewIntroduction, QueueItem, Refused, RequestLimits, RequestRefusal, Store,
    StoredEvent, StoredIntroduction,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Caller;
use crate::errors::{ApiError, page_limit, parse_body, parse_optional_body};
use crate::indexes::Indexes;

/// Longest request message, in characters.
pub const MESSAGE_MAX_CHARS: usize = 500;
/// Longest broker note or decline reason.
pub const NOTE_MAX_CHARS: usize = 1000;
/// Longest `supported_by`.
pub const SUPPORTED_BY_MAX_CHARS: usize = 100;
/// Items per list page when no `limit` is given.
pub const DEFAULT_PAGE: usize = 20;
/// Most items per list page.
pub const MAX_PAGE: usize = 100;

/// Body of `POST /v1/introductions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The requester.
    pub from: Uuid,
    /// The person asked about.
    pub to: Uuid,
    /// Optional message, at most 500 characters.
    #[serde(default)]
    pub message: Option<String>,
}

/// Body of `/approve`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveInput {
    /// A note for other brokers.
    #[serde(default)]
    pub note: Option<String>,
}

/// Body of `/decline`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Why (brokers only ever see it).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A person's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentDecision {
    /// Yes.
    Accept,
    /// No.
    Decline,
}

/// Body of `/consent`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// `accept` or `decline`.
    pub decision: ConsentDecision,
    /// Who helped, if anyone ("my sister", "my advocate").
    #[serde(default)]
    pub supported_by: Option<String>,
}

/// Body of `/withdraw` and `/end`: nothing is needed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveInput {}

/// The contact details one person chose to share.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SharedContact {
    /// Their display name.
    pub display_name: String,
    /// Email, if they gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone, if they gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// How they like to be contacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Both people's shared details (only in `introduced`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Contacts {
    /// The requester's.
    pub from: Option<SharedContact>,
    /// The recipient's.
    pub to: Option<SharedContact>,
}

/// An introduction as one caller sees it.
#[derive(Debug, Clone, Serialize)]
pub struct IntroductionView {
    /// Id.
    pub id: Uuid,
    /// Requester.
    pub from: Uuid,
    /// Recipient.
    pub to: Uuid,
    /// Status (the requester's side reads `not_going_ahead` for a no).
    pub status: ShownStatus,
    /// The requester's message (`null` if none, or erased).
    pub message: Option<String>,
    /// Why the pair was suggested.
    pub reasons: Vec<String>,
    /// The requester's own answer.
    pub requester_consent: Option<Consent>,
    /// The recipient's own answer (`null` where it would say who said no).
    pub recipient_consent: Option<Consent>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When it expires if nobody acts (`null` unless waiting).
    pub expires_at: Option<DateTime<Utc>>,
    /// Contact details, only once `introduced`, only for the two people,
    /// their supporters and brokers for the area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    /// Brokers: safeguarding flags on the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<String>>,
    /// Brokers: the role of whoever created the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_role: Option<String>,
}

/// One event as one caller sees it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Position in the trail.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened (`not_going_ahead` where the requester's side may not
    /// know).
    pub action: String,
    /// Who (`null` for the service, or where hidden).
    pub actor: Option<Uuid>,
    /// In what role.
    pub actor_role: Option<String>,
    /// For whom.
    pub on_behalf_of: Option<Uuid>,
    /// Status before.
    pub from_status: Option<ShownStatus>,
    /// Status after.
    pub to_status: ShownStatus,
    /// Brokers only: a note or decline reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who helped a person answer (their own side and brokers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_by: Option<String>,
}

/// One item of the broker queue.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueItemView {
    /// A request to review.
    Introduction {
        /// How long it has waited, in seconds.
        waiting_seconds: i64,
        /// The same in words.
        waiting: String,
        /// The request, as brokers see it.
        #[serde(flatten)]
        introduction: Box<IntroductionView>,
    },
    /// A safeguarding report.
    Report {
        /// How long it has waited, in seconds.
        waiting_seconds: i64,
        /// The same in words.
        waiting: String,
        /// The report.
        #[serde(flatten)]
        report: crate::reports::ReportView,
    },
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// Items.
    pub items: Vec<T>,
    /// Cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

/// Keyset cursor `(created_at, id)`, as an opaque string.
pub fn encode_cursor(created_at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}.{}", created_at.timestamp_micros(), id.simple())
}

/// Parses a cursor from [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let invalid = || ApiError::InvalidCursor;
    let (micros, id) = cursor.split_once('.').ok_or_else(invalid)?;
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(invalid)?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((at, id))
}

/// "3 days", "5 hours", "12 minutes".
pub fn waited_in_words(seconds: i64) -> String {
    let plural = |count: i64, unit: &str| if count == 1 { format!("1 {unit}") } else { format!("{count} {unit}s") };
    match seconds.max(0) {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s => plural(s / 60, "minute"),
    }
}

/// Optional free text: trimmed, checked, and `None` when empty.
pub(crate) fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
    newlines: bool,
) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(value) => {
            let text =
                check_text(field, &value, 0, max, newlines).map_err(|error| ApiError::Validation(vec![error]))?;
            Ok((!text.is_empty()).then_some(text))
        }
    }
}

fn refusal_error(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::NotFound => ApiError::NotFound,
        Refusal::Forbidden(code) => ApiError::Forbidden {
            code,
            detail: match code {
                "broker_only" => "Only a broker for the area can review a request.",
                "consent_must_be_personal" => "Only the person themselves can give or refuse consent.",
                _ => "Only the two people, or their supporters, can do this.",
            },
        },
    }
}

/// The same words whatever the state: a refusal must not tell the
/// requester's side what their status view hides.
fn transition_error() -> ApiError {
    ApiError::Conflict {
        code: "invalid_transition",
        detail: "This is not possible in the introduction's current state.".into(),
    }
}

/// The introductions service: store, indexes, limits and the clock.
#[derive(Debug, Clone)]
pub struct Introductions<'a> {
    /// The store.
    pub store: &'a Store,
    /// This node's indexes (exclusions, exposure), caught up after writes.
    pub indexes: &'a Indexes,
    /// Limits on requests.
    pub limits: RequestLimits,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

impl Introductions<'_> {
    /// `POST /v1/introductions`.
    pub async fn request(&self, caller: &Caller, body: serde_json::Value) -> Result<IntroductionView, ApiError> {
        let input: RequestInput = parse_body(body)?;
        if caller.role == Role::Admin {
            return Err(ApiError::Forbidden {
                code: "role_not_allowed",
                detail: "Requests are made by members, their supporters or brokers.",
            });
        }
        let from_authority = self.store.person_authority(input.from).await?.ok_or(ApiError::NotFound)?;
        if !caller.may_manage(input.from, &from_authority) {
            return Err(ApiError::NotFound);
        }
        let message = optional_text("message", input.message, MESSAGE_MAX_CHARS, true)?;
        if input.from == input.to {
            return Err(ApiError::Validation(vec![FieldError::new(
                "to",
                "same_person",
                "A person cannot be introduced to themselves.",
            )]));
        }
        // A block is answered from memory like a paused person, so that the
        // time taken tells nothing (the store checks again under its lock).
        if self.indexes.blocked(input.from, input.to)? {
            return Err(ApiError::NotFound);
        }
        // The pair must pass every hard filter both ways, as a suggestion
        // would; anything else is answered as if the person did not exist.
        let reasons =
            self.indexes.read(|population| population.pair_reasons(input.from, input.to))?.ok_or(ApiError::NotFound)?;
        let flags: Vec<String> = message
            .as_deref()
            .map(|message| money_flags(message).into_iter().map(|flag| flag.as_str().to_owned()).collect())
            .unwrap_or_default();
        let new = NewIntroduction {
            id: Uuid::new_v4(),
            requester: input.from,
            recipient: input.to,
            actor: caller.event_actor(Some(input.from)),
            message,
            reasons,
            flags,
            requester_asked_personally: caller.role == Role::Member,
        };
        let introduction = match self.store.create_introduction(new, self.limits, self.now).await? {
            Ok(introduction) => introduction,
            Err(RequestRefusal::NotFound) => return Err(ApiError::NotFound),
            Err(RequestRefusal::OpenRequestExists) => {
                return Err(ApiError::Conflict {
                    code: "open_request_exists",
                    detail: "A request between these two people is already open.".into(),
                });
            }
            Err(RequestRefusal::Cooldown { until }) => {
                return Err(ApiError::Conflict {
                    code: "cooldown",
                    detail: format!("A new request between these two people is possible from {}.", until.date_naive()),
                });
            }
            Err(RequestRefusal::LimitReached) => {
                return Err(ApiError::LimitReached(
                    "The requester already has the most open requests allowed. Wait for an answer or withdraw one.",
                ));
            }
        };
        self.indexes.settle(self.store).await;
        tracing::info!(
            introduction_id = %introduction.id,
            flagged = !introduction.flags.is_empty(),
            role = caller.role.as_str(),
            "introduction requested"
        );
        self.view(caller, &introduction).await?.ok_or(ApiError::NotFound)
    }

    /// The introduction with `id` as the caller sees it, or 404.
    pub async fn get(&self, caller: &Caller, id: Uuid) -> Result<IntroductionView, ApiError> {
        let introduction = self.store.get_introduction(id).await?.ok_or(ApiError::NotFound)?;
        self.view(caller, &introduction).await?.ok_or(ApiError::NotFound)
    }

    /// `POST /v1/introductions/{id}/approve`.
    pub async fn approve(
        &self,
        caller: &Caller,
        id: Uuid,
        body: Option<serde_json::Value>,
    ) -> Result<IntroductionView, ApiError> {
        let input: ApproveInput = parse_optional_body(body)?;
        let note = optional_text("note", input.note, NOTE_MAX_CHARS, true)?;
        self.act(caller, id, Command::Approve, |_| (Action::Approve, note, None)).await
    }

    /// `POST /v1/introductions/{id}/decline`.
    pub async fn decline(
        &self,
        caller: &Caller,
        id: Uuid,
        body: Option<serde_json::Value>,
    ) -> Result<IntroductionView, ApiError> {
        let input: DeclineInput = parse_optional_body(body)?;
        let reason = optional_text("reason", input.reason, NOTE_MAX_CHARS, true)?;
        self.act(caller, id, Command::Decline, |_| (Action::BrokerDecline, reason, None)).await
    }

    /// `POST /v1/introductions/{id}/consent`.
    pub async fn consent(
        &self,
        caller: &Caller,
        id: Uuid,
        body: serde_json::Value,
    ) -> Result<IntroductionView, ApiError> {
        let input: ConsentInput = parse_body(body)?;
        let supported_by = optional_text("supported_by", input.supported_by, SUPPORTED_BY_MAX_CHARS, false)?;
        let accept = input.decision == ConsentDecision::Accept;
        self.act(caller, id, Command::Consent, |party| {
            let party = party.unwrap_or(Party::Requester);
            (Action::Consent { party, accept }, None, supported_by)
        })
        .await
    }

    /// `POST /v1/introductions/{id}/withdraw` (`end == false`) or `/end`.
    pub async fn leave(
        &self,
        caller: &Caller,
        id: Uuid,
        end: bool,
        body: Option<serde_json::Value>,
    ) -> Result<IntroductionView, ApiError> {
        let LeaveInput {} = parse_optional_body(body)?;
        let action = if end { Action::End } else { Action::Withdraw };
        self.act(caller, id, Command::Leave, |_| (action, None, None)).await
    }

    /// Checks and applies one command atomically (see the module docs).
    async fn act(
        &self,
        caller: &Caller,
        id: Uuid,
        command: Command,
        decide: impl FnOnce(Option<Party>) -> (Action, Option<String>, Option<String>),
    ) -> Result<IntroductionView, ApiError> {
        let outcome = self
            .store
            .update_introduction(id, self.now, |current| {
                let relation = relation(caller.actor(), current.parties());
                let party = permit(relation, current.approved_at.is_some(), command)?;
                let (action, note, supported_by) = decide(party);
                let on_behalf_of = party.map(|party| current.person(party));
                Ok(Decision { action, by: party, actor: caller.event_actor(on_behalf_of), note, supported_by })
            })
            .await?;
        let (introduction, event) = match outcome {
            Ok(done) => done,
            Err(Refused::NotFound) => return Err(ApiError::NotFound),
            Err(Refused::Rule(refusal)) => return Err(refusal_error(refusal)),
            Err(Refused::Transition(_)) => return Err(transition_error()),
        };
        self.indexes.settle(self.store).await;
        tracing::info!(
            introduction_id = %id,
            action = %event.action,
            from = event.from_status.map_or("", IntroductionStatus::as_str),
            to = event.to_status.as_str(),
            role = caller.role.as_str(),
            "introduction changed"
        );
        self.view(caller, &introduction).await?.ok_or(ApiError::NotFound)
    }

    /// `GET /v1/introductions/{id}/events`.
    pub async fn events(&self, caller: &Caller, id: Uuid) -> Result<Vec<EventView>, ApiError> {
        let introduction = self.store.get_introduction(id).await?.ok_or(ApiError::NotFound)?;
        let perspective = perspective_of(caller, &introduction).ok_or(ApiError::NotFound)?;
        if perspective == Perspective::Admin {
            tracing::info!(admin = %caller.subject, introduction_id = %id, "admin access to an introduction's events");
        }
        let events = self.store.introduction_events(id).await?;
        Ok(events.iter().map(|event| event_view(&introduction, event, perspective)).collect())
    }

    /// `GET /v1/introductions?person=&status=&limit=&cursor=`: newest first.
    pub async fn list(&self, caller: &Caller, query: ListQuery) -> Result<Page<IntroductionView>, ApiError> {
        let limit = page_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let status = match query.status.as_deref() {
            None => None,
            Some(status) => Some(parse_shown_status(status)?),
        };
        let mut filter = match caller.role {
            Role::Member => IntroductionFilter {
                requested_by: vec![caller.subject],
                received_by: vec![caller.subject],
                ..IntroductionFilter::default()
            },
            Role::Supporter => IntroductionFilter {
                requested_by: caller.acts_for.clone(),
                received_by: caller.acts_for.clone(),
                ..IntroductionFilter::default()
            },
            Role::Broker => {
                IntroductionFilter { authorities: caller.authorities.clone(), ..IntroductionFilter::default() }
            }
            Role::Admin => IntroductionFilter { all: true, ..IntroductionFilter::default() },
        };
        if let Some(person) = query.person {
            let authority = self.store.person_authority(person).await?;
            let known = authority.as_deref().is_some_and(|authority| caller.may_manage(person, authority))
                || (authority.is_none() && caller.role == Role::Admin);
            if !known {
                return Err(ApiError::NotFound);
            }
            filter.person = Some(person);
        }
        // Where the status shown depends on the viewer (the requester's
        // `not_going_ahead`), filter on what the caller sees.
        let mut after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let mut items = Vec::with_capacity(limit);
        let batch = (limit as u64 + 1).max(20);
        'pages: loop {
            let rows = self.store.introductions_page(&filter, after, batch).await?;
            let exhausted = (rows.len() as u64) < batch;
            for row in &rows {
                after = Some((row.created_at, row.id));
                let Some(view) = self.view(caller, row).await? else { continue };
                if status.is_some_and(|status| status != view.status) {
                    continue;
                }
                if items.len() == limit {
                    break 'pages;
                }
                items.push(view);
            }
            if exhausted {
                after = None;
                break;
            }
        }
        let next_cursor =
            if after.is_some() { items.last().map(|last| encode_cursor(last.created_at, last.id)) } else { None };
        Ok(Page { items, next_cursor })
    }

    /// `GET /v1/broker/queue?authority=&cursor=&limit=`: oldest first.
    pub async fn queue(&self, caller: &Caller, query: QueueQuery) -> Result<Page<QueueItemView>, ApiError> {
        let limit = page_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let authorities = match (caller.role, query.authority) {
            (Role::Broker, None) => caller.authorities.clone(),
            (Role::Broker, Some(authority)) if caller.covers(&authority) => vec![authority],
            (Role::Broker, Some(_)) => {
                return Err(ApiError::Forbidden {
                    code: "outside_authority",
                    detail: "Brokers see the queues of the authorities they cover.",
                });
            }
            (Role::Member | Role::Supporter | Role::Admin, _) => {
                return Err(ApiError::Forbidden { code: "broker_only", detail: "The queue is for brokers." });
            }
        };
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let rows = self.store.broker_queue(&authorities, after, limit as u64 + 1).await?;
        let more = rows.len() > limit;
        let mut items = Vec::with_capacity(limit);
        for row in rows.iter().take(limit) {
            let (created_at, _) = row.key();
            let waiting_seconds = (self.now - created_at).num_seconds().max(0);
            let waiting = waited_in_words(waiting_seconds);
            items.push(match row {
                QueueItem::Introduction(introduction) => QueueItemView::Introduction {
                    waiting_seconds,
                    waiting,
                    introduction: Box::new(self.view_as(introduction, Perspective::Broker, true).await?),
                },
                QueueItem::Report(report) => {
                    QueueItemView::Report { waiting_seconds, waiting, report: crate::reports::ReportView::of(report) }
                }
            });
        }
        let next_cursor = more.then(|| rows.get(limit - 1).map(QueueItem::key)).flatten();
        Ok(Page { items, next_cursor: next_cursor.map(|(at, id)| encode_cursor(at, id)) })
    }

    /// Expires every request due at `now`; returns how many.
    pub async fn expire_due(&self) -> Result<usize, ApiError> {
        self.indexes.forget_stale_exclusions(self.now)?;
        let expired = self.store.expire_introductions(self.now).await?;
        if !expired.is_empty() {
            self.indexes.settle(self.store).await;
            tracing::info!(count = expired.len(), "introductions expired");
        }
        Ok(expired.len())
    }

    /// Every introduction involving `person` and its events, as `person`'s
    /// side sees them (for the export). An admin's export leaves out contact
    /// details, which admins never see.
    pub async fn export(&self, caller: &Caller, person: Uuid) -> Result<Vec<ExportedIntroduction>, ApiError> {
        let mut exported = Vec::new();
        for introduction in self.store.person_introductions(person).await? {
            let side = if introduction.requester == person { Party::Requester } else { Party::Recipient };
            if side == Party::Recipient && introduction.approved_at.is_none() {
                continue;
            }
            let perspective = Perspective::Side(side);
            let events = self.store.introduction_events(introduction.id).await?;
            let view = self.view_as(&introduction, perspective, caller.role != Role::Admin).await?;
            exported.push(ExportedIntroduction {
                events: events.iter().map(|event| event_view(&introduction, event, perspective)).collect(),
                introduction: view,
            });
        }
        Ok(exported)
    }

    /// The view for `caller`, or `None` if they may not know it exists.
    async fn view(
        &self,
        caller: &Caller,
        introduction: &StoredIntroduction,
    ) -> Result<Option<IntroductionView>, ApiError> {
        let Some(perspective) = perspective_of(caller, introduction) else { return Ok(None) };
        if perspective == Perspective::Admin {
            tracing::info!(admin = %caller.subject, introduction_id = %introduction.id, "admin access to an introduction");
        }
        Ok(Some(self.view_as(introduction, perspective, true).await?))
    }

    /// The introduction as `perspective` reads it. `caller_may_see_contacts`
    /// is false only where the caller is not the perspective's own reader
    /// (an admin exporting a person's data).
    async fn view_as(
        &self,
        introduction: &StoredIntroduction,
        perspective: Perspective,
        caller_may_see_contacts: bool,
    ) -> Result<IntroductionView, ApiError> {
        let by = introduction.closed_by;
        let status = introduction.status;
        let contacts = if caller_may_see_contacts && shows_contacts(status, perspective) {
            let people = self.store.people_by_ids(&[introduction.requester, introduction.recipient]).await?;
            let shared = |id: Uuid| {
                people.iter().find(|person| person.id == id).map(|person| {
                    let Contact { email, phone, note } = person.record.contact.clone();
                    SharedContact { display_name: person.record.display_name.clone(), email, phone, note }
                })
            };
            Some(Contacts { from: shared(introduction.requester), to: shared(introduction.recipient) })
        } else {
            None
        };
        let broker = shows_notes(perspective);
        Ok(IntroductionView {
            id: introduction.id,
            from: introduction.requester,
            to: introduction.recipient,
            status: shown_status(status, by, perspective),
            message: introduction.message.clone(),
            reasons: introduction.reasons.clone(),
            requester_consent: shown_consent(introduction.requester_consent, Party::Requester, status, by, perspective),
            recipient_consent: shown_consent(introduction.recipient_consent, Party::Recipient, status, by, perspective),
            created_at: introduction.created_at,
            updated_at: introduction.updated_at,
            expires_at: introduction.expires_at(),
            contacts,
            flags: broker.then(|| introduction.flags.clone()),
            created_by_role: broker.then(|| introduction.created_by_role.clone()),
        })
    }
}

/// An introduction and its trail, in an export.
#[derive(Debug, Serialize)]
pub struct ExportedIntroduction {
    /// As the person sees it.
    pub introduction: IntroductionView,
    /// Its events, as the person sees them.
    pub events: Vec<EventView>,
}

/// Query of the list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only introductions involving this person.
    pub person: Option<Uuid>,
    /// Only this status (as the caller sees it).
    pub status: Option<String>,
    /// Page size.
    pub limit: Option<crate::errors::PageLimit>,
    /// From a previous page.
    pub cursor: Option<String>,
}

/// Query of the queue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// One of the broker's authorities (default: all of them).
    pub authority: Option<String>,
    /// Page size.
    pub limit: Option<crate::errors::PageLimit>,
    /// From a previous page.
    pub cursor: Option<String>,
}

fn parse_shown_status(value: &str) -> Result<ShownStatus, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        ApiError::Validation(vec![FieldError::new(
            "status",
            "unknown_status",
            "One of pending_review, awaiting_consent, introduced, ended, declined, withdrawn, expired, not_going_ahead.",
        )])
    })
}

/// How `caller` sees `introduction`, or `None` if they may not know of it.
pub fn perspective_of(caller: &Caller, introduction: &StoredIntroduction) -> Option<Perspective> {
    let relation: Relation = relation(caller.actor(), introduction.parties());
    relation.perspective(introduction.approved_at.is_some())
}

/// The side an event was taken for, if a person's.
fn event_side(introduction: &StoredIntroduction, event: &StoredEvent) -> Option<Party> {
    match event.actor.on_behalf_of {
        Some(person) if person == introduction.requester => Some(Party::Requester),
        Some(person) if person == introduction.recipient => Some(Party::Recipient),
        _ => None,
    }
}

/// One event as `perspective` reads it.
pub fn event_view(introduction: &StoredIntroduction, event: &StoredEvent, perspective: Perspective) -> EventView {
    let side = event_side(introduction, event);
    let hidden = perspective == Perspective::Side(Party::Requester) && hidden_from_requester(event.to_status, side);
    let own_side = matches!(perspective, Perspective::Side(party) if Some(party) == side);
    let broker = shows_notes(perspective);
    if hidden {
        return EventView {
            id: event.seq,
            at: event.at,
            action: "not_going_ahead".into(),
            actor: None,
            actor_role: None,
            on_behalf_of: None,
            // Where it came from would tell a broker's no from the other
            // person's (brokers decline only before approval).
            from_status: None,
            to_status: ShownStatus::NotGoingAhead,
            note: None,
            supported_by: None,
        };
    }
    EventView {
        id: event.seq,
        at: event.at,
        action: event.action.clone(),
        actor: event.actor.actor,
        actor_role: Some(event.actor.role.clone()),
        on_behalf_of: event.actor.on_behalf_of,
        from_status: event.from_status.map(|status| shown_status(status, side, perspective)),
        to_status: shown_status(event.to_status, side, perspective),
        note: if broker { event.note.clone() } else { None },
        supported_by: if broker || own_side { event.supported_by.clone() } else { None },
    }
}
