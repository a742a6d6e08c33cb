//! Residents' enquiries: `POST /v1/public/enquiries?key=` (a resident asks
//! the council about a listing) and `POST /v1/enquiries/{id}/resolve` (a
//! broker for the key's authority closes it).
//!
//! - The enquiry goes to the queue of the brokers for the key's authority
//!   (where the listed person lives: listings are by their own authority),
//!   with the safeguarding flags of introduction messages. Nobody else reads
//!   it: not the listed person, not their supporters, not admins.
//! - The resident gets the same 202 for every listing that exists, and
//!   nothing about the listed person; an unknown or no-longer-listed
//!   listing is 404.
//! - The resident's name, contact details and message are cleared when a
//!   broker resolves the enquiry, and after [`KEEP_DAYS`] days at most.

use chrono::{DateTime, Utc};
use friends_domain::money::money_flags;
use friends_domain::policy::{self, Rule};
use friends_domain::text::{Email, Phone, check_text};
use friends_domain::{FieldCode, FieldError};
use friends_store::{NewEnquiry, Store, StoredEnquiry};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::EmbedCaller;
use super::search::PublicSearch;
use crate::auth::Caller;
use crate::errors::{ApiError, ErrorCode, parse_body, refused};

/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 80;
/// Longest message, in characters.
pub const MESSAGE_MAX_CHARS: usize = 1000;
/// Days an enquirer's details are kept at most.
pub const KEEP_DAYS: i64 = 90;

/// How a resident can be reached: an email, a phone number, or both.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactInput {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

/// Body of `POST /v1/public/enquiries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnquiryInput {
    listing_id: Uuid,
    name: String,
    #[serde(deserialize_with = "friends_domain::objects::object")]
    contact: ContactInput,
    message: String,
}

/// What the resident is told: that it arrived, and what happens next.
/// Nothing about the listed person.
#[derive(Debug, Clone, Serialize)]
pub struct EnquiryReceived {
    /// Always `received`.
    pub status: &'static str,
    /// What happens next, in plain words.
    pub message: &'static str,
}

/// What the next step is, for every enquiry alike.
pub const RECEIVED: EnquiryReceived = EnquiryReceived {
    status: "received",
    message: "Thank you. The council's team will read your message and contact you. \
              They will only pass it on if the person agrees.",
};

/// An enquiry as brokers see it in their queue.
#[derive(Debug, Clone, Serialize)]
pub struct EnquiryView {
    /// Id.
    pub id: Uuid,
    /// The listed person it is about (the broker manages them).
    pub about: Uuid,
    /// The key's authority.
    pub authority: String,
    /// The resident's name (`null` once closed).
    pub name: Option<String>,
    /// Their email (`null` once closed).
    pub email: Option<String>,
    /// Their phone (`null` once closed).
    pub phone: Option<String>,
    /// What they asked (`null` once closed).
    pub message: Option<String>,
    /// Safeguarding flags on the message.
    pub flags: Vec<String>,
    /// `open`, `resolved` or `lapsed`.
    pub status: String,
    /// When it came.
    pub created_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

impl EnquiryView {
    /// The view of a stored enquiry.
    pub fn of(enquiry: &StoredEnquiry) -> Self {
        Self {
            id: enquiry.id,
            about: enquiry.person_id,
            authority: enquiry.authority.clone(),
            name: enquiry.name.clone(),
            email: enquiry.email.clone(),
            phone: enquiry.phone.clone(),
            message: enquiry.message.clone(),
            flags: enquiry.flags.clone(),
            status: enquiry.status.clone(),
            created_at: enquiry.created_at,
            closed_at: enquiry.closed_at,
        }
    }
}

/// The enquiries service.
#[derive(Debug, Clone)]
pub struct Enquiries<'a> {
    /// The store.
    pub store: &'a Store,
    /// Listing ids back to people.
    pub search: PublicSearch<'a>,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

fn validate(input: EnquiryInput) -> Result<(String, Option<String>, Option<String>, String), ApiError> {
    let mut errors = Vec::new();
    let name = check_text("name", &input.name, 1, NAME_MAX_CHARS, false).map_err(|error| errors.push(error)).ok();
    let message =
        check_text("message", &input.message, 1, MESSAGE_MAX_CHARS, true).map_err(|error| errors.push(error)).ok();
    let given = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
    let (email, phone) = (given(input.contact.email), given(input.contact.phone));
    if email.is_none() && phone.is_none() {
        errors.push(FieldError::new("contact", FieldCode::Required, "Give an email address or a phone number."));
    }
    let email = email.and_then(|email| match Email::parse("contact.email", &email) {
        Ok(email) => Some(email.as_str().to_owned()),
        Err(error) => {
            errors.push(error);
            None
        }
    });
    let phone = phone.and_then(|phone| match Phone::parse("contact.phone", &phone) {
        Ok(phone) => Some(phone.as_str().to_owned()),
        Err(error) => {
            errors.push(error);
            None
        }
    });
    match (name, message) {
        (Some(name), Some(message)) if errors.is_empty() => Ok((name, email, phone, message)),
        _ => Err(ApiError::Validation(errors)),
    }
}

impl Enquiries<'_> {
    /// `POST /v1/public/enquiries?key=`: 202, or 404 for a listing that is
    /// not (or no longer) listed under this key.
    pub async fn create(&self, caller: &EmbedCaller, body: serde_json::Value) -> Result<EnquiryReceived, ApiError> {
        let input: EnquiryInput = parse_body(body)?;
        let listing_id = input.listing_id;
        let (name, email, phone, message) = validate(input)?;
        let person = self.search.person_of(caller, listing_id)?.ok_or(ApiError::NotFound)?;
        let flags = money_flags(&message).into_iter().map(|flag| flag.as_str().to_owned()).collect();
        let new = NewEnquiry {
            id: Uuid::new_v4(),
            embed_key_id: caller.key_id,
            authority: caller.authority.clone(),
            person_id: person,
            name,
            email,
            phone,
            message,
            flags,
        };
        // Checked again under the write lock: still listed in this authority.
        let enquiry = self.store.create_enquiry(new, self.now).await?;
        tracing::info!(enquiry_id = %enquiry.id, embed_key_id = %caller.key_id, "resident enquiry received");
        Ok(RECEIVED)
    }

    /// `POST /v1/enquiries/{id}/resolve`: a broker for the key's authority;
    /// the resident's details are cleared. Anyone else may not know it exists.
    pub async fn resolve(&self, caller: &Caller, id: Uuid) -> Result<EnquiryView, ApiError> {
        let enquiry = self.store.get_enquiry(id).await?.ok_or(ApiError::NotFound)?;
        policy::resolve_enquiry(caller.actor(), &enquiry.authority)
            .map_err(|refusal| refused(refusal, Rule::ResolveEnquiry))?;
        if enquiry.status != "open" {
            return Err(ApiError::Conflict {
                code: ErrorCode::InvalidTransition,
                detail: "The enquiry is already closed.".into(),
            });
        }
        let enquiry = self.store.resolve_enquiry(id, caller.subject, self.now).await?;
        tracing::info!(enquiry_id = %id, "resident enquiry resolved");
        Ok(EnquiryView::of(&enquiry))
    }
}
