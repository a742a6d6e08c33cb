//! The pooling agreement (DESIGN §5): drafted together by an introduced
//! pair or group, edited with `If-Match` (428 without it, 412 when stale),
//! confirmed by each member personally, `agreed` only when every current
//! member confirmed the current version. Brokers for any member's area and
//! admins read it; nobody else knows it exists. It exists once the
//! introduction was `introduced`; it changes only while it still is.

use chrono::{DateTime, Utc};
use friends_domain::agreement::{AgreementStatus, Confirmation, Terms, check_terms};
use friends_domain::policy::{self, AgreementCommand, Relation, Rule, relation};
use friends_store::{AgreementChange, Refused, Store, StoredAgreement, StoredIntroduction, current_members};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Caller;
use crate::errors::{ApiError, ErrorCode, parse_body, refused};
use crate::people::IfMatch;

/// Body of `POST /v1/introductions/{id}/agreement/confirm`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    /// The version the person read and confirms.
    pub version: i64,
}

/// The agreement as members, their supporters, brokers and admins read it.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementView {
    /// The introduction.
    pub introduction_id: Uuid,
    /// Version (also the `ETag`); 0 before the first edit.
    pub version: i64,
    /// `draft` or `agreed`.
    pub status: AgreementStatus,
    /// Its fields.
    #[serde(flatten)]
    pub terms: Terms,
    /// Who must confirm it: the current members.
    pub members: Vec<Uuid>,
    /// Confirmations of the current version.
    pub confirmations: Vec<Confirmation>,
    /// What must be filled in before it can be confirmed (field names).
    pub missing: Vec<String>,
    /// Last changed (`null` before the first edit).
    pub updated_at: Option<DateTime<Utc>>,
}

impl AgreementView {
    /// The view of a stored agreement of `introduction`.
    pub fn of(introduction: &StoredIntroduction, agreement: &StoredAgreement) -> Self {
        let members = current_members(introduction);
        Self {
            introduction_id: agreement.introduction_id,
            version: agreement.version,
            status: agreement.status,
            missing: agreement.terms.missing(&members).into_iter().map(|missing| missing.field).collect(),
            terms: agreement.terms.clone(),
            members,
            confirmations: agreement.confirmations.clone(),
            updated_at: agreement.updated_at,
        }
    }
}

/// The agreements service.
#[derive(Debug, Clone)]
pub struct Agreements<'a> {
    /// The store.
    pub store: &'a Store,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

fn not_now() -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
        detail: "The agreement can change only while the introduction is going on.".into(),
    }
}

/// Whether the caller may `command` the agreement of `introduction`; for a
/// member's side, the person they act as.
fn check(
    caller: &Caller,
    introduction: &StoredIntroduction,
    command: AgreementCommand,
) -> Result<Option<Uuid>, ApiError> {
    // Before the introduction there is no agreement, for anyone.
    if introduction.introduced_at.is_none() {
        return Err(ApiError::NotFound);
    }
    let relation = relation(caller.actor(), &introduction.parties());
    let left = match relation {
        Relation::Person(member) | Relation::SupporterOf(member) => {
            introduction.member(member).is_none_or(|member| member.left_at.is_some())
        }
        _ => false,
    };
    let member =
        policy::agreement(relation, left, command).map_err(|refusal| refused(refusal, Rule::Agreement(command)))?;
    if relation == Relation::Admin {
        tracing::info!(admin = %caller.subject, introduction_id = %introduction.id, "admin access to an agreement");
    }
    Ok(member.and_then(|member| introduction.person(member)))
}

/// `patch` (an object; `null` clears a field) applied over `terms`.
fn merged(terms: &Terms, patch: serde_json::Value) -> Result<Terms, ApiError> {
    let serde_json::Value::Object(patch) = patch else {
        return Err(ApiError::InvalidBody("the body must be a JSON object".into()));
    };
    let mut current = match serde_json::to_value(terms) {
        Ok(serde_json::Value::Object(current)) => current,
        _ => return Err(ApiError::Internal),
    };
    for (field, value) in patch {
        if value.is_null() {
            current.remove(&field);
        } else {
            current.insert(field, value);
        }
    }
    parse_body(serde_json::Value::Object(current))
}

impl Agreements<'_> {
    /// `GET /v1/introductions/{id}/agreement`.
    pub async fn get(&self, caller: &Caller, id: Uuid) -> Result<(StoredIntroduction, StoredAgreement), ApiError> {
        let (introduction, agreement) = self.store.get_agreement(id).await?.ok_or(ApiError::NotFound)?;
        check(caller, &introduction, AgreementCommand::Read)?;
        Ok((introduction, agreement))
    }

    /// `PATCH /v1/introductions/{id}/agreement`: the fields sent replace
    /// the current ones (`null` clears one); confirmations are cleared.
    pub async fn edit(
        &self,
        caller: &Caller,
        id: Uuid,
        if_match: Option<IfMatch>,
        patch: serde_json::Value,
    ) -> Result<AgreementView, ApiError> {
        self.change(id, |introduction, agreement| {
            let person = check(caller, introduction, AgreementCommand::Edit)?;
            if !friends_store::agreement_editable(introduction.status) {
                return Err(not_now());
            }
            let if_match = if_match.ok_or(ApiError::PreconditionRequired)?;
            if !if_match.matches(agreement.version) {
                return Err(ApiError::VersionConflict);
            }
            let terms = merged(&agreement.terms, patch)?;
            let terms = check_terms(terms, &current_members(introduction)).map_err(ApiError::Validation)?;
            Ok((AgreementChange::Edit(terms), caller.event_actor(person)))
        })
        .await
    }

    /// `POST /v1/introductions/{id}/agreement/confirm`: the person
    /// themselves confirms the version they read.
    pub async fn confirm(&self, caller: &Caller, id: Uuid, body: serde_json::Value) -> Result<AgreementView, ApiError> {
        let input: ConfirmInput = parse_body(body)?;
        self.change(id, |introduction, agreement| {
            let person = check(caller, introduction, AgreementCommand::Confirm)?.ok_or(ApiError::NotFound)?;
            if !friends_store::agreement_editable(introduction.status) {
                return Err(not_now());
            }
            if input.version != agreement.version {
                return Err(ApiError::VersionConflict);
            }
            let missing = agreement.terms.missing(&current_members(introduction));
            if !missing.is_empty() {
                return Err(ApiError::Validation(missing));
            }
            Ok((AgreementChange::Confirm { person }, caller.event_actor(Some(person))))
        })
        .await
    }

    /// The agreements of every introduction `person` is a current member of
    /// (their export).
    pub async fn export(&self, person: Uuid) -> Result<Vec<AgreementView>, ApiError> {
        let mut agreements = Vec::new();
        for introduction in self.store.person_introductions(person).await? {
            if introduction.introduced_at.is_none() || !current_members(&introduction).contains(&person) {
                continue;
            }
            if let Some((introduction, agreement)) = self.store.get_agreement(introduction.id).await? {
                agreements.push(AgreementView::of(&introduction, &agreement));
            }
        }
        Ok(agreements)
    }

    async fn change(
        &self,
        id: Uuid,
        decide: impl FnOnce(
            &StoredIntroduction,
            &StoredAgreement,
        ) -> Result<(AgreementChange, friends_store::EventActor), ApiError>,
    ) -> Result<AgreementView, ApiError> {
        match self.store.change_agreement(id, self.now, decide).await? {
            Ok((introduction, agreement)) => {
                tracing::info!(introduction_id = %id, version = agreement.version, status = agreement.status.as_str(), "agreement changed");
                Ok(AgreementView::of(&introduction, &agreement))
            }
            Err(Refused::NotFound) => Err(ApiError::NotFound),
            Err(Refused::Rule(error)) => Err(error),
            Err(Refused::Transition(_)) => Err(not_now()),
        }
    }
}
