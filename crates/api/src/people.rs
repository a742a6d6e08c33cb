//! People: who may do what, and the operations behind the routes.
//!
//! Rules (DESIGN §6): a member acts on their own profile (`sub` = id), a
//! supporter on the people in `acts_for`, a broker on people in their
//! authorities, an admin on everyone. Anything else is answered as if the
//! person did not exist (404).

use chrono::{DateTime, Datelike, Utc};
use friends_domain::person::{PersonInput, PersonRecord, ValidationContext, merge_patch};
use friends_domain::policy::{self, NewProfileId, Rule};

use friends_store::{ChangeRecord, Store, StoreError, StoredPerson};
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::errors::{ApiError, parse_body, refused};
use crate::indexes::Indexes;

use crate::reference::Reference;

/// An `If-Match` precondition, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    /// A list of entity tags.
    Tags(Vec<String>),
}

impl IfMatch {
    /// Parses the header value.
    pub fn parse(value: &str) -> Self {
        if value.trim() == "*" {
            return Self::Any;
        }
        Self::Tags(value.split(',').map(|tag| tag.trim().to_owned()).filter(|tag| !tag.is_empty()).collect())
    }

    /// The request's `If-Match`, if it sent one (400 when it is not text).
    pub fn of(request: &actix_web::HttpRequest) -> Result<Option<Self>, ApiError> {
        request
            .headers()
            .get(actix_web::http::header::IF_MATCH)
            .map(|value| value.to_str().map(Self::parse).map_err(|_| ApiError::InvalidHeader("If-Match")))
            .transpose()
    }

    /// Whether it matches `version` (strong comparison: weak tags never do).
    pub fn matches(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|tag| *tag == etag(version)),
        }
    }
}

/// 404 unless the caller may manage person `id` in `authority`. Admins can
/// reach everyone; every such access is on record.
fn check_access(caller: &Caller, id: Uuid, authority: &str) -> Result<(), ApiError> {
    policy::manage_profile(caller.actor(), id, authority).map_err(|refusal| refused(refusal, Rule::ManageProfile))?;
    if caller.role == Role::Admin {
        tracing::info!(admin = %caller.subject, person_id = %id, "admin access to a person");
    }
    Ok(())
}

/// The strong entity tag of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The people service: store, indexes, reference data and the clock.
#[derive(Debug, Clone)]
pub struct People<'a> {
    /// The store.
    pub store: &'a Store,
    /// This node's indexes, brought up to date after every write.
    pub indexes: &'a Indexes,
    /// Areas and vocabularies.
    pub reference: &'a Reference,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

impl People<'_> {
    fn validate(&self, body: serde_json::Value) -> Result<PersonRecord, ApiError> {
        let input: PersonInput = parse_body(body)?;
        let context = ValidationContext {
            taxonomy: &self.reference.taxonomy,
            areas: &self.reference.areas,
            current_year: self.now.year(),
        };
        input.validate(context).map_err(ApiError::Validation)
    }

    /// Loads a person the caller may manage, or 404.
    pub async fn visible(&self, caller: &Caller, id: Uuid) -> Result<StoredPerson, ApiError> {
        let person = self.store.get_person(id).await?.ok_or(ApiError::NotFound)?;
        check_access(caller, id, &person.record.authority_code)?;
        Ok(person)
    }

    /// Checks that the caller may manage `id` (404 otherwise) without
    /// loading the profile.
    pub async fn authorize(&self, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        let authority = self.store.person_authority(id).await?.ok_or(ApiError::NotFound)?;
        check_access(caller, id, &authority)
    }

    /// [`Self::authorize`] for reads answered from this node's indexes.
    /// Unless the caller is a broker, the person's area plays no part, and
    /// whether the person exists is known to the indexes (current with this
    /// node's own writes), so the database is asked only when they do not
    /// hold the person, and for brokers, whose right follows the stored area.
    /// This keeps a database round trip off the busiest read.
    pub async fn authorize_from_indexes(&self, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        if caller.actor().manages_anywhere(id).is_some() && self.indexes.read(|population| population.contains(id))? {
            // The area is not consulted for this caller.
            return check_access(caller, id, "");
        }
        self.authorize(caller, id).await
    }

    /// `POST /v1/people`. A member's profile takes their token's `sub` as
    /// its id; anyone else's gets a new id.
    pub async fn create(&self, caller: &Caller, body: serde_json::Value) -> Result<StoredPerson, ApiError> {
        let record = self.validate(body)?;
        let id = match policy::create_profile(caller.actor(), &record.authority_code)
            .map_err(|refusal| refused(refusal, Rule::CreateProfile))?
        {
            NewProfileId::Subject => caller.subject,
            NewProfileId::Fresh => Uuid::new_v4(),
        };
        policy::public_listing(caller.actor(), id, false, record.public_listing)
            .map_err(|refusal| refused(refusal, Rule::CreateProfile))?;
        let person = self.store.create_person(id, &record, self.now).await?;
        self.indexes.settle(self.store).await;
        tracing::info!(person_id = %id, role = ?caller.role, "person created");
        Ok(person)
    }

    /// `PATCH /v1/people/{id}`: an RFC 7396 merge into the current profile,
    /// validated as a whole, applied only if `If-Match` is current.
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        if_match: Option<IfMatch>,
        patch: serde_json::Value,
    ) -> Result<StoredPerson, ApiError> {
        let current = self.visible(caller, id).await?;
        let if_match = if_match.ok_or(ApiError::PreconditionRequired)?;
        if !if_match.matches(current.version) {
            return Err(ApiError::VersionConflict);
        }
        if !patch.is_object() {
            return Err(ApiError::InvalidBody("a PATCH body is a JSON object of the fields to change".into()));
        }
        let mut merged = serde_json::to_value(&current.record).map_err(|error| {
            tracing::error!(error = %error, "person record does not serialise");
            ApiError::Internal
        })?;
        merge_patch(&mut merged, &patch);
        let record = self.validate(merged)?;
        policy::keep_profile_in(caller.actor(), &record.authority_code)
            .map_err(|refusal| refused(refusal, Rule::ManageProfile))?;
        policy::public_listing(caller.actor(), id, current.record.public_listing, record.public_listing)
            .map_err(|refusal| refused(refusal, Rule::ManageProfile))?;
        let updated = self.store.update_person(id, current.version, &record, self.now).await?;
        self.indexes.settle(self.store).await;
        tracing::info!(person_id = %id, version = updated.version, "person updated");
        Ok(updated)
    }

    /// `GET /v1/people/{id}/export`: the profile and its change history.
    pub async fn export(&self, caller: &Caller, id: Uuid) -> Result<(StoredPerson, Vec<ChangeRecord>), ApiError> {
        let person = self.visible(caller, id).await?;
        let changes = self.store.person_changes(id).await?;
        Ok((person, changes))
    }

    /// `DELETE /v1/people/{id}`: erase. `If-Match` is honoured when sent but
    /// not required: anybody can leave at any moment.
    pub async fn erase(&self, caller: &Caller, id: Uuid, if_match: Option<IfMatch>) -> Result<(), ApiError> {
        let current = self.visible(caller, id).await?;
        if let Some(if_match) = if_match
            && !if_match.matches(current.version)
        {
            return Err(ApiError::VersionConflict);
        }
        match self.store.erase_person(id, &caller.event_actor(Some(id)), self.now).await {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
        self.indexes.settle(self.store).await;
        tracing::info!(person_id = %id, "person erased");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_uses_strong_comparison() {
        assert!(IfMatch::parse("\"3\"").matches(3));
        assert!(IfMatch::parse("\"2\", \"3\"").matches(3));
        assert!(IfMatch::parse("*").matches(9));
        assert!(!IfMatch::parse("W/\"3\"").matches(3));
        assert!(!IfMatch::parse("\"2\"").matches(3));
        assert!(!IfMatch::parse("3").matches(3));
    }
}
