//! Who may do what with an introduction, and what each side sees (DESIGN
//! §5 and §6), as pure functions: the API calls them inside the write
//! transaction, and the property tests drive them without a server.
//!
//! Rules:
//! - the members other than the requester (and their supporters) learn that
//!   a request exists only once a broker approved it, so a message that asks
//!   for money never reaches them unreviewed;
//! - anyone who may not know an introduction exists gets "not found";
//! - only the person themselves can consent; a broker for any member's area
//!   triages; any member or their supporter can leave;
//! - the requester's side reads `not_going_ahead` for a decline, an expiry or
//!   another member leaving, and never learns who said no or why; in a group
//!   every member's side reads it so;
//! - contact details show only while `introduced`, only to the members who
//!   have not left, their supporters and the brokers for the area (not to
//!   admins);
//! - notes (approval notes, decline reasons) and message flags are for
//!   brokers for the area only.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::actor::{Actor, Forbidden, Refusal, Role};
use crate::introduction::{IntroductionStatus, Member};

/// One member of an introduction, as these rules need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party<'a> {
    /// Their person id.
    pub person: Uuid,
    /// Their authority (ONS code).
    pub authority: &'a str,
}

/// How a caller stands to an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// One of the members, with their own token.
    Person(Member),
    /// A supporter of a member (the first one they support, requester
    /// first).
    SupporterOf(Member),
    /// A broker whose authorities include any member's.
    BrokerForArea,
    /// An admin.
    Admin,
    /// Anyone else, brokers for other areas included.
    Stranger,
}

/// How an introduction is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perspective {
    /// The member's own side (themselves or their supporter).
    Side(Member),
    /// A broker for the area.
    Broker,
    /// An admin: everything but contact details.
    Admin,
}

/// How `actor` stands to the introduction among `members` (requester
/// first).
pub fn relation(actor: Actor<'_>, members: &[Party<'_>]) -> Relation {
    let place = |found: &dyn Fn(&Party<'_>) -> bool| members.iter().position(found).and_then(Member::at);
    match actor.role {
        Role::Member => place(&|party| party.person == actor.subject).map_or(Relation::Stranger, Relation::Person),
        Role::Supporter => {
            place(&|party| actor.acts_for.contains(&party.person)).map_or(Relation::Stranger, Relation::SupporterOf)
        }
        Role::Broker if members.iter().any(|party| actor.authorities.iter().any(|code| code == party.authority)) => {
            Relation::BrokerForArea
        }
        Role::Admin => Relation::Admin,
        Role::Broker => Relation::Stranger,
    }
}

impl Relation {
    /// How the introduction is shown to this caller, or `None` when they
    /// may not know it exists. `approved` is whether a broker ever approved
    /// it (the members other than the requester see nothing before).
    pub fn perspective(self, approved: bool) -> Option<Perspective> {
        match self {
            Self::Person(member) | Self::SupporterOf(member) => {
                (member.is_requester() || approved).then_some(Perspective::Side(member))
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
    /// Withdraw or end (a member or their supporter).
    Leave,
}

/// Whether `relation` may issue `command`; for `Consent` and `Leave`, the
/// member it acts as.
pub fn permit(relation: Relation, approved: bool, command: Command) -> Result<Option<Member>, Refusal> {
    if relation.perspective(approved).is_none() {
        return Err(Refusal::NotFound);
    }
    match (command, relation) {
        (Command::Approve | Command::Decline, Relation::BrokerForArea) => Ok(None),
        (Command::Approve | Command::Decline, _) => Err(Refusal::Forbidden(Forbidden::BrokerOnly)),
        (Command::Consent, Relation::Person(member)) => Ok(Some(member)),
        (Command::Consent, _) => Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal)),
        (Command::Leave, Relation::Person(member) | Relation::SupporterOf(member)) => Ok(Some(member)),
        (Command::Leave, _) => Err(Refusal::Forbidden(Forbidden::MembersOnly)),
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

/// Whether `viewer`'s side must not learn what happened, in an
/// introduction of `members` people that `closed_by` (a member's side, if
/// one did) moved to `status`:
/// - the requester never reads a decline or an expiry, nor another
///   member leaving;
/// - in a group, nobody reads what someone else's decline, expiry or
///   leaving was (consent was given to these particular people); in a pair
///   the other member may, since only the requester or a broker could have
///   done it.
pub fn hidden_from(viewer: Member, status: IntroductionStatus, closed_by: Option<Member>, members: usize) -> bool {
    let told = viewer.is_requester() || members > 2;
    match status {
        IntroductionStatus::Declined | IntroductionStatus::Expired => {
            viewer.is_requester() || (members > 2 && closed_by != Some(viewer))
        }
        IntroductionStatus::Withdrawn => told && closed_by.is_some_and(|by| by != viewer),
        _ => false,
    }
}

/// `status` as `perspective` reads it; the rest as for [`hidden_from`].
pub fn shown_status(
    status: IntroductionStatus,
    closed_by: Option<Member>,
    perspective: Perspective,
    members: usize,
) -> ShownStatus {
    match perspective {
        Perspective::Side(viewer) if hidden_from(viewer, status, closed_by, members) => ShownStatus::NotGoingAhead,
        _ => status.into(),
    }
}

/// Whether `perspective` sees the current members' contact details:
/// only while `introduced`, only a member who has not left (or their
/// supporter) and the brokers for the area. `viewer_left` is whether the
/// perspective's member has left.
pub fn shows_contacts(status: IntroductionStatus, perspective: Perspective, viewer_left: bool) -> bool {
    status == IntroductionStatus::Introduced
        && match perspective {
            Perspective::Side(_) => !viewer_left,
            Perspective::Broker => true,
            Perspective::Admin => false,
        }
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

/// Member `of`'s answer as `perspective` reads it: `None` where showing it
/// would tell the viewer's side who said no.
pub fn shown_consent(
    consent: Consent,
    of: Member,
    status: IntroductionStatus,
    closed_by: Option<Member>,
    perspective: Perspective,
    members: usize,
) -> Option<Consent> {
    let hide = matches!(perspective, Perspective::Side(viewer)
        if viewer != of && hidden_from(viewer, status, closed_by, members));
    (!hide).then_some(consent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "E09000027";
    const AWAY: &str = "E08000003";
    const BEA: Member = match Member::at(1) {
        Some(member) => member,
        None => Member::REQUESTER,
    };

    fn pair() -> [Party<'static>; 2] {
        [Party { person: Uuid::from_u128(1), authority: HOME }, Party { person: Uuid::from_u128(2), authority: HOME }]
    }

    fn actor<'a>(role: Role, subject: u128, acts_for: &'a [Uuid], authorities: &'a [String]) -> Actor<'a> {
        Actor { role, subject: Uuid::from_u128(subject), acts_for, authorities }
    }

    #[test]
    fn relations_follow_roles_and_areas() {
        let home = [HOME.to_owned()];
        let away = [AWAY.to_owned()];
        let recipient = [Uuid::from_u128(2)];
        assert_eq!(relation(actor(Role::Member, 1, &[], &[]), &pair()), Relation::Person(Member::REQUESTER));
        assert_eq!(relation(actor(Role::Member, 3, &[], &[]), &pair()), Relation::Stranger);
        assert_eq!(relation(actor(Role::Supporter, 9, &recipient, &[]), &pair()), Relation::SupporterOf(BEA));
        assert_eq!(relation(actor(Role::Broker, 9, &[], &home), &pair()), Relation::BrokerForArea);
        assert_eq!(relation(actor(Role::Broker, 9, &[], &away), &pair()), Relation::Stranger);
        assert_eq!(relation(actor(Role::Admin, 9, &[], &[]), &pair()), Relation::Admin);
        // A broker for any member's area reviews a group.
        let group = [pair()[0], pair()[1], Party { person: Uuid::from_u128(3), authority: AWAY }];
        assert_eq!(relation(actor(Role::Broker, 9, &[], &away), &group), Relation::BrokerForArea);
        assert_eq!(relation(actor(Role::Member, 3, &[], &[]), &group), Relation::Person(Member::at(2).unwrap_or(BEA)));
    }

    #[test]
    fn the_others_see_nothing_before_approval() {
        let recipient = Relation::Person(BEA);
        assert_eq!(permit(recipient, false, Command::Consent), Err(Refusal::NotFound));
        assert_eq!(permit(recipient, true, Command::Consent), Ok(Some(BEA)));
        assert_eq!(permit(Relation::SupporterOf(BEA), false, Command::Leave), Err(Refusal::NotFound));
    }

    #[test]
    fn consent_is_personal_and_triage_is_for_brokers() {
        for relation in [Relation::SupporterOf(Member::REQUESTER), Relation::BrokerForArea, Relation::Admin] {
            assert_eq!(
                permit(relation, true, Command::Consent),
                Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal))
            );
        }
        assert_eq!(
            permit(Relation::Person(Member::REQUESTER), true, Command::Approve),
            Err(Refusal::Forbidden(Forbidden::BrokerOnly))
        );
        assert_eq!(
            permit(Relation::BrokerForArea, true, Command::Leave),
            Err(Refusal::Forbidden(Forbidden::MembersOnly))
        );
        assert_eq!(permit(Relation::Stranger, true, Command::Approve), Err(Refusal::NotFound));
    }

    #[test]
    fn the_requester_side_never_learns_who_said_no() {
        let requester = Perspective::Side(Member::REQUESTER);
        for status in [IntroductionStatus::Declined, IntroductionStatus::Expired] {
            assert_eq!(shown_status(status, None, requester, 2), ShownStatus::NotGoingAhead);
            assert_eq!(shown_status(status, None, Perspective::Broker, 2), ShownStatus::from(status));
            assert_eq!(shown_status(status, None, Perspective::Side(BEA), 2), ShownStatus::from(status));
        }
        let withdrawn = IntroductionStatus::Withdrawn;
        assert_eq!(shown_status(withdrawn, Some(BEA), requester, 2), ShownStatus::NotGoingAhead);
        assert_eq!(shown_status(withdrawn, Some(Member::REQUESTER), requester, 2), ShownStatus::Withdrawn);
        assert_eq!(shown_consent(Consent::Declined, BEA, IntroductionStatus::Declined, None, requester, 2), None);
        assert!(!shows_contacts(IntroductionStatus::Introduced, Perspective::Admin, false));
        assert!(shows_contacts(IntroductionStatus::Introduced, Perspective::Side(BEA), false));
        assert!(!shows_contacts(IntroductionStatus::Introduced, Perspective::Side(BEA), true));
        assert!(!shows_contacts(IntroductionStatus::Ended, Perspective::Broker, false));
    }

    #[test]
    fn in_a_group_nobody_learns_who_said_no() {
        let third = Member::at(2).unwrap_or(BEA);
        for viewer in [Member::REQUESTER, BEA] {
            let side = Perspective::Side(viewer);
            assert_eq!(shown_status(IntroductionStatus::Declined, Some(third), side, 3), ShownStatus::NotGoingAhead);
            assert_eq!(shown_status(IntroductionStatus::Withdrawn, Some(third), side, 3), ShownStatus::NotGoingAhead);
            assert_eq!(
                shown_consent(Consent::Declined, third, IntroductionStatus::Declined, Some(third), side, 3),
                None
            );
        }
        let own = Perspective::Side(third);
        assert_eq!(shown_status(IntroductionStatus::Withdrawn, Some(third), own, 3), ShownStatus::Withdrawn);
    }
}
