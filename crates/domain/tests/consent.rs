//! The consent rules as a whole, on random sequences (10,000 cases) over
//! introductions of 2 to 6 members: every role tries every action, members
//! block each other, are erased, and time passes. The API runs exactly
//! these functions (`policy::relation`, `policy::permit`,
//! `introduction::apply`, `introduction::leaving_action`,
//! `policy::shows_contacts`) inside its write transactions; the black-box
//! suite drives the same kind of sequences over HTTP.
//!
//! Checked after every step:
//! - contact details are visible to someone if and only if the introduction
//!   is `introduced`, every member said yes with their own token, nobody
//!   withdrew before it, the viewer's member has not left (ended, blocked or
//!   was erased), and the viewer is a member, their supporter or a broker
//!   for the area;
//! - states only move along the diagram;
//! - every accepted action yields exactly one transition (one event), and a
//!   refused one changes nothing;
//! - the requester's side (and in a group every side) never reads a decline
//!   or an expiry.

use chrono::{DateTime, Duration, Utc};
use friends_domain::introduction::{
    Action, IntroductionState, IntroductionStatus, MAX_MEMBERS, MIN_MEMBERS, Member, apply, leaving_action,
};
use friends_domain::policy::{
    Actor, Command, Party, Perspective, Refusal, Role, ShownStatus, permit, relation, shown_status, shows_contacts,
};
use proptest::prelude::*;
use uuid::Uuid;

const HOME: &str = "E09000027";
const AWAY: &str = "E08000003";

/// A caller. Members and supporters are by place (0 is the requester);
/// places past the group's size are strangers to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Person(usize),
    SupporterOf(usize),
    Broker,
    BrokerElsewhere,
    Stranger,
    Admin,
}

fn everyone(members: usize) -> Vec<Who> {
    let mut all: Vec<Who> = (0..members).map(Who::Person).collect();
    all.extend((0..members).map(Who::SupporterOf));
    all.extend([Who::Broker, Who::BrokerElsewhere, Who::Stranger, Who::Admin]);
    all
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Request(Who),
    Approve(Who),
    Decline(Who),
    Consent(Who, bool),
    Withdraw(Who),
    End(Who),
    Block(usize),
    Erase(usize),
    Wait(i64),
    Expire,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        4 => (0..MAX_MEMBERS).prop_map(Who::Person),
        2 => (0..MAX_MEMBERS).prop_map(Who::SupporterOf),
        2 => Just(Who::Broker),
        1 => Just(Who::BrokerElsewhere),
        1 => Just(Who::Stranger),
        1 => Just(Who::Admin),
    ]
}

/// Mostly the people who can act, sometimes anyone: random sequences must
/// reach `introduced` and beyond often, not only bounce off refusals.
fn mostly(likely: impl Strategy<Value = Who> + 'static) -> impl Strategy<Value = Who> {
    prop_oneof![3 => likely, 1 => who()]
}

fn person() -> impl Strategy<Value = Who> {
    (0..MAX_MEMBERS).prop_map(Who::Person)
}

fn side() -> impl Strategy<Value = Who> {
    prop_oneof![(0..MAX_MEMBERS).prop_map(Who::Person), (0..MAX_MEMBERS).prop_map(Who::SupporterOf)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => mostly(prop_oneof![Just(Who::Person(0)), Just(Who::SupporterOf(0))]).prop_map(Step::Request),
        3 => mostly(Just(Who::Broker)).prop_map(Step::Approve),
        1 => mostly(Just(Who::Broker)).prop_map(Step::Decline),
        8 => (mostly(person()), proptest::bool::weighted(0.93)).prop_map(|(who, yes)| Step::Consent(who, yes)),
        1 => mostly(side()).prop_map(Step::Withdraw),
        2 => mostly(side()).prop_map(Step::End),
        1 => (0..MAX_MEMBERS).prop_map(Step::Block),
        1 => (0..MAX_MEMBERS).prop_map(Step::Erase),
        1 => (1i64..40).prop_map(Step::Wait),
        1 => Just(Step::Expire),
    ]
}

struct World {
    members: usize,
    people: Vec<Uuid>,
    /// One supporter per place, acting for that person.
    acts_for: Vec<Vec<Uuid>>,
    home: Vec<String>,
    away: Vec<String>,
}

impl World {
    fn new(members: usize) -> Self {
        let people: Vec<Uuid> = (0..MAX_MEMBERS as u128).map(|index| Uuid::from_u128(index + 1)).collect();
        Self {
            members,
            acts_for: people.iter().map(|person| vec![*person]).collect(),
            people,
            home: vec![HOME.to_owned()],
            away: vec![AWAY.to_owned()],
        }
    }

    fn actor(&self, who: Who) -> Actor<'_> {
        let (role, subject, acts_for, authorities): (Role, u128, &[Uuid], &[String]) = match who {
            Who::Person(index) => (Role::Member, index as u128 + 1, &[], &[]),
            Who::SupporterOf(index) => (Role::Supporter, 100 + index as u128, &self.acts_for[index], &[]),
            Who::Broker => (Role::Broker, 200, &[], &self.home),
            Who::BrokerElsewhere => (Role::Broker, 201, &[], &self.away),
            Who::Stranger => (Role::Member, 202, &[], &[]),
            Who::Admin => (Role::Admin, 203, &[], &[]),
        };
        Actor { role, subject: Uuid::from_u128(subject), acts_for, authorities }
    }

    fn parties(&self) -> Vec<Party<'static>> {
        self.people[..self.members].iter().map(|person| Party { person: *person, authority: HOME }).collect()
    }

    /// The member a caller is, or supports, if any.
    fn member_of(&self, who: Who) -> Option<Member> {
        match who {
            Who::Person(index) | Who::SupporterOf(index) if index < self.members => Member::at(index),
            _ => None,
        }
    }
}

/// One introduction among the world's members, as the service keeps it.
#[derive(Debug, Clone)]
struct Introduction {
    state: IntroductionState,
    approved: bool,
    closed_by: Option<Member>,
    events: usize,
    /// Who said yes with their own member token (tracked here, not by the
    /// rules under test).
    personal_yes: Vec<bool>,
    /// Who left (ended, withdrew, blocked or was erased).
    left: Vec<bool>,
    /// Someone withdrew before the introduction.
    withdrawn: bool,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn contacts_show_only_after_every_personal_yes_and_states_follow_the_diagram(
        members in MIN_MEMBERS..=MAX_MEMBERS,
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let world = World::new(members);
        let parties = world.parties();
        let mut now = DateTime::<Utc>::UNIX_EPOCH;
        let mut current: Option<Introduction> = None;
        // A block or an erasure keeps these people out of any new request.
        let mut gone = vec![false; members];
        for step in steps {
            let before = current.clone();
            match step {
                Step::Request(who) => {
                    // Who may ask for the requester: herself, her supporter,
                    // a broker for her area (admins never).
                    let may = matches!(who, Who::Person(0) | Who::SupporterOf(0) | Who::Broker);
                    let open = current.as_ref().is_some_and(|intro| intro.state.status.is_open());
                    if may && !open && !gone.iter().any(|gone| *gone) {
                        let asked_personally = who == Who::Person(0);
                        let state = IntroductionState::new(members, asked_personally, now)
                            .ok_or_else(|| TestCaseError::fail("a valid member count"))?;
                        let mut personal_yes = vec![false; members];
                        personal_yes[0] = asked_personally;
                        current = Some(Introduction {
                            state,
                            approved: false,
                            closed_by: None,
                            events: 1,
                            personal_yes,
                            left: vec![false; members],
                            withdrawn: false,
                        });
                    }
                }
                Step::Block(index) | Step::Erase(index) => {
                    // The member leaves every open introduction they are in,
                    // on their own behalf.
                    let Some(member) = Member::at(index).filter(|_| index < members) else { continue };
                    if let Some(intro) = current.as_mut()
                        && !intro.left[index]
                        && let Some(action) = leaving_action(intro.state.status, member)
                    {
                        let (next, transition) = apply(intro.state, action, now)
                            .map_err(|error| TestCaseError::fail(error.to_string()))?;
                        prop_assert!(transition.from.may_become(transition.to));
                        intro.withdrawn |= matches!(action, Action::Withdraw { .. });
                        intro.state = next;
                        intro.events += 1;
                        intro.left[index] = true;
                        if next.status.is_final() {
                            intro.closed_by = Some(member);
                        }
                    }
                    gone[index] = true;
                }
                Step::Wait(days) => now += Duration::days(days),
                Step::Expire => {
                    if let Some(intro) = current.as_mut()
                        && let Ok((next, _)) = apply(intro.state, Action::Expire, now)
                    {
                        intro.state = next;
                        intro.events += 1;
                    }
                }
                Step::Approve(who) | Step::Decline(who) | Step::Consent(who, _) | Step::Withdraw(who) | Step::End(who) => {
                    let Some(intro) = current.as_mut() else { continue };
                    let command = match step {
                        Step::Approve(_) => Command::Approve,
                        Step::Decline(_) => Command::Decline,
                        Step::Consent(..) => Command::Consent,
                        _ => Command::Leave,
                    };
                    let relation = relation(world.actor(who), &parties);
                    let outcome = permit(relation, intro.approved, command);
                    let Ok(member) = outcome else {
                        // Refused before the state machine: nothing changes.
                        if outcome == Err(Refusal::NotFound) {
                            let outsider = world.member_of(who).is_none()
                                && !matches!(who, Who::Broker | Who::Admin);
                            let unapproved_other = !intro.approved
                                && world.member_of(who).is_some_and(|member| !member.is_requester());
                            prop_assert!(outsider || unapproved_other, "{:?} got not-found", who);
                        }
                        continue;
                    };
                    prop_assert_eq!(member, world.member_of(who).filter(|_| command != Command::Approve && command != Command::Decline));
                    let action = match (step, member) {
                        (Step::Approve(_), _) => Action::Approve,
                        (Step::Decline(_), _) => Action::BrokerDecline,
                        (Step::Consent(_, accept), Some(member)) => Action::Consent { member, accept },
                        (Step::Withdraw(_), Some(member)) => Action::Withdraw { member },
                        (_, Some(member)) => Action::End { member },
                        (_, None) => return Err(TestCaseError::fail("a member's command without a member")),
                    };
                    if let Ok((next, transition)) = apply(intro.state, action, now) {
                        prop_assert_eq!(transition.from, intro.state.status);
                        prop_assert_eq!(transition.to, next.status);
                        prop_assert!(transition.from.may_become(transition.to), "{:?}", transition);
                        match action {
                            Action::Consent { member, accept: true } => {
                                prop_assert_eq!(who, Who::Person(member.index()), "consent given for someone else");
                                intro.personal_yes[member.index()] = true;
                            }
                            Action::Consent { member, accept: false } if next.status.is_final() => {
                                intro.closed_by = Some(member);
                                if next.status == IntroductionStatus::Withdrawn {
                                    intro.left[member.index()] = true;
                                    intro.withdrawn = true;
                                }
                            }
                            Action::Withdraw { member } => {
                                intro.closed_by = Some(member);
                                intro.left[member.index()] = true;
                                intro.withdrawn = true;
                            }
                            Action::End { member } => {
                                intro.left[member.index()] = true;
                                if next.status.is_final() {
                                    intro.closed_by = Some(member);
                                }
                            }
                            Action::Approve => intro.approved = true,
                            _ => {}
                        }
                        intro.state = next;
                        intro.events += 1;
                    }
                }
            }
            // A refused step changed nothing; an accepted one left one event.
            if let (Some(old), Some(new)) = (&before, &current)
                && old.events == new.events
            {
                prop_assert_eq!(old.state, new.state);
            }
            let Some(intro) = &current else { continue };
            let status = intro.state.status;
            let truly_introduced = status == IntroductionStatus::Introduced
                && intro.personal_yes.iter().all(|yes| *yes)
                && !intro.withdrawn
                && intro.left.iter().filter(|left| !**left).count() >= MIN_MEMBERS;
            for viewer in everyone(members) {
                let perspective = relation(world.actor(viewer), &parties).perspective(intro.approved);
                let viewer_left = world.member_of(viewer).is_some_and(|member| intro.left[member.index()]);
                let sees = perspective.is_some_and(|perspective| shows_contacts(status, perspective, viewer_left));
                let entitled = matches!(viewer, Who::Broker)
                    || world.member_of(viewer).is_some_and(|member| !intro.left[member.index()]);
                prop_assert_eq!(sees, truly_introduced && entitled, "{:?} in {:?}", viewer, intro);
                // The requester's side, and in a group every side, never
                // reads someone else's decline or an expiry.
                if let Some(Perspective::Side(member)) = perspective
                    && (member.is_requester() || members > 2)
                    && intro.closed_by != Some(member)
                {
                    let shown = shown_status(status, intro.closed_by, Perspective::Side(member), members);
                    prop_assert!(!matches!(shown, ShownStatus::Declined | ShownStatus::Expired), "{:?} reads {:?}", viewer, shown);
                }
            }
        }
    }
}
