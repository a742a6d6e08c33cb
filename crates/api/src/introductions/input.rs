//! What the introduction routes accept: bodies, queries, and their limits.

use friends_domain::policy::ShownStatus;
use friends_domain::{FieldCode, FieldError};
use serde::Deserialize;
use uuid::Uuid;

use crate::errors::ApiError;

/// Longest request message, in characters.
pub const MESSAGE_MAX_CHARS: usize = 500;
/// Longest broker note or decline reason.
pub const NOTE_MAX_CHARS: usize = 1000;
pub use crate::input::SUPPORTED_BY_MAX_CHARS;

/// Most other members of a group request (a group of six).
pub const MAX_OTHER_MEMBERS: usize = 5;
/// Fewest other members of a group request (a group of three).
pub const MIN_OTHER_MEMBERS: usize = 2;

/// Body of `POST /v1/introductions`: `to` for a pair, or `members` for a
/// group (2 to 5 people besides the requester).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The requester.
    pub from: Uuid,
    /// The person asked about (a pair).
    #[serde(default)]
    pub to: Option<Uuid>,
    /// The people asked about (a group).
    #[serde(default)]
    pub members: Option<Vec<Uuid>>,
    /// Optional message, at most 500 characters.
    #[serde(default)]
    pub message: Option<String>,
}

impl RequestInput {
    /// Everyone asked about besides the requester: one for a pair, 2 to 5
    /// for a group, all different and none the requester (422 otherwise).
    pub fn others(&self) -> Result<Vec<Uuid>, ApiError> {
        let refuse =
            |field: &str, code, message: &str| Err(ApiError::Validation(vec![FieldError::new(field, code, message)]));
        let others = match (self.to, &self.members) {
            (Some(to), None) => vec![to],
            (None, Some(members)) => {
                if !(MIN_OTHER_MEMBERS..=MAX_OTHER_MEMBERS).contains(&members.len()) {
                    return refuse(
                        "members",
                        if members.len() < MIN_OTHER_MEMBERS { FieldCode::TooShort } else { FieldCode::TooMany },
                        "A group has 3 to 6 people: the requester and 2 to 5 others.",
                    );
                }
                members.clone()
            }
            (Some(_), Some(_)) => {
                return refuse(
                    "members",
                    FieldCode::InvalidText,
                    "Give `to` for a pair or `members` for a group, not both.",
                );
            }
            (None, None) => return refuse("to", FieldCode::Required, "Give `to` for a pair or `members` for a group."),
        };
        let field = if self.members.is_some() { "members" } else { "to" };
        if others.contains(&self.from) {
            return refuse(field, FieldCode::SamePerson, "A person cannot be introduced to themselves.");
        }
        let distinct: std::collections::HashSet<&Uuid> = others.iter().collect();
        if distinct.len() != others.len() {
            return refuse(field, FieldCode::SamePerson, "Each person may be named once.");
        }
        Ok(others)
    }
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

pub(super) fn parse_shown_status(value: &str) -> Result<ShownStatus, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        ApiError::Validation(vec![FieldError::new(
            "status",
            FieldCode::UnknownStatus,
            "One of pending_review, awaiting_consent, introduced, ended, declined, withdrawn, expired, not_going_ahead.",
        )])
    })
}
