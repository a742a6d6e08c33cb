//! Who may do what with an introduction, and what each side sees (DESIGN
//! §5 and §6), as pure functions: the API calls them inside the write
//! transaction, and the property tests drive them without a server.
//!
//! Rules:
//! - the recipient (and their supporter) learns that a request exists only
//!   once a broker approved it, so a message that asks for money never
//!   reaches them unreviewed;
//! - anyone who may not know an introduction exists gets "not found";
//! - only the person themselves can consent; a broker triages; either person
//!   or their supporter can leave;
//! - the requester's side reads `not_going_ahead` for a decline, an expiry or
//!   the other side leaving, and never learns who said no or why;
//! - contact details show only while `introduced`, only to the two people,
//!   their supporters and the brokers for the area (not to admins);
//! - notes (approval notes, decline reasons) and message flags are for
//!   brokers for the area only.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::introduction::{IntroductionStatus, Party};

/// What a caller is (the `role` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A person managing their own profile.
    Member,
    /// Family, advocate or attorney acting for people in `acts_for`.
    Supporter,
    /// Council or user-led organisation staff for `authorities`.
    Broker,
    /// Operations: everything, audited.
    Admin,
}

impl Role {
    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Supporter => "supporter",
            Self::Broker => "broker",
            Self::Admin => "admin",
        }
    }
}

/// An authenticated caller, as far as these rules need.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Role claim.
    pub role: Role,
    /// `sub`.
    pub subject: Uuid,
    /// Supporters: the people they act for.
    pub acts_for: &'a [Uuid],
    /// Brokers: the authorities they cover.
    pub authorities: &'a [String],
}

/// The two people of an introduction and their authorities.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    /// Who asked (`from`).
    pub requester: Uuid,
    /// Who was asked about (`to`).
    pub recipient: Uuid,
    /// The requester's authority (ONS code).
    pub requester_authority: &'a str,
    /// The recipient's authority.
    pub recipient_authority: &'a str,
}

impl Parties<'_> {
    /// The person id of `party`.
    pub fn person(&self, party: Party) -> Uuid {
        match party {
            Party::Requester => self.requester,
            Party::Recipient => self.recipient,
        }
    }
}

/// How a caller stands to an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// One of the two people, with their own token.
    Person(Party),
    /// A supporter of one of the two (the requester's side first, if both).
    SupporterOf(Party),
    /// A broker whose authorities include either person's.
    BrokerForArea,
    /// An admin.
    Admin,
    /// Anyone else, brokers for other areas included.
    Stranger,
}

/// How an introduction is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perspective {
    /// The person on `party`'s side (themselves or their supporter).
    Side(Party),
    /// A broker for the area.
    Broker,
    /// An admin: everything but contact details.
    Admin,
}

/// How `actor` stands to the introduction between `parties`.
pub fn relation(actor: Actor<'_>, parties: Parties<'_>) -> Relation {
    match actor.role {
        Role::Member if actor.subject == parties.requester => Relation::Person(Party::Requester),
        Role::Member if actor.subject == parties.recipient => Relation::Person(Party::Recipient),
        Role::Supporter if actor.acts_for.contains(&parties.requester) => Relation::SupporterOf(Party::Requester),
        Role::Supporter if actor.acts_for.contains(&parties.recipient) => Relation::SupporterOf(Party::Recipient),
        Role::Broker
            if actor
                .authorities
                .iter()
                .any(|code| code == parties.requester_authority || code == parties.recipient_authority) =>
        {
            Relation::BrokerForArea
        }
        Role::Admin => Relation::Admin,
        Role::Member | Role::Supporter | Role::Broker => Relation::Stranger,
    }
}

impl Relation {
    /// How the introduction is shown to this caller, or `None` when they
    /// may not know it exists. `approved` is whether a broker ever approved
    /// it (the recipient's side sees nothing before).
    pub fn perspective(self, approved: bool) -> Option<Perspective> {
        match self {
            Self::Person(Party::Requester) | Self::SupporterOf(Party::Requester) => {
                Some(Perspective::Side(Party::Requester))
            }
            Self::Person(Party::Recipient) | Self::SupporterOf(Party::Recipient) => {
                approved.then_some(Perspective::Side(Party::Recipient))
            }
            Self::BrokerForArea => Some(Perspective::Broker),
            Self::Admin => Some(Perspective::Admin),
            Self::Stranger => None,
        }
    }
}

/// A request to change an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Approve for consent (brokers).
    Approve,
    /// Decline at review (brokers).
    Decline,
    /// Say yes or no (the person themselves).
    Consent,
    /// Withdraw or end (either person or their supporter).
    Leave,
}

/// Why a command is refused before the state machine is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not know the introduction exists.
    NotFound,
    /// The caller sees it but may not do this; a stable code.
    Forbidden(&'static str),
}

/// Whether `relation` may issue `command`; for `Consent` and `Leave`, the
/// party it acts as.
pub fn permit(relation: Relation, approved: bool, command: Command) -> Result<Option<Party>, Refusal> {
    if relation.perspective(approved).is_none() {
        return Err(Refusal::NotFound);
    }
    match (command, relation) {
        (Command::Approve | Command::Decline, Relation::BrokerForArea) => Ok(None),
        (Command::Approve | Command::Decline, _) => Err(Refusal::Forbidden("broker_only")),
        (Command::Consent, Relation::Person(party)) => Ok(Some(party)),
        (Command::Consent, _) => Err(Refusal::Forbidden("consent_must_be_personal")),
        (Command::Leave, Relation::Person(party) | Relation::SupporterOf(party)) => Ok(Some(party)),
        (Command::Leave, _) => Err(Refusal::Forbidden("parties_only")),
    }
}

/// A status as one perspective reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShownStatus {
    /// Waiting for a broker.
    PendingReview,
    /// Waiting for both people's yes.
    AwaitingConsent,
    /// Introduced.
    Introduced,
    /// Ended after an introduction.
    Ended,
    /// Declined (not shown to the requester's side).
    Declined,
    /// Withdrawn.
    Withdrawn,
    /// Expired (not shown to the requester's side).
    Expired,
    /// The requester's view of a decline, an expiry, or the other side
    /// leaving.
    NotGoingAhead,
}

impl From<IntroductionStatus> for ShownStatus {
    fn from(status: IntroductionStatus) -> Self {
        match status {
            IntroductionStatus::PendingReview => Self::PendingReview,
            IntroductionStatus::AwaitingConsent => Self::AwaitingConsent,
            IntroductionStatus::Introduced => Self::Introduced,
            IntroductionStatus::Ended => Self::Ended,
            IntroductionStatus::Declined => Self::Declined,
            IntroductionStatus::Withdrawn => Self::Withdrawn,
            IntroductionStatus::Expired => Self::Expired,
        }
    }
}

/// Whether the requester's side must not learn what happened: a decline or
/// expiry, or the other side leaving before the introduction. `by` is the
/// side that moved the introduction to `status`, if a person's side did.
pub fn hidden_from_requester(status: IntroductionStatus, by: Option<Party>) -> bool {
    match status {
        IntroductionStatus::Declined | IntroductionStatus::Expired => true,
        IntroductionStatus::Withdrawn => by == Some(Party::Recipient),
        _ => false,
    }
}

/// `status` as `perspective` reads it; `by` as for [`hidden_from_requester`].
pub fn shown_status(status: IntroductionStatus, by: Option<Party>, perspective: Perspective) -> ShownStatus {
    if perspective == Perspective::Side(Party::Requester) && hidden_from_requester(status, by) {
        ShownStatus::NotGoingAhead
    } else {
        status.into()
    }
}

/// Whether `perspective` sees the two people's contact details.
pub fn shows_contacts(status: IntroductionStatus, perspective: Perspective) -> bool {
    status == IntroductionStatus::Introduced && matches!(perspective, Perspective::Side(_) | Perspective::Broker)
}

/// Whether `perspective` sees broker notes, decline reasons and flags:
/// brokers for the area only.
pub fn shows_notes(perspective: Perspective) -> bool {
    perspective == Perspective::Broker
}

/// One person's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Not given yet.
    Awaiting,
    /// Yes, personally.
    Accepted,
    /// No.
    Declined,
}

impl Consent {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Awaiting => "awaiting",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Awaiting, Self::Accepted, Self::Declined].into_iter().find(|consent| consent.as_str() == value)
    }
}

/// `party`'s answer as `perspective` reads it: `None` where showing it
/// would tell the requester's side who said no.
pub fn shown_consent(
    consent: Consent,
    party: Party,
    status: IntroductionStatus,
    by: Option<Party>,
    perspective: Perspective,
) -> Option<Consent> {
    let hide = perspective == Perspective::Side(Party::Requester)
        && party == Party::Recipient
        && hidden_from_requester(status, by);
    (!hide).then_some(consent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "E09000027";
    const AWAY: &str = "E08000003";

    fn parties() -> Parties<'static> {
        Parties {
            requester: Uuid::from_u128(1),
            recipient: Uuid::from_u128(2),
            requester_authority: HOME,
            recipient_authority: HOME,
        }
    }

    fn actor<'a>(role: Role, subject: u128, acts_for: &'a [Uuid], authorities: &'a [String]) -> Actor<'a> {
        Actor { role, subject: Uuid::from_u128(subject), acts_for, authorities }
    }

    #[test]
    fn relations_follow_roles_and_areas() {
        let home = [HOME.to_owned()];
        let away = [AWAY.to_owned()];
        let recipient = [Uuid::from_u128(2)];
        assert_eq!(relation(actor(Role::Member, 1, &[], &[]), parties()), Relation::Person(Party::Requester));
        assert_eq!(relation(actor(Role::Member, 3, &[], &[]), parties()), Relation::Stranger);
        assert_eq!(
            relation(actor(Role::Supporter, 9, &recipient, &[]), parties()),
            Relation::SupporterOf(Party::Recipient)
        );
        assert_eq!(relation(actor(Role::Broker, 9, &[], &home), parties()), Relation::BrokerForArea);
        assert_eq!(relation(actor(Role::Broker, 9, &[], &away), parties()), Relation::Stranger);
        assert_eq!(relation(actor(Role::Admin, 9, &[], &[]), parties()), Relation::Admin);
    }

    #[test]
    fn the_recipient_side_sees_nothing_before_approval() {
        let recipient = Relation::Person(Party::Recipient);
        assert_eq!(permit(recipient, false, Command::Consent), Err(Refusal::NotFound));
        assert_eq!(permit(recipient, true, Command::Consent), Ok(Some(Party::Recipient)));
        assert_eq!(permit(Relation::SupporterOf(Party::Recipient), false, Command::Leave), Err(Refusal::NotFound));
    }

    #[test]
    fn consent_is_personal_and_triage_is_for_brokers() {
        for relation in [Relation::SupporterOf(Party::Requester), Relation::BrokerForArea, Relation::Admin] {
            assert_eq!(permit(relation, true, Command::Consent), Err(Refusal::Forbidden("consent_must_be_personal")));
        }
        assert_eq!(
            permit(Relation::Person(Party::Requester), true, Command::Approve),
            Err(Refusal::Forbidden("broker_only"))
        );
        assert_eq!(permit(Relation::BrokerForArea, true, Command::Leave), Err(Refusal::Forbidden("parties_only")));
        assert_eq!(permit(Relation::Stranger, true, Command::Approve), Err(Refusal::NotFound));
    }

    #[test]
    fn the_requester_side_never_learns_who_said_no() {
        let requester = Perspective::Side(Party::Requester);
        for status in [IntroductionStatus::Declined, IntroductionStatus::Expired] {
            assert_eq!(shown_status(status, None, requester), ShownStatus::NotGoingAhead);
            assert_eq!(shown_status(status, None, Perspective::Broker), ShownStatus::from(status));
        }
        let withdrawn = IntroductionStatus::Withdrawn;
        assert_eq!(shown_status(withdrawn, Some(Party::Recipient), requester), ShownStatus::NotGoingAhead);
        assert_eq!(shown_status(withdrawn, Some(Party::Requester), requester), ShownStatus::Withdrawn);
        assert_eq!(
            shown_consent(Consent::Declined, Party::Recipient, IntroductionStatus::Declined, None, requester),
            None
        );
        assert!(!shows_contacts(IntroductionStatus::Introduced, Perspective::Admin));
        assert!(shows_contacts(IntroductionStatus::Introduced, Perspective::Side(Party::Recipient)));
        assert!(!shows_contacts(IntroductionStatus::Ended, Perspective::Broker));
    }
}
