//! The introductions service: requests, triage, consent, leaving, the
//! trail, lists, expiry and the export, built from the application state.

use chrono::{DateTime, Utc};
use friends_domain::introduction::{Action, IntroductionStatus, Member};
use friends_domain::money::money_flags;
use friends_domain::policy::{self, Command, ListScope, Perspective, Role, Rule, permit, relation};
use friends_domain::{FieldCode, FieldError};
use friends_store::{Decision, IntroductionFilter, NewIntroduction, Refused, RequestLimits, RequestRefusal, Store};
use uuid::Uuid;

use super::input::{
    ApproveInput, ConsentDecision, ConsentInput, DeclineInput, LeaveInput, ListQuery, MESSAGE_MAX_CHARS,
    NOTE_MAX_CHARS, RequestInput, SUPPORTED_BY_MAX_CHARS, parse_shown_status,
};
use super::views::{EventView, ExportedIntroduction, IntroductionView, event_view, perspective_of, view, view_as};
use crate::auth::Caller;
use crate::errors::{ApiError, ErrorCode, page_limit, parse_body, parse_optional_body, refused};
use crate::indexes::Indexes;
use crate::input::optional_text;
use crate::pages::{DEFAULT_PAGE, MAX_PAGE, Page, decode_cursor, encode_cursor};

/// The same words whatever the state: a refusal must not tell the
/// requester's side what their status view hides.
fn transition_error() -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
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
        let from_authority = self.store.person_authority(input.from).await?;
        let asked_personally = policy::request_introduction(caller.actor(), input.from, from_authority.as_deref())
            .map_err(|refusal| refused(refusal, Rule::RequestIntroduction))?;
        let others = input.others()?;
        let message = optional_text("message", input.message, MESSAGE_MAX_CHARS, true)?;
        let everyone: Vec<Uuid> = std::iter::once(input.from).chain(others.iter().copied()).collect();
        // A block is answered from memory like a paused person, so that the
        // time taken tells nothing (the store checks again under its lock).
        for (index, one) in everyone.iter().enumerate() {
            for other in &everyone[index + 1..] {
                if self.indexes.blocked(*one, *other)? {
                    return Err(ApiError::NotFound);
                }
            }
        }
        // Every pair must pass every hard filter both ways, as a suggestion
        // would; anything else is answered as if the person did not exist.
        let reasons = self
            .indexes
            .read(|population| match others.as_slice() {
                [to] => population.pair_reasons(input.from, *to),
                _ => population.group_reasons(&everyone),
            })?
            .ok_or(ApiError::NotFound)?;
        let flags: Vec<String> = message
            .as_deref()
            .map(|message| money_flags(message).into_iter().map(|flag| flag.as_str().to_owned()).collect())
            .unwrap_or_default();
        let between = if everyone.len() == 2 { "these two people" } else { "two of these people" };
        let new = NewIntroduction {
            id: Uuid::new_v4(),
            requester: input.from,
            others,
            actor: caller.event_actor(Some(input.from)),
            message,
            reasons,
            flags,
            requester_asked_personally: asked_personally,
        };
        let introduction = match self.store.create_introduction(new, self.limits, self.now).await? {
            Ok(introduction) => introduction,
            Err(RequestRefusal::NotFound) => return Err(ApiError::NotFound),
            Err(RequestRefusal::InvalidMembers) => {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "members",
                    FieldCode::SamePerson,
                    "Each person may be named once, and not the requester.",
                )]));
            }
            Err(RequestRefusal::OpenRequestExists) => {
                return Err(ApiError::Conflict {
                    code: ErrorCode::OpenRequestExists,
                    detail: format!("A request between {between} is already open."),
                });
            }
            Err(RequestRefusal::Cooldown { until }) => {
                return Err(ApiError::Conflict {
                    code: ErrorCode::Cooldown,
                    detail: format!("A new request between {between} is possible from {}.", until.date_naive()),
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
        view(self.store, caller, &introduction).await?.ok_or(ApiError::NotFound)
    }

    /// The introduction with `id` as the caller sees it, or 404.
    pub async fn get(&self, caller: &Caller, id: Uuid) -> Result<IntroductionView, ApiError> {
        let introduction = self.store.get_introduction(id).await?.ok_or(ApiError::NotFound)?;
        view(self.store, caller, &introduction).await?.ok_or(ApiError::NotFound)
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
        self.act(caller, id, Command::Consent, |member| {
            let member = member.unwrap_or(Member::REQUESTER);
            (Action::Consent { member, accept }, None, supported_by)
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
        self.act(caller, id, Command::Leave, |member| {
            let member = member.unwrap_or(Member::REQUESTER);
            let action = if end { Action::End { member } } else { Action::Withdraw { member } };
            (action, None, None)
        })
        .await
    }

    /// Checks and applies one command atomically (see the module docs).
    async fn act(
        &self,
        caller: &Caller,
        id: Uuid,
        command: Command,
        decide: impl FnOnce(Option<Member>) -> (Action, Option<String>, Option<String>),
    ) -> Result<IntroductionView, ApiError> {
        let outcome = self
            .store
            .update_introduction(id, self.now, |current| {
                let relation = relation(caller.actor(), &current.parties());
                let member = permit(relation, current.approved(), command)?;
                let (action, note, supported_by) = decide(member);
                let on_behalf_of = member.and_then(|member| current.person(member));
                Ok(Decision { action, actor: caller.event_actor(on_behalf_of), note, supported_by })
            })
            .await?;
        let (introduction, event) = match outcome {
            Ok(done) => done,
            Err(Refused::NotFound) => return Err(ApiError::NotFound),
            Err(Refused::Rule(refusal)) => return Err(refused(refusal, Rule::Introduction(command))),
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
        view(self.store, caller, &introduction).await?.ok_or(ApiError::NotFound)
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
        let person = match query.person {
            None => None,
            Some(person) => Some((person, self.store.person_authority(person).await?)),
        };
        let scope = policy::list_introductions(
            caller.actor(),
            person.as_ref().map(|(person, authority)| (*person, authority.as_deref())),
        )
        .map_err(|refusal| refused(refusal, Rule::ListIntroductions))?;
        let mut filter = match scope {
            ListScope::People(people) => IntroductionFilter {
                requested_by: people.clone(),
                received_by: people,
                ..IntroductionFilter::default()
            },
            ListScope::Authorities(authorities) => IntroductionFilter { authorities, ..IntroductionFilter::default() },
            ListScope::Everything => IntroductionFilter { all: true, ..IntroductionFilter::default() },
        };
        filter.person = person.map(|(person, _)| person);
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
                let Some(view) = view(self.store, caller, row).await? else { continue };
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
            let Some(side) = introduction.place_of(person) else { continue };
            if !side.is_requester() && !introduction.approved() {
                continue;
            }
            let perspective = Perspective::Side(side);
            let events = self.store.introduction_events(introduction.id).await?;
            let view = view_as(self.store, &introduction, perspective, caller.role != Role::Admin).await?;
            exported.push(ExportedIntroduction {
                events: events.iter().map(|event| event_view(&introduction, event, perspective)).collect(),
                introduction: view,
            });
        }
        Ok(exported)
    }
}
