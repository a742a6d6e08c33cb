//! Check-ins (DESIGN §5): the person's own view of how it is going, after
//! an introduction, with a one-step exit. The job ([`CheckIns::advance`])
//! opens each on time; only the person answers; `want_to_stop` takes them
//! out at once, as `/end` would; `not_well`, and one unanswered for 14 days,
//! go to the queue of the brokers for the person's area. No other member
//! ever reads anyone's check-ins: they are read only through the person.

use chrono::{DateTime, Utc};
use friends_domain::check_ins::{Answer, CheckInStatus};
use friends_domain::policy::{self, Rule};
use friends_store::{AnswerRefusal, CheckInAnswer, CheckInsAdvanced, Store, StoredCheckIn};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Caller;
use crate::errors::{ApiError, ErrorCode, PageLimit, page_limit, parse_body, parse_optional_body, refused};
use crate::indexes::Indexes;
use crate::input::{SUPPORTED_BY_MAX_CHARS, optional_text};
use crate::pages::{DEFAULT_PAGE, MAX_PAGE, Page, decode_cursor, encode_cursor};

/// Longest note with an answer, in characters.
pub const NOTE_MAX_CHARS: usize = 1000;

/// Body of `POST /v1/check-ins/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// How it is going.
    pub answer: Answer,
    /// Anything they want their broker to know.
    #[serde(default)]
    pub note: Option<String>,
    /// Who helped them answer.
    #[serde(default)]
    pub supported_by: Option<String>,
}

/// Body of `POST /v1/check-ins/{id}/resolve`: nothing yet.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {}

/// Query of `GET /v1/people/{id}/check-ins`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInsQuery {
    /// Page size.
    pub limit: Option<PageLimit>,
    /// From a previous page.
    pub cursor: Option<String>,
}

/// A check-in as the person, their supporters and their brokers see it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckInView {
    /// Id.
    pub id: Uuid,
    /// The introduction it is about.
    pub introduction_id: Uuid,
    /// Whose it is.
    pub person_id: Uuid,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
    /// `due`, `answered`, `missed` or `closed`.
    pub status: CheckInStatus,
    /// The answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    /// The person's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who helped them answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_by: Option<String>,
    /// When they answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
}

impl CheckInView {
    /// The view of a stored check-in.
    pub fn of(check_in: &StoredCheckIn) -> Self {
        Self {
            id: check_in.id,
            introduction_id: check_in.introduction_id,
            person_id: check_in.person,
            due_at: check_in.due_at,
            status: check_in.status,
            answer: check_in.answer,
            note: check_in.note.clone(),
            supported_by: check_in.supported_by.clone(),
            answered_at: check_in.answered_at,
        }
    }
}

/// Why a check-in waits in the brokers' queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// The person answered `not_well`.
    NotWell,
    /// Nobody answered it for 14 days.
    Unanswered,
}

/// A check-in in the brokers' queue.
#[derive(Debug, Clone, Serialize)]
pub struct CheckInQueueView {
    /// Why it is here.
    pub reason: Attention,
    /// The person's authority.
    pub authority: String,
    /// The check-in.
    #[serde(flatten)]
    pub check_in: CheckInView,
}

impl CheckInQueueView {
    /// The queue's view of a stored check-in.
    pub fn of(check_in: &StoredCheckIn) -> Self {
        let reason = if check_in.answer == Some(Answer::NotWell) { Attention::NotWell } else { Attention::Unanswered };
        Self { reason, authority: check_in.authority.clone(), check_in: CheckInView::of(check_in) }
    }
}

/// The check-ins service.
#[derive(Debug, Clone)]
pub struct CheckIns<'a> {
    /// The store.
    pub store: &'a Store,
    /// This node's indexes (a `want_to_stop` changes the exclusions).
    pub indexes: &'a Indexes,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

fn not_open() -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
        detail: "This check-in is already answered, or closed because the person left.".into(),
    }
}

impl CheckIns<'_> {
    /// `GET /v1/people/{id}/check-ins`: newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        person: Uuid,
        query: CheckInsQuery,
    ) -> Result<Page<CheckInView>, ApiError> {
        let limit = page_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let authority = self.store.person_authority(person).await?.ok_or(ApiError::NotFound)?;
        policy::read_check_ins(caller.actor(), person, &authority)
            .map_err(|refusal| refused(refusal, Rule::CheckIns))?;
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let rows = self.store.person_check_ins(person, after, limit as u64 + 1).await?;
        let more = rows.len() > limit;
        let items: Vec<CheckInView> = rows.iter().take(limit).map(CheckInView::of).collect();
        let next_cursor = if more { items.last().map(|last| encode_cursor(last.due_at, last.id)) } else { None };
        Ok(Page { items, next_cursor })
    }

    /// `POST /v1/check-ins/{id}`: the person's own answer.
    pub async fn answer(&self, caller: &Caller, id: Uuid, body: serde_json::Value) -> Result<CheckInView, ApiError> {
        let input: AnswerInput = parse_body(body)?;
        let note = optional_text("note", input.note, NOTE_MAX_CHARS, true)?;
        let supported_by = optional_text("supported_by", input.supported_by, SUPPORTED_BY_MAX_CHARS, false)?;
        let check_in = self.store.get_check_in(id).await?.ok_or(ApiError::NotFound)?;
        policy::answer_check_in(caller.actor(), check_in.person, &check_in.authority)
            .map_err(|refusal| refused(refusal, Rule::AnswerCheckIn))?;
        let answer = CheckInAnswer { answer: input.answer, note, supported_by };
        let answered = match self.store.answer_check_in(id, answer, &caller.event_actor(None), self.now).await? {
            Ok(answered) => answered,
            Err(AnswerRefusal::NotFound) => return Err(ApiError::NotFound),
            Err(AnswerRefusal::NotOpen) => return Err(not_open()),
        };
        if answered.left.is_some() {
            self.indexes.settle(self.store).await;
        }
        tracing::info!(check_in_id = %id, "check-in answered");
        Ok(CheckInView::of(&answered.check_in))
    }

    /// `POST /v1/check-ins/{id}/resolve`: a broker for the person's area
    /// followed it up; it leaves the queue.
    pub async fn resolve(
        &self,
        caller: &Caller,
        id: Uuid,
        body: Option<serde_json::Value>,
    ) -> Result<CheckInQueueView, ApiError> {
        let ResolveInput {} = parse_optional_body(body)?;
        let check_in = self.store.get_check_in(id).await?.ok_or(ApiError::NotFound)?;
        policy::resolve_check_in(caller.actor(), &check_in.authority)
            .map_err(|refusal| refused(refusal, Rule::ResolveCheckIn))?;
        let resolved = match self.store.resolve_check_in(id, caller.subject, self.now).await {
            Ok(resolved) => resolved,
            Err(friends_store::StoreError::NotFound) => {
                return Err(ApiError::Conflict {
                    code: ErrorCode::InvalidTransition,
                    detail: "This check-in is not waiting for a broker.".into(),
                });
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(check_in_id = %id, "check-in followed up");
        Ok(CheckInQueueView::of(&resolved))
    }

    /// Opens the check-ins due now and sends those unanswered for 14 days
    /// to the brokers (the job, every [`crate::jobs::CHECK_IN_INTERVAL`]).
    pub async fn advance(&self) -> Result<CheckInsAdvanced, ApiError> {
        let advanced = self.store.advance_check_ins(self.now).await?;
        if advanced != CheckInsAdvanced::default() {
            tracing::info!(opened = advanced.opened, missed = advanced.missed, "check-ins advanced");
        }
        Ok(advanced)
    }

    /// Every check-in of `person` that fell due (their export).
    pub async fn export(&self, person: Uuid) -> Result<Vec<CheckInView>, ApiError> {
        Ok(self.store.check_ins_of(person).await?.iter().map(CheckInView::of).collect())
    }
}
