//! Safeguarding reports (DESIGN §5): a worry about someone goes to the queue
//! of the brokers for that person's area. The person reported never sees it;
//! the reporter sees it in their export.

use chrono::{DateTime, Utc};
use friends_domain::policy::{self, Rule};
use friends_domain::text::check_text;
use friends_domain::{FieldCode, FieldError};
use friends_store::{Store, StoredReport};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Caller;
use crate::errors::{ApiError, ErrorCode, parse_body, parse_optional_body, refused};
use crate::input::optional_text;

/// Longest reason, in characters.
pub const REASON_MAX_CHARS: usize = 2000;

/// Body of `POST /v1/reports`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// Who raises it: the member, someone their supporter acts for, or a
    /// broker (themselves, or a person in their area).
    pub reporter: Uuid,
    /// The person it is about.
    pub about: Uuid,
    /// The worry, in the reporter's words.
    pub reason: String,
}

/// Body of `POST /v1/reports/{id}/resolve`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// What was done.
    #[serde(default)]
    pub note: Option<String>,
}

/// A report as brokers and its reporter see it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    /// Id.
    pub id: Uuid,
    /// Who raised it.
    pub reporter: Uuid,
    /// Who it is about.
    pub about: Uuid,
    /// The worry (`null` once either person was erased).
    pub reason: Option<String>,
    /// `open` or `resolved`.
    pub status: String,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// When a broker resolved it.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl ReportView {
    /// The view of a stored report.
    pub fn of(report: &StoredReport) -> Self {
        Self {
            id: report.id,
            reporter: report.reporter,
            about: report.about,
            reason: report.reason.clone(),
            status: report.status.clone(),
            created_at: report.created_at,
            resolved_at: report.resolved_at,
        }
    }
}

/// The safeguarding reports service.
#[derive(Debug, Clone)]
pub struct Reports<'a> {
    /// The store.
    pub store: &'a Store,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

impl Reports<'_> {
    /// `POST /v1/reports`.
    pub async fn create(&self, caller: &Caller, body: serde_json::Value) -> Result<ReportView, ApiError> {
        let input: ReportInput = parse_body(body)?;
        let reporter_authority = self.store.person_authority(input.reporter).await?;
        // As for any act on a person's behalf; a broker may also report as
        // themselves.
        policy::report(caller.actor(), input.reporter, reporter_authority.as_deref())
            .map_err(|refusal| refused(refusal, Rule::Report))?;
        if input.reporter == input.about {
            return Err(ApiError::Validation(vec![FieldError::new(
                "about",
                FieldCode::SamePerson,
                "A report is about someone else.",
            )]));
        }
        let reason = check_text("reason", &input.reason, 1, REASON_MAX_CHARS, true)
            .map_err(|error| ApiError::Validation(vec![error]))?;
        let actor = caller.event_actor(Some(input.reporter));
        let report =
            self.store.create_report(Uuid::new_v4(), input.reporter, input.about, reason, &actor, self.now).await?;
        tracing::info!(report_id = %report.id, role = caller.role.as_str(), "safeguarding report raised");
        Ok(ReportView::of(&report))
    }

    /// `POST /v1/reports/{id}/resolve`: a broker for the reported person's area.
    /// Anyone else may not know the report exists.
    pub async fn resolve(
        &self,
        caller: &Caller,
        id: Uuid,
        body: Option<serde_json::Value>,
    ) -> Result<ReportView, ApiError> {
        let input: ResolveInput = parse_optional_body(body)?;
        let report = self.store.get_report(id).await?.ok_or(ApiError::NotFound)?;
        policy::resolve_report(caller.actor(), &report.about_authority)
            .map_err(|refusal| refused(refusal, Rule::ResolveReport))?;
        if report.status != "open" {
            return Err(ApiError::Conflict {
                code: ErrorCode::InvalidTransition,
                detail: "The report is already resolved.".into(),
            });
        }
        let note = optional_text("note", input.note, REASON_MAX_CHARS, true)?;
        let report = self.store.resolve_report(id, caller.subject, note, self.now).await?;
        tracing::info!(report_id = %id, "safeguarding report resolved");
        Ok(ReportView::of(&report))
    }
}
