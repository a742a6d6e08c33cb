//! The pooling agreement of an introduced pair or group (DESIGN §5, the
//! "group agreement" RUILS recommends): what it is for, what the money pays
//! for, each member's weekly amount, how the money is held, who signs, who
//! does what, how often it is reviewed, how to leave, and what happens to
//! the money if it ends.
//!
//! Rules:
//! - every field has bounds ([`check_terms`]); people named in it must be
//!   current members;
//! - each member confirms a version personally; it is `agreed` only when
//!   every current member confirmed the current version ([`status_of`]);
//! - an edit or a change of members returns it to `draft` (the store clears
//!   the confirmations and takes a leaver out, [`Terms::without`]);
//! - it can be confirmed only when complete ([`Terms::missing`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::text::check_text;
use crate::{FieldCode, FieldError};

/// Longest `purpose` and `if_it_ends`, in characters.
pub const LONG_TEXT_MAX_CHARS: usize = 500;
/// Longest note on a cost or role, in characters.
pub const SHORT_TEXT_MAX_CHARS: usize = 200;
/// Most things the money pays for.
pub const MAX_PAYS_FOR: usize = 8;
/// Most roles.
pub const MAX_ROLES: usize = 20;
/// Most a member puts in each week, in pounds.
pub const MAX_WEEKLY_GBP: u32 = 2_000;
/// Review interval bounds, in weeks.
pub const REVIEW_WEEKS: std::ops::RangeInclusive<u32> = 1..=52;
/// Notice for leaving bounds, in weeks.
pub const NOTICE_WEEKS: std::ops::RangeInclusive<u32> = 0..=26;

/// What the money pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cost {
    /// A place to meet.
    Venue,
    /// Getting there.
    Transport,
    /// Hours of a personal assistant.
    PaHours,
    /// Things to use.
    Equipment,
    /// Something else (say what in the note).
    Other,
}

/// One thing the money pays for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaysFor {
    /// What kind of cost.
    pub kind: Cost,
    /// A few words (required for `other`).
    #[serde(default)]
    pub note: Option<String>,
}

/// How the money is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// An account in the names of the members.
    JointAccount,
    /// One member the others trust holds it.
    OneTrustedMember,
    /// A managed account with a provider.
    ManagedAccount,
    /// A payroll service pays the PA.
    PayrollService,
}

/// Who does what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleLine {
    /// The member.
    pub person_id: Uuid,
    /// What they do, in a few words.
    pub role: String,
}

/// The agreement's fields. In a draft any may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// What it is for.
    #[serde(default)]
    pub purpose: Option<String>,
    /// What the money pays for.
    #[serde(default)]
    pub pays_for: Vec<PaysFor>,
    /// Each member's weekly amount, in pounds.
    #[serde(default)]
    pub contributions: BTreeMap<Uuid, u32>,
    /// How the money is held.
    #[serde(default)]
    pub account: Option<Account>,
    /// Who signs for the money (members).
    #[serde(default)]
    pub signatories: Vec<Uuid>,
    /// Who does what.
    #[serde(default)]
    pub roles: Vec<RoleLine>,
    /// How often it is reviewed, in weeks.
    #[serde(default)]
    pub review_every_weeks: Option<u32>,
    /// How much notice a member gives before leaving, in weeks.
    #[serde(default)]
    pub leaving_notice_weeks: Option<u32>,
    /// What happens to the money if it ends.
    #[serde(default)]
    pub if_it_ends: Option<String>,
}

/// Draft, or agreed by every current member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Being written, or not yet confirmed by everyone.
    Draft,
    /// Every current member confirmed the current version.
    Agreed,
}

impl AgreementStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Agreed => "agreed",
        }
    }
}

/// One member's confirmation of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The member.
    pub person_id: Uuid,
    /// The version they confirmed.
    pub version: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// `agreed` iff every one of `members` confirmed `version`.
pub fn status_of(version: i64, confirmations: &[Confirmation], members: &[Uuid]) -> AgreementStatus {
    let confirmed = |member: &Uuid| {
        confirmations.iter().any(|confirmation| confirmation.person_id == *member && confirmation.version == version)
    };
    if !members.is_empty() && members.iter().all(confirmed) { AgreementStatus::Agreed } else { AgreementStatus::Draft }
}

fn long_text(field: &str, value: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = value?;
    match check_text(field, &value, 0, LONG_TEXT_MAX_CHARS, true) {
        Ok(text) => (!text.is_empty()).then_some(text),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

fn not_a_member(field: String) -> FieldError {
    FieldError::new(field, FieldCode::NotAMember, "Must be someone in this group now.")
}

fn weeks(field: &str, value: Option<u32>, range: std::ops::RangeInclusive<u32>, errors: &mut Vec<FieldError>) {
    if let Some(value) = value
        && !range.contains(&value)
    {
        let message = format!("Must be from {} to {} weeks.", range.start(), range.end());
        errors.push(FieldError::new(field, FieldCode::OutOfRange, message));
    }
}

/// Checks `terms` against the bounds and the current `members`, and returns
/// them with their text normalised.
pub fn check_terms(mut terms: Terms, members: &[Uuid]) -> Result<Terms, Vec<FieldError>> {
    let mut errors = Vec::new();
    terms.purpose = long_text("purpose", terms.purpose, &mut errors);
    terms.if_it_ends = long_text("if_it_ends", terms.if_it_ends, &mut errors);
    if terms.pays_for.len() > MAX_PAYS_FOR {
        errors.push(FieldError::new("pays_for", FieldCode::TooMany, format!("List at most {MAX_PAYS_FOR}.")));
    }
    for (index, cost) in terms.pays_for.iter_mut().enumerate() {
        let field = format!("pays_for[{index}].note");
        cost.note = match cost.note.take().map(|note| check_text(&field, &note, 0, SHORT_TEXT_MAX_CHARS, false)) {
            None => None,
            Some(Ok(note)) => (!note.is_empty()).then_some(note),
            Some(Err(error)) => {
                errors.push(error);
                None
            }
        };
        if cost.kind == Cost::Other && cost.note.is_none() {
            errors.push(FieldError::new(field, FieldCode::Required, "Say in a few words what it is."));
        }
    }
    for (person, amount) in &terms.contributions {
        let field = format!("contributions.{person}");
        if !members.contains(person) {
            errors.push(not_a_member(field));
        } else if *amount > MAX_WEEKLY_GBP {
            errors.push(FieldError::new(field, FieldCode::OutOfRange, format!("Must be from 0 to {MAX_WEEKLY_GBP}.")));
        }
    }
    for (index, person) in terms.signatories.iter().enumerate() {
        if !members.contains(person) {
            errors.push(not_a_member(format!("signatories[{index}]")));
        } else if terms.signatories[..index].contains(person) {
            errors.push(FieldError::new(format!("signatories[{index}]"), FieldCode::SamePerson, "Name each once."));
        }
    }
    if terms.roles.len() > MAX_ROLES {
        errors.push(FieldError::new("roles", FieldCode::TooMany, format!("List at most {MAX_ROLES}.")));
    }
    for (index, line) in terms.roles.iter_mut().enumerate() {
        if !members.contains(&line.person_id) {
            errors.push(not_a_member(format!("roles[{index}].person_id")));
        }
        match check_text(&format!("roles[{index}].role"), &line.role, 1, SHORT_TEXT_MAX_CHARS, false) {
            Ok(role) => line.role = role,
            Err(error) => errors.push(error),
        }
    }
    weeks("review_every_weeks", terms.review_every_weeks, REVIEW_WEEKS, &mut errors);
    weeks("leaving_notice_weeks", terms.leaving_notice_weeks, NOTICE_WEEKS, &mut errors);
    if errors.is_empty() { Ok(terms) } else { Err(errors) }
}

impl Terms {
    /// Takes `person` out (they left, or were erased); whether anything
    /// changed.
    pub fn without(&mut self, person: Uuid) -> bool {
        let before = self.clone();
        self.contributions.remove(&person);
        self.signatories.retain(|signatory| *signatory != person);
        self.roles.retain(|line| line.person_id != person);
        *self != before
    }

    /// What must be filled in before the `members` can confirm it.
    pub fn missing(&self, members: &[Uuid]) -> Vec<FieldError> {
        let required = |field: &str, message: &str| FieldError::new(field, FieldCode::Required, message);
        let mut missing = Vec::new();
        if self.purpose.is_none() {
            missing.push(required("purpose", "Say what the group is for."));
        }
        if self.pays_for.is_empty() {
            missing.push(required("pays_for", "Say what the money pays for."));
        }
        for member in members {
            if !self.contributions.contains_key(member) {
                missing.push(required(&format!("contributions.{member}"), "Say how much each person puts in."));
            }
        }
        if self.account.is_none() {
            missing.push(required("account", "Say how the money is kept."));
        }
        if self.signatories.is_empty() {
            missing.push(required("signatories", "Say who signs for the money."));
        }
        if self.review_every_weeks.is_none() {
            missing.push(required("review_every_weeks", "Say how often you will check it."));
        }
        if self.leaving_notice_weeks.is_none() {
            missing.push(required("leaving_notice_weeks", "Say how much notice someone gives to leave."));
        }
        if self.if_it_ends.is_none() {
            missing.push(required("if_it_ends", "Say what happens to the money if it ends."));
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(count: u128) -> Vec<Uuid> {
        (1..=count).map(Uuid::from_u128).collect()
    }

    fn complete(members: &[Uuid]) -> Terms {
        Terms {
            purpose: Some("Share a PA on Saturday mornings".into()),
            pays_for: vec![PaysFor { kind: Cost::PaHours, note: Some("3 hours a week".into()) }],
            contributions: members.iter().map(|member| (*member, 20)).collect(),
            account: Some(Account::JointAccount),
            signatories: members.to_vec(),
            roles: vec![RoleLine { person_id: members[0], role: "keeps the receipts".into() }],
            review_every_weeks: Some(12),
            leaving_notice_weeks: Some(4),
            if_it_ends: Some("The money left is shared back.".into()),
        }
    }

    #[test]
    fn bounds_and_members_are_checked() {
        let members = ids(3);
        assert!(check_terms(complete(&members), &members).is_ok());
        assert!(complete(&members).missing(&members).is_empty());
        let mut bad = complete(&members);
        bad.contributions.insert(Uuid::from_u128(9), 5);
        bad.signatories.push(members[0]);
        bad.review_every_weeks = Some(0);
        bad.leaving_notice_weeks = Some(27);
        bad.pays_for.push(PaysFor { kind: Cost::Other, note: None });
        bad.purpose = Some("x".repeat(LONG_TEXT_MAX_CHARS + 1));
        let errors = check_terms(bad, &members).err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "purpose",
                "pays_for[1].note",
                "contributions.00000000-0000-0000-0000-000000000009",
                "signatories[3]",
                "review_every_weeks",
                "leaving_notice_weeks"
            ]
        );
        assert_eq!(Terms::default().missing(&members).len(), 7 + members.len());
    }

    #[test]
    fn a_leaver_is_taken_out() {
        let members = ids(3);
        let mut terms = complete(&members);
        assert!(terms.without(members[0]));
        assert!(!terms.contributions.contains_key(&members[0]));
        assert!(!terms.signatories.contains(&members[0]) && terms.roles.is_empty());
        assert!(!terms.without(members[0]), "nothing more to take out");
    }

    proptest! {
        #[test]
        fn agreed_iff_every_current_member_confirmed_the_current_version(
            version in 1i64..5,
            confirmed in proptest::collection::vec((1u128..=6, 1i64..5), 0..10),
            members in 2u128..=6,
        ) {
            let members = ids(members);
            let at = DateTime::<Utc>::UNIX_EPOCH;
            let confirmations: Vec<Confirmation> = confirmed
                .iter()
                .map(|(person, version)| Confirmation { person_id: Uuid::from_u128(*person), version: *version, at })
                .collect();
            let everyone = members.iter().all(|member| {
                confirmed.iter().any(|(person, confirmed)| Uuid::from_u128(*person) == *member && *confirmed == version)
            });
            let expected = if everyone { AgreementStatus::Agreed } else { AgreementStatus::Draft };
            prop_assert_eq!(status_of(version, &confirmations, &members), expected);
        }
    }
}
