//! Who may do what after an introduction (DESIGN §5 "After the
//! introduction"): check-ins, the pooling agreement and the brokers'
//! insights.
//!
//! - A person's check-ins are read by the person, their supporters and the
//!   brokers for their area; admins do not read them (they are the person's
//!   own words about how it is going). Only the person answers.
//! - The agreement is read by the current members, their supporters, the
//!   brokers for any member's area and admins; members and their supporters
//!   edit it; each member confirms it personally.
//! - Insights are for the brokers of that authority, and admins.

use uuid::Uuid;

use super::actor::{Actor, Forbidden, Refusal, Role};
use super::introductions::Relation;
use crate::introduction::Member;

/// [`super::Rule::CheckIns`]: reading `person`'s check-ins (the person is in
/// `authority`).
pub fn read_check_ins(actor: Actor<'_>, person: Uuid, authority: &str) -> Result<(), Refusal> {
    match actor.role {
        Role::Admin => Err(Refusal::Forbidden(Forbidden::RoleNotAllowed)),
        _ if actor.may_manage(person, authority) => Ok(()),
        _ => Err(Refusal::NotFound),
    }
}

/// [`super::Rule::AnswerCheckIn`]: only the person, with their own token.
pub fn answer_check_in(actor: Actor<'_>, person: Uuid, authority: &str) -> Result<(), Refusal> {
    if actor.role == Role::Member && actor.subject == person {
        Ok(())
    } else if actor.may_manage(person, authority) {
        Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal))
    } else {
        Err(Refusal::NotFound)
    }
}

/// [`super::Rule::ResolveCheckIn`]: a broker for the person's area.
pub fn resolve_check_in(actor: Actor<'_>, authority: &str) -> Result<(), Refusal> {
    if actor.role == Role::Broker && actor.covers(authority) { Ok(()) } else { Err(Refusal::NotFound) }
}

/// What a caller does with an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementCommand {
    /// Read it (JSON or the printable page).
    Read,
    /// Change its fields.
    Edit,
    /// Confirm its current version.
    Confirm,
}

/// [`super::Rule::Agreement`]: whether `relation` may do `command` to the
/// agreement of an introduction that was introduced; `left` is whether
/// the relation's member has left (a leaver no longer sees it). For
/// `Confirm`, the member who confirms.
pub fn agreement(relation: Relation, left: bool, command: AgreementCommand) -> Result<Option<Member>, Refusal> {
    match (relation, command) {
        (Relation::Stranger, _) => Err(Refusal::NotFound),
        (Relation::Person(_) | Relation::SupporterOf(_), _) if left => Err(Refusal::NotFound),
        (Relation::Person(member), _) => Ok(Some(member)),
        (Relation::SupporterOf(_), AgreementCommand::Confirm) => {
            Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal))
        }
        (Relation::SupporterOf(member), _) => Ok(Some(member)),
        (Relation::BrokerForArea | Relation::Admin, AgreementCommand::Read) => Ok(None),
        (Relation::BrokerForArea | Relation::Admin, _) => Err(Refusal::Forbidden(Forbidden::MembersOnly)),
    }
}

/// [`super::Rule::Insights`]: the brokers of `authority`, and admins.
pub fn insights(actor: Actor<'_>, authority: &str) -> Result<(), Refusal> {
    match actor.role {
        Role::Admin => Ok(()),
        Role::Broker if actor.covers(authority) => Ok(()),
        Role::Broker => Err(Refusal::Forbidden(Forbidden::OutsideAuthority)),
        Role::Member | Role::Supporter => Err(Refusal::Forbidden(Forbidden::BrokerOnly)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "E09000027";
    const AWAY: &str = "E08000003";

    fn actor<'a>(role: Role, subject: u128, acts_for: &'a [Uuid], authorities: &'a [String]) -> Actor<'a> {
        Actor { role, subject: Uuid::from_u128(subject), acts_for, authorities }
    }

    #[test]
    fn only_the_person_answers_and_admins_do_not_read_answers() {
        let ada = Uuid::from_u128(1);
        let supported = [ada];
        let home = [HOME.to_owned()];
        let member = actor(Role::Member, 1, &[], &[]);
        let supporter = actor(Role::Supporter, 3, &supported, &[]);
        let broker = actor(Role::Broker, 4, &[], &home);
        let admin = actor(Role::Admin, 5, &[], &[]);
        assert_eq!(answer_check_in(member, ada, HOME), Ok(()));
        for other in [supporter, broker, admin] {
            assert_eq!(answer_check_in(other, ada, HOME), Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal)));
        }
        assert_eq!(answer_check_in(actor(Role::Member, 2, &[], &[]), ada, HOME), Err(Refusal::NotFound));
        assert_eq!(answer_check_in(broker, ada, AWAY), Err(Refusal::NotFound));
        for reader in [member, supporter, broker] {
            assert_eq!(read_check_ins(reader, ada, HOME), Ok(()));
        }
        assert_eq!(read_check_ins(admin, ada, HOME), Err(Refusal::Forbidden(Forbidden::RoleNotAllowed)));
        assert_eq!(read_check_ins(broker, ada, AWAY), Err(Refusal::NotFound));
        assert_eq!(resolve_check_in(broker, HOME), Ok(()));
        assert_eq!(resolve_check_in(broker, AWAY), Err(Refusal::NotFound));
        assert_eq!(resolve_check_in(admin, HOME), Err(Refusal::NotFound));
    }

    #[test]
    fn brokers_read_the_agreement_and_only_members_confirm_it() {
        let bea = Member::at(1).unwrap_or(Member::REQUESTER);
        use AgreementCommand::{Confirm, Edit, Read};
        assert_eq!(agreement(Relation::Person(bea), false, Confirm), Ok(Some(bea)));
        assert_eq!(agreement(Relation::Person(bea), true, Read), Err(Refusal::NotFound), "a leaver");
        assert_eq!(agreement(Relation::SupporterOf(bea), false, Edit), Ok(Some(bea)));
        assert_eq!(
            agreement(Relation::SupporterOf(bea), false, Confirm),
            Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal))
        );
        for reader in [Relation::BrokerForArea, Relation::Admin] {
            assert_eq!(agreement(reader, false, Read), Ok(None));
            for command in [Edit, Confirm] {
                assert_eq!(agreement(reader, false, command), Err(Refusal::Forbidden(Forbidden::MembersOnly)));
            }
        }
        assert_eq!(agreement(Relation::Stranger, false, Read), Err(Refusal::NotFound));
    }

    #[test]
    fn insights_are_for_the_authority_s_brokers_and_admins() {
        let home = [HOME.to_owned()];
        assert_eq!(insights(actor(Role::Broker, 4, &[], &home), HOME), Ok(()));
        assert_eq!(
            insights(actor(Role::Broker, 4, &[], &home), AWAY),
            Err(Refusal::Forbidden(Forbidden::OutsideAuthority))
        );
        assert_eq!(insights(actor(Role::Admin, 5, &[], &[]), AWAY), Ok(()));
        assert_eq!(insights(actor(Role::Member, 1, &[], &[]), HOME), Err(Refusal::Forbidden(Forbidden::BrokerOnly)));
    }
}
