//! Who may do what (DESIGN §5 and §6), in one place, as pure functions of
//! the caller ([`Actor`]) and what they act on. Every route's service asks
//! one of these before it reads or changes anything, and the route table
//! names the [`Rule`] each route applies, so that a test can walk every
//! route × caller × relationship.
//!
//! - Anything a caller may not know exists is [`Refusal::NotFound`]
//!   (answered 404, never 403, so that ids cannot be probed).
//! - A caller who may see something but not do this gets a
//!   [`Refusal::Forbidden`] with its reason.
//! - A member acts on their own profile (`sub` = person id); a supporter on
//!   the people in `acts_for`; a broker on the people in their authorities;
//!   an admin on everything (audited by the API), but never consents, asks
//!   or reports for anyone, and never sees contact details.
//!
//! The introduction rules (relations, perspectives, commands, what each
//! side reads) are in `introductions.rs`, what follows an introduction
//! (check-ins, the agreement, insights) in `aftercare.rs`, and the caller
//! and refusal types in `actor.rs`; all are re-exported here.

mod actor;
mod aftercare;
mod introductions;

pub use actor::*;
pub use aftercare::*;
pub use introductions::*;
use uuid::Uuid;

/// The rule a route applies: one per route in the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, without a token: liveness and readiness, the embed widget's
    /// script and demo page.
    Open,
    /// Anyone, with or without a token: the vocabularies and areas (open
    /// data).
    AnyCaller,
    /// [`create_profile`].
    CreateProfile,
    /// [`manage_profile`]: read, change, erase, export, suggestions.
    ManageProfile,
    /// [`search_scope`].
    Search,
    /// [`act_for`]: blocking, and lifting a block.
    ActFor,
    /// [`request_introduction`].
    RequestIntroduction,
    /// [`list_introductions`].
    ListIntroductions,
    /// [`Relation::perspective`]: reading an introduction or its events.
    SeeIntroduction,
    /// [`permit`]: a command on an introduction.
    Introduction(Command),
    /// [`queue_scope`].
    BrokerQueue,
    /// [`report`].
    Report,
    /// [`resolve_report`].
    ResolveReport,
    /// [`admin_only`]: embed keys.
    AdminOnly,
    /// [`admin_operation`]: bulk import, reindex.
    AdminOperation,
    /// The embed key is the caller (public routes): no bearer token counts,
    /// and results stay in the key's authority.
    EmbedKey,
    /// [`resolve_enquiry`].
    ResolveEnquiry,
    /// [`read_check_ins`].
    CheckIns,
    /// [`answer_check_in`].
    AnswerCheckIn,
    /// [`resolve_check_in`].
    ResolveCheckIn,
    /// [`agreement`]: the pooling agreement.
    Agreement(AgreementCommand),
    /// [`insights`].
    Insights,
}

/// [`Rule::ManageProfile`]: the caller may manage `person` (in
/// `authority`), or may not know they exist.
pub fn manage_profile(actor: Actor<'_>, person: Uuid, authority: &str) -> Result<(), Refusal> {
    if actor.may_manage(person, authority) { Ok(()) } else { Err(Refusal::NotFound) }
}

/// Where a new profile's id comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewProfileId {
    /// A member's own profile: their token's `sub`.
    Subject,
    /// Anyone else's: a new id, which the identity provider then uses.
    Fresh,
}

/// [`Rule::CreateProfile`] (and changing a profile's area): brokers keep
/// profiles only in their authorities; everyone else may.
pub fn create_profile(actor: Actor<'_>, authority: &str) -> Result<NewProfileId, Refusal> {
    keep_profile_in(actor, authority)?;
    Ok(if actor.role == Role::Member { NewProfileId::Subject } else { NewProfileId::Fresh })
}

/// Whether the caller may keep a profile in `authority`.
pub fn keep_profile_in(actor: Actor<'_>, authority: &str) -> Result<(), Refusal> {
    if actor.role == Role::Broker && !actor.covers(authority) {
        return Err(Refusal::Forbidden(Forbidden::OutsideAuthority));
    }
    Ok(())
}

/// [`Rule::ActFor`]: blocking (and lifting a block) is for the person
/// themselves or their supporter; brokers and admins cannot.
pub fn act_for(actor: Actor<'_>, person: Uuid) -> Result<(), Refusal> {
    let may = match actor.role {
        Role::Member => actor.subject == person,
        Role::Supporter => actor.acts_for.contains(&person),
        Role::Broker | Role::Admin => false,
    };
    if may { Ok(()) } else { Err(Refusal::NotFound) }
}

/// [`Rule::RequestIntroduction`]: a request on behalf of `requester` (in
/// `authority`, `None` if there is no such person) is made by whoever
/// manages them, admins excepted. Returns whether the requester asked
/// personally (their own token: their consent).
pub fn request_introduction(actor: Actor<'_>, requester: Uuid, authority: Option<&str>) -> Result<bool, Refusal> {
    if actor.role == Role::Admin {
        return Err(Refusal::Forbidden(Forbidden::RoleNotAllowed));
    }
    match authority {
        Some(authority) if actor.may_manage(requester, authority) => Ok(actor.role == Role::Member),
        _ => Err(Refusal::NotFound),
    }
}

/// Which introductions a caller's list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Every introduction (admins).
    Everything,
    /// Those these people are members of (requests to them once approved).
    People(Vec<Uuid>),
    /// Those with a member in these authorities.
    Authorities(Vec<String>),
}

/// [`Rule::ListIntroductions`]: the caller's own scope, narrowed to
/// `person` when asked (who must be someone the caller manages, or, for an
/// admin, an erased person: `authority` is `None`).
pub fn list_introductions(actor: Actor<'_>, person: Option<(Uuid, Option<&str>)>) -> Result<ListScope, Refusal> {
    if let Some((person, authority)) = person {
        let known = match authority {
            Some(authority) => actor.may_manage(person, authority),
            None => actor.role == Role::Admin,
        };
        if !known {
            return Err(Refusal::NotFound);
        }
    }
    Ok(match actor.role {
        Role::Member => ListScope::People(vec![actor.subject]),
        Role::Supporter => ListScope::People(actor.acts_for.to_vec()),
        Role::Broker => ListScope::Authorities(actor.authorities.to_vec()),
        Role::Admin => ListScope::Everything,
    })
}

/// [`Rule::BrokerQueue`]: the authorities whose queue a broker reads (one
/// they cover, or all of them).
pub fn queue_scope(actor: Actor<'_>, authority: Option<&str>) -> Result<Vec<String>, Refusal> {
    match (actor.role, authority) {
        (Role::Broker, None) => Ok(actor.authorities.to_vec()),
        (Role::Broker, Some(authority)) if actor.covers(authority) => Ok(vec![authority.to_owned()]),
        (Role::Broker, Some(_)) => Err(Refusal::Forbidden(Forbidden::OutsideAuthority)),
        (Role::Member | Role::Supporter | Role::Admin, _) => Err(Refusal::Forbidden(Forbidden::BrokerOnly)),
    }
}

/// [`Rule::Report`]: a report is raised on behalf of `reporter` (in
/// `authority`, `None` if there is no such person) by whoever manages them,
/// or by a broker as themselves; never by an admin.
pub fn report(actor: Actor<'_>, reporter: Uuid, authority: Option<&str>) -> Result<(), Refusal> {
    if actor.role == Role::Admin {
        return Err(Refusal::Forbidden(Forbidden::RoleNotAllowed));
    }
    let as_themselves = actor.role == Role::Broker && actor.subject == reporter;
    let on_behalf = authority.is_some_and(|authority| actor.may_manage(reporter, authority));
    if as_themselves || on_behalf { Ok(()) } else { Err(Refusal::NotFound) }
}

/// [`Rule::ResolveReport`]: a broker for the reported person's area; anyone
/// else may not know the report exists.
pub fn resolve_report(actor: Actor<'_>, about_authority: &str) -> Result<(), Refusal> {
    if actor.role == Role::Broker && actor.covers(about_authority) { Ok(()) } else { Err(Refusal::NotFound) }
}

/// [`Rule::AdminOnly`]: admins only; anyone else is told so (there is
/// nothing here whose existence could be probed).
pub fn admin_only(actor: Actor<'_>) -> Result<(), Refusal> {
    if actor.role == Role::Admin { Ok(()) } else { Err(Refusal::Forbidden(Forbidden::AdminOnly)) }
}

/// [`Rule::AdminOperation`]: the operators' own operations (bulk import,
/// reindex); anyone else may not know they exist.
pub fn admin_operation(actor: Actor<'_>) -> Result<(), Refusal> {
    if actor.role == Role::Admin { Ok(()) } else { Err(Refusal::NotFound) }
}

/// A public listing is the person's own choice (DESIGN §6): only the person,
/// with their own token, turns `public_listing` on (in a new profile or a
/// change); anyone who manages the profile may turn it off.
pub fn public_listing(actor: Actor<'_>, person: Uuid, before: bool, after: bool) -> Result<(), Refusal> {
    let turning_on = after && !before;
    if turning_on && !(actor.role == Role::Member && actor.subject == person) {
        return Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal));
    }
    Ok(())
}

/// [`Rule::ResolveEnquiry`]: a broker for the embed key's authority; anyone
/// else may not know the enquiry exists.
pub fn resolve_enquiry(actor: Actor<'_>, authority: &str) -> Result<(), Refusal> {
    if actor.role == Role::Broker && actor.covers(authority) { Ok(()) } else { Err(Refusal::NotFound) }
}

/// Where a caller's search looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchScope {
    /// A member: people within their own travel limit, never themselves.
    AroundMember(Uuid),
    /// Supporters, brokers and admins: everyone findable (an `authority`
    /// filter narrows it).
    Everyone,
}

/// [`Rule::Search`]: scope comes from the caller, never from the query.
pub fn search_scope(actor: Actor<'_>) -> SearchScope {
    match actor.role {
        Role::Member => SearchScope::AroundMember(actor.subject),
        Role::Supporter | Role::Broker | Role::Admin => SearchScope::Everyone,
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
    fn profiles_are_managed_by_the_person_their_supporter_their_broker_and_admins() {
        let ada = Uuid::from_u128(1);
        let home = [HOME.to_owned()];
        let supported = [ada];
        assert_eq!(manage_profile(actor(Role::Member, 1, &[], &[]), ada, HOME), Ok(()));
        assert_eq!(manage_profile(actor(Role::Member, 2, &[], &[]), ada, HOME), Err(Refusal::NotFound));
        assert_eq!(manage_profile(actor(Role::Supporter, 3, &supported, &[]), ada, AWAY), Ok(()));
        assert_eq!(manage_profile(actor(Role::Broker, 4, &[], &home), ada, HOME), Ok(()));
        assert_eq!(manage_profile(actor(Role::Broker, 4, &[], &home), ada, AWAY), Err(Refusal::NotFound));
        assert_eq!(manage_profile(actor(Role::Admin, 5, &[], &[]), ada, AWAY), Ok(()));
        assert_eq!(
            create_profile(actor(Role::Broker, 4, &[], &home), AWAY),
            Err(Refusal::Forbidden(Forbidden::OutsideAuthority))
        );
        assert_eq!(create_profile(actor(Role::Member, 1, &[], &[]), AWAY), Ok(NewProfileId::Subject));
    }

    #[test]
    fn admins_never_ask_block_or_report_for_anyone() {
        let ada = Uuid::from_u128(1);
        let admin = actor(Role::Admin, 5, &[], &[]);
        assert_eq!(request_introduction(admin, ada, Some(HOME)), Err(Refusal::Forbidden(Forbidden::RoleNotAllowed)));
        assert_eq!(report(admin, ada, Some(HOME)), Err(Refusal::Forbidden(Forbidden::RoleNotAllowed)));
        assert_eq!(act_for(admin, ada), Err(Refusal::NotFound));
        let home = [HOME.to_owned()];
        assert_eq!(act_for(actor(Role::Broker, 4, &[], &home), ada), Err(Refusal::NotFound));
        assert_eq!(report(actor(Role::Broker, 4, &[], &home), Uuid::from_u128(4), None), Ok(()));
        assert_eq!(request_introduction(actor(Role::Member, 1, &[], &[]), ada, Some(HOME)), Ok(true));
        assert_eq!(request_introduction(actor(Role::Broker, 4, &[], &home), ada, Some(HOME)), Ok(false));
    }

    #[test]
    fn only_the_person_turns_a_public_listing_on_and_anyone_managing_turns_it_off() {
        let ada = Uuid::from_u128(1);
        let home = [HOME.to_owned()];
        let supported = [ada];
        let others = [
            actor(Role::Supporter, 3, &supported, &[]),
            actor(Role::Broker, 4, &[], &home),
            actor(Role::Admin, 5, &[], &[]),
            actor(Role::Member, 2, &[], &[]),
        ];
        assert_eq!(public_listing(actor(Role::Member, 1, &[], &[]), ada, false, true), Ok(()));
        for other in others {
            assert_eq!(
                public_listing(other, ada, false, true),
                Err(Refusal::Forbidden(Forbidden::ConsentMustBePersonal)),
                "{other:?}"
            );
            assert_eq!(public_listing(other, ada, true, false), Ok(()), "{other:?}");
            assert_eq!(public_listing(other, ada, true, true), Ok(()), "{other:?}: already on");
        }
        assert_eq!(admin_only(actor(Role::Admin, 5, &[], &[])), Ok(()));
        assert_eq!(admin_only(actor(Role::Broker, 4, &[], &home)), Err(Refusal::Forbidden(Forbidden::AdminOnly)));
        assert_eq!(resolve_enquiry(actor(Role::Broker, 4, &[], &home), HOME), Ok(()));
        assert_eq!(resolve_enquiry(actor(Role::Broker, 4, &[], &home), AWAY), Err(Refusal::NotFound));
        assert_eq!(resolve_enquiry(actor(Role::Admin, 5, &[], &[]), HOME), Err(Refusal::NotFound));
    }

    #[test]
    fn the_queue_is_for_brokers_and_their_own_areas() {
        let home = [HOME.to_owned()];
        let broker = actor(Role::Broker, 4, &[], &home);
        assert_eq!(queue_scope(broker, None), Ok(vec![HOME.to_owned()]));
        assert_eq!(queue_scope(broker, Some(AWAY)), Err(Refusal::Forbidden(Forbidden::OutsideAuthority)));
        for role in [Role::Member, Role::Supporter, Role::Admin] {
            assert_eq!(queue_scope(actor(role, 1, &[], &home), None), Err(Refusal::Forbidden(Forbidden::BrokerOnly)));
        }
        assert_eq!(resolve_report(broker, AWAY), Err(Refusal::NotFound));
        assert_eq!(resolve_report(actor(Role::Admin, 5, &[], &[]), HOME), Err(Refusal::NotFound));
    }
}
