//! The consent rules as a whole, on random sequences (10,000 cases): every
//! role tries every action, people block each other, are erased, and time
//! passes. The API runs exactly these functions (`access::relation`,
//! `access::permit`, `introduction::apply`, `introduction::leaving_action`,
//! `access::shows_contacts`) inside its write transactions; the black-box
//! suite drives the same kind of sequences over HTTP.
//!
//! Checked after every step:
//! - contact details are visible to someone if and only if the introduction
//!   is `introduced`, both people said yes with their own token, nobody
//!   withdrew, blocked or was erased, and the viewer is one of the two, their
//!   supporter or a broker for the area;
//! - states only move along the diagram;
//! - every accepted action yields exactly one transition (one event), and a
//!   refused one changes nothing.

use chrono::{DateTime, Duration, Utc};
use friends_domain::access::{
    Actor, Command, Parties, Perspective, Refusal, Role, permit, relation, shown_status, shows_contacts,
};
use friends_domain::introduction::{Action, IntroductionState, IntroductionStatus, Party, apply, leaving_action};
use proptest::prelude::*;
use uuid::Uuid;

const HOME: &str = "E09000027";
const AWAY: &str = "E08000003";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Ada,
    Bea,
    AdaSupporter,
    BeaSupporter,
    Broker,
    BrokerElsewhere,
    Stranger,
    Admin,
}

const EVERYONE: [Who; 8] = [
    Who::Ada,
    Who::Bea,
    Who::AdaSupporter,
    Who::BeaSupporter,
    Who::Broker,
    Who::BrokerElsewhere,
    Who::Stranger,
    Who::Admin,
];

#[derive(Debug, Clone, Copy)]
enum Step {
    Request(Who),
    Approve(Who),
    Decline(Who),
    Consent(Who, bool),
    Withdraw(Who),
    End(Who),
    Block(Who),
    Erase(Who),
    Wait(i64),
    Expire,
}

fn who() -> impl Strategy<Value = Who> {
    proptest::sample::select(EVERYONE.to_vec())
}

/// Mostly the people who can act, sometimes anyone: random sequences must
/// reach `introduced` and beyond often, not only bounce off refusals.
fn mostly(likely: &'static [Who]) -> impl Strategy<Value = Who> {
    prop_oneof![3 => proptest::sample::select(likely), 1 => who()]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => mostly(&[Who::Ada, Who::AdaSupporter]).prop_map(Step::Request),
        3 => mostly(&[Who::Broker]).prop_map(Step::Approve),
        1 => mostly(&[Who::Broker]).prop_map(Step::Decline),
        4 => (mostly(&[Who::Ada, Who::Bea]), proptest::bool::weighted(0.85)).prop_map(|(who, yes)| Step::Consent(who, yes)),
        1 => mostly(&[Who::Ada, Who::Bea, Who::AdaSupporter, Who::BeaSupporter]).prop_map(Step::Withdraw),
        2 => mostly(&[Who::Ada, Who::Bea, Who::AdaSupporter, Who::BeaSupporter]).prop_map(Step::End),
        1 => proptest::sample::select(vec![Who::Ada, Who::Bea, Who::AdaSupporter, Who::BeaSupporter]).prop_map(Step::Block),
        1 => proptest::sample::select(vec![Who::Ada, Who::Bea]).prop_map(Step::Erase),
        1 => (1i64..40).prop_map(Step::Wait),
        1 => Just(Step::Expire),
    ]
}

struct World {
    ada: Uuid,
    bea: Uuid,
    home: Vec<String>,
    away: Vec<String>,
    acts_for_ada: Vec<Uuid>,
    acts_for_bea: Vec<Uuid>,
    subjects: [Uuid; 8],
}

impl World {
    fn new() -> Self {
        let (ada, bea) = (Uuid::from_u128(1), Uuid::from_u128(2));
        Self {
            ada,
            bea,
            home: vec![HOME.to_owned()],
            away: vec![AWAY.to_owned()],
            acts_for_ada: vec![ada],
            acts_for_bea: vec![bea],
            subjects: [
                ada,
                bea,
                Uuid::from_u128(3),
                Uuid::from_u128(4),
                Uuid::from_u128(5),
                Uuid::from_u128(6),
                Uuid::from_u128(7),
                Uuid::from_u128(8),
            ],
        }
    }

    fn actor(&self, who: Who) -> Actor<'_> {
        let subject = self.subjects[EVERYONE.iter().position(|one| *one == who).unwrap_or(0)];
        let (role, acts_for, authorities): (Role, &[Uuid], &[String]) = match who {
            Who::Ada | Who::Bea | Who::Stranger => (Role::Member, &[], &[]),
            Who::AdaSupporter => (Role::Supporter, &self.acts_for_ada, &[]),
            Who::BeaSupporter => (Role::Supporter, &self.acts_for_bea, &[]),
            Who::Broker => (Role::Broker, &[], &self.home),
            Who::BrokerElsewhere => (Role::Broker, &[], &self.away),
            Who::Admin => (Role::Admin, &[], &[]),
        };
        Actor { role, subject, acts_for, authorities }
    }

    fn parties(&self) -> Parties<'_> {
        Parties { requester: self.ada, recipient: self.bea, requester_authority: HOME, recipient_authority: HOME }
    }
}

/// One introduction between Ada (requester) and Bea, as the service keeps it.
#[derive(Debug, Clone)]
struct Introduction {
    state: IntroductionState,
    approved: bool,
    closed_by: Option<Party>,
    events: usize,
    /// Who said yes with their own member token (tracked here, not by the
    /// rules under test).
    personal_yes: [bool; 2],
    /// Someone withdrew, blocked or was erased while it was open.
    left: bool,
}

/// Whether a member token of `who` is the person themselves for `party`.
fn personal(who: Who, party: Party) -> bool {
    matches!((who, party), (Who::Ada, Party::Requester) | (Who::Bea, Party::Recipient))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn contacts_show_only_after_two_personal_yeses_and_states_follow_the_diagram(
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        let world = World::new();
        let mut now = DateTime::<Utc>::UNIX_EPOCH;
        let mut current: Option<Introduction> = None;
        let mut blocked = false;
        let mut erased = false;
        for step in steps {
            let before = current.clone();
            match step {
                Step::Request(who) => {
                    // Who may ask for Ada: herself, her supporter, a broker
                    // for her area (admins never).
                    let may = matches!(who, Who::Ada | Who::AdaSupporter | Who::Broker);
                    let open = current.as_ref().is_some_and(|intro| intro.state.status.is_open());
                    if may && !open && !blocked && !erased {
                        let asked_personally = who == Who::Ada;
                        current = Some(Introduction {
                            state: IntroductionState::new(asked_personally, now),
                            approved: false,
                            closed_by: None,
                            events: 1,
                            personal_yes: [asked_personally, false],
                            left: false,
                        });
                    }
                }
                Step::Block(who) | Step::Erase(who) => {
                    // Both withdraw (or end) every open introduction between
                    // the two, on the blocker's or erased person's behalf.
                    let side = if matches!(who, Who::Ada | Who::AdaSupporter) { Party::Requester } else { Party::Recipient };
                    if let Some(intro) = current.as_mut()
                        && let Some(action) = leaving_action(intro.state.status)
                    {
                        let (next, transition) = apply(intro.state, action, now)
                            .map_err(|error| TestCaseError::fail(error.to_string()))?;
                        prop_assert!(transition.from.may_become(transition.to));
                        intro.state = next;
                        intro.events += 1;
                        intro.left = true;
                        intro.closed_by = Some(side);
                    }
                    if matches!(step, Step::Block(_)) { blocked = true } else { erased = true }
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
                    let relation = relation(world.actor(who), world.parties());
                    let outcome = permit(relation, intro.approved, command);
                    let Ok(party) = outcome else {
                        // Refused before the state machine: nothing changes.
                        if outcome == Err(Refusal::NotFound) {
                            prop_assert!(matches!(who, Who::BrokerElsewhere | Who::Stranger)
                                || (!intro.approved && matches!(who, Who::Bea | Who::BeaSupporter)));
                        }
                        continue;
                    };
                    let action = match step {
                        Step::Approve(_) => Action::Approve,
                        Step::Decline(_) => Action::BrokerDecline,
                        Step::Consent(_, accept) => Action::Consent { party: party.unwrap_or(Party::Requester), accept },
                        Step::Withdraw(_) => Action::Withdraw,
                        _ => Action::End,
                    };
                    if let Ok((next, transition)) = apply(intro.state, action, now) {
                        prop_assert_eq!(transition.from, intro.state.status);
                        prop_assert_eq!(transition.to, next.status);
                        prop_assert!(transition.from.may_become(transition.to), "{:?}", transition);
                        if let Action::Consent { party, accept: true } = action {
                            prop_assert!(personal(who, party), "{:?} consented for {:?}", who, party);
                            intro.personal_yes[usize::from(party == Party::Recipient)] = true;
                        }
                        if action == Action::Approve {
                            intro.approved = true;
                        }
                        if matches!(action, Action::Withdraw | Action::End | Action::Consent { accept: false, .. }) {
                            intro.closed_by = party;
                        }
                        if action == Action::Withdraw {
                            intro.left = true;
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
                && intro.personal_yes == [true, true]
                && !intro.left && !blocked && !erased;
            for viewer in EVERYONE {
                let perspective = relation(world.actor(viewer), world.parties()).perspective(intro.approved);
                let sees = perspective.is_some_and(|perspective| shows_contacts(status, perspective));
                let entitled = matches!(viewer, Who::Ada | Who::Bea | Who::AdaSupporter | Who::BeaSupporter | Who::Broker);
                prop_assert_eq!(sees, truly_introduced && entitled, "{:?} in {:?}", viewer, intro);
                // The requester's side never reads a decline or an expiry.
                if perspective == Some(Perspective::Side(Party::Requester)) {
                    let shown = shown_status(status, intro.closed_by, Perspective::Side(Party::Requester));
                    prop_assert!(!matches!(shown, friends_domain::access::ShownStatus::Declined
                        | friends_domain::access::ShownStatus::Expired));
                }
            }
        }
    }
}
