//! The introduction state machine of DESIGN §5, as a pure function over
//! members: a requester and 1 to 5 others, each with their own consent. A
//! pair is the case of one other member.
//!
//! ```text
//!             member asks (or supporter/broker drafts)
//!                        |
//!                 pending_review ----broker declines----> declined
//!                        | broker approves
//!                 awaiting_consent --any member declines--> declined
//!                        | every member consents
//!                    introduced ----members leave until one is left----> ended
//!  any state before introduced --any member withdraws--> withdrawn
//!  pending_review / awaiting_consent --no action for expiry_days--> expired
//! ```
//!
//! Who may take an action (a broker for the area, the person themselves, a
//! supporter) is decided by `policy`; this module knows only which member an
//! action concerns and whether the move is on the diagram. Every accepted
//! action yields exactly one [`Transition`] (the event to record); every
//! other action is refused and changes nothing.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Days without action after which an open request expires.
pub const EXPIRY_DAYS: i64 = 30;

/// Where an introduction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntroductionStatus {
    /// Waiting for a broker.
    PendingReview,
    /// Approved; waiting for both people's own yes.
    AwaitingConsent,
    /// Both said yes: contact details are shared.
    Introduced,
    /// A person ended it after being introduced.
    Ended,
    /// A broker or a person said no.
    Declined,
    /// A person left before being introduced.
    Withdrawn,
    /// Nobody acted for [`EXPIRY_DAYS`].
    Expired,
}

impl IntroductionStatus {
    /// Whether the request is still open (counts against limits, excludes
    /// the pair from suggestions).
    pub fn is_open(self) -> bool {
        matches!(self, Self::PendingReview | Self::AwaitingConsent | Self::Introduced)
    }

    /// Whether it is waiting for someone (counts against the requester's
    /// `max_open_requests` and towards the recipient's exposure cap).
    pub fn is_waiting(self) -> bool {
        matches!(self, Self::PendingReview | Self::AwaitingConsent)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingReview => "pending_review",
            Self::AwaitingConsent => "awaiting_consent",
            Self::Introduced => "introduced",
            Self::Ended => "ended",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == value)
    }

    /// Every status.
    pub const ALL: [Self; 7] = [
        Self::PendingReview,
        Self::AwaitingConsent,
        Self::Introduced,
        Self::Ended,
        Self::Declined,
        Self::Withdrawn,
        Self::Expired,
    ];

    /// Whether the diagram of DESIGN §5 has an arrow from `self` to `to`
    /// (or they are the same: a first yes while waiting for the other).
    /// Tests check every transition against it; [`apply`] is the machine.
    pub fn may_become(self, to: Self) -> bool {
        use IntroductionStatus::{AwaitingConsent, Declined, Ended, Expired, Introduced, PendingReview, Withdrawn};
        self == to
            || matches!(
                (self, to),
                (PendingReview, AwaitingConsent | Declined | Withdrawn | Expired)
                    | (AwaitingConsent, Introduced | Declined | Withdrawn | Expired)
                    | (Introduced, Ended)
            )
    }

    /// Whether no action can change it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ended | Self::Declined | Self::Withdrawn | Self::Expired)
    }
}

/// Fewest members of an introduction: a pair.
pub const MIN_MEMBERS: usize = 2;
/// Most members of an introduction: a group of six.
pub const MAX_MEMBERS: usize = 6;

/// A member of an introduction, by place: the requester is
/// [`Member::REQUESTER`], the others follow in the order they were named
/// (in a pair, the one asked about is member 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member(u8);

impl Member {
    /// The person who asked.
    pub const REQUESTER: Self = Self(0);

    /// The member at `index`, if an introduction can have one there.
    pub const fn at(index: usize) -> Option<Self> {
        if index < MAX_MEMBERS {
            // MAX_MEMBERS fits in a u8.
            Some(Self(index as u8))
        } else {
            None
        }
    }

    /// Its place, from 0.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// Whether this is the requester.
    pub fn is_requester(self) -> bool {
        self == Self::REQUESTER
    }

    /// Every place an introduction of `count` members has, requester first.
    pub fn all(count: usize) -> impl Iterator<Item = Self> {
        (0..count.min(MAX_MEMBERS)).filter_map(Self::at)
    }
}

/// What someone does to an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A broker approves it for consent.
    Approve,
    /// A broker declines it.
    BrokerDecline,
    /// A member gives their own answer.
    Consent {
        /// Whose answer.
        member: Member,
        /// Yes or no.
        accept: bool,
    },
    /// A member (or their supporter) leaves before the introduction: it
    /// ends for everyone.
    Withdraw {
        /// Who leaves.
        member: Member,
    },
    /// A member (or their supporter) leaves after the introduction; it
    /// goes on while at least two members remain.
    End {
        /// Who leaves.
        member: Member,
    },
    /// The background task expires it (valid only once it is due).
    Expire,
}

impl Action {
    /// The member the action is taken for, if a member's side takes it.
    pub fn member(self) -> Option<Member> {
        match self {
            Self::Consent { member, .. } | Self::Withdraw { member } | Self::End { member } => Some(member),
            Self::Approve | Self::BrokerDecline | Self::Expire => None,
        }
    }
}

/// The state the machine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntroductionState {
    /// Status.
    pub status: IntroductionStatus,
    /// How many members (2 to 6).
    members: u8,
    /// Each member's own yes (a member who asks has said yes by asking).
    consented: [bool; MAX_MEMBERS],
    /// Who has left.
    left: [bool; MAX_MEMBERS],
    /// When anyone last acted (expiry counts from here).
    pub last_action_at: DateTime<Utc>,
}

impl IntroductionState {
    /// A new request among `members` people (2 to 6, the requester
    /// included); `None` for any other count. `requester_asked_personally`
    /// is true when the requester created it with their own token.
    pub fn new(members: usize, requester_asked_personally: bool, now: DateTime<Utc>) -> Option<Self> {
        let count = u8::try_from(members).ok().filter(|_| (MIN_MEMBERS..=MAX_MEMBERS).contains(&members))?;
        let mut consented = [false; MAX_MEMBERS];
        consented[0] = requester_asked_personally;
        Some(Self {
            status: IntroductionStatus::PendingReview,
            members: count,
            consented,
            left: [false; MAX_MEMBERS],
            last_action_at: now,
        })
    }

    /// A stored introduction: its status, and each member's (consented,
    /// left). `None` when the member count is out of range.
    pub fn restore(
        status: IntroductionStatus,
        members: &[(bool, bool)],
        last_action_at: DateTime<Utc>,
    ) -> Option<Self> {
        let mut state = Self::new(members.len(), false, last_action_at)?;
        state.status = status;
        for (index, (consented, left)) in members.iter().enumerate() {
            state.consented[index] = *consented;
            state.left[index] = *left;
        }
        Some(state)
    }

    /// How many members it has, those who left included.
    pub fn member_count(&self) -> usize {
        usize::from(self.members)
    }

    /// Whether `member` is one of its members.
    pub fn has(&self, member: Member) -> bool {
        member.index() < self.member_count()
    }

    /// Whether `member` said yes themselves.
    pub fn has_consented(&self, member: Member) -> bool {
        self.has(member) && self.consented[member.index()]
    }

    /// Whether `member` has left.
    pub fn has_left(&self, member: Member) -> bool {
        self.has(member) && self.left[member.index()]
    }

    /// Members who have not left.
    pub fn remaining(&self) -> usize {
        Member::all(self.member_count()).filter(|member| !self.has_left(*member)).count()
    }

    /// Whether every member said yes themselves.
    pub fn all_consented(&self) -> bool {
        Member::all(self.member_count()).all(|member| self.has_consented(member))
    }

    /// When it expires if nobody acts.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.last_action_at + Duration::days(EXPIRY_DAYS)
    }
}

/// What leaving means for `member` in `status`: withdrawing before the
/// introduction, ending their part after; `None` once it is over. Blocks and
/// erasures use this for every introduction the person is in.
pub fn leaving_action(status: IntroductionStatus, member: Member) -> Option<Action> {
    match status {
        IntroductionStatus::PendingReview | IntroductionStatus::AwaitingConsent => Some(Action::Withdraw { member }),
        IntroductionStatus::Introduced => Some(Action::End { member }),
        IntroductionStatus::Ended
        | IntroductionStatus::Declined
        | IntroductionStatus::Withdrawn
        | IntroductionStatus::Expired => None,
    }
}

/// An accepted action: the event to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Status before.
    pub from: IntroductionStatus,
    /// Status after (may equal `from`: a first yes while waiting for the
    /// others, or one member leaving a group that goes on).
    pub to: IntroductionStatus,
}

/// The action is not on the diagram from the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{action:?} is not possible when the introduction is {status:?}")]
pub struct InvalidTransition {
    /// The current status.
    pub status: IntroductionStatus,
    /// The refused action.
    pub action: Action,
}

/// Applies `action` at `now`: the new state and the event, or a refusal that
/// changes nothing.
pub fn apply(
    state: IntroductionState,
    action: Action,
    now: DateTime<Utc>,
) -> Result<(IntroductionState, Transition), InvalidTransition> {
    use IntroductionStatus::{AwaitingConsent, Declined, Ended, Expired, Introduced, PendingReview, Withdrawn};
    let refuse = Err(InvalidTransition { status: state.status, action });
    let present = |member: Member| state.has(member) && !state.has_left(member);
    let mut next = IntroductionState { last_action_at: now, ..state };
    next.status = match (state.status, action) {
        (PendingReview, Action::Approve) => AwaitingConsent,
        (PendingReview, Action::BrokerDecline) => Declined,
        (PendingReview | AwaitingConsent, Action::Withdraw { member }) if present(member) => {
            next.left[member.index()] = true;
            Withdrawn
        }
        (Introduced, Action::End { member }) if present(member) => {
            next.left[member.index()] = true;
            if next.remaining() >= MIN_MEMBERS { Introduced } else { Ended }
        }
        (PendingReview | AwaitingConsent, Action::Expire) if now >= state.expires_at() => {
            next.last_action_at = state.last_action_at;
            Expired
        }
        // The requester may say yes to a request drafted for them before or
        // after review; the others only see it once a broker approved.
        (PendingReview, Action::Consent { member: Member::REQUESTER, accept: true })
            if !state.has_consented(Member::REQUESTER) =>
        {
            next.consented[0] = true;
            PendingReview
        }
        (AwaitingConsent, Action::Consent { member, accept: true }) if present(member) => {
            if state.has_consented(member) {
                return refuse;
            }
            next.consented[member.index()] = true;
            if next.all_consented() { Introduced } else { AwaitingConsent }
        }
        (AwaitingConsent, Action::Consent { member, accept: false }) if present(member) => Declined,
        // A requester who did not ask personally may say no to the draft:
        // that is leaving, not a decline (no cooldown for the others, who
        // never saw it).
        (PendingReview, Action::Consent { member: Member::REQUESTER, accept: false })
            if !state.has_consented(Member::REQUESTER) =>
        {
            next.left[0] = true;
            Withdrawn
        }
        _ => return refuse,
    };
    Ok((next, Transition { from: state.status, to: next.status }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BEA: Member = Member(1);

    fn start(members: usize, personal: bool) -> IntroductionState {
        IntroductionState::new(members, personal, DateTime::<Utc>::UNIX_EPOCH)
            .unwrap_or_else(|| panic!("{members} members"))
    }

    fn yes(member: Member) -> Action {
        Action::Consent { member, accept: true }
    }

    #[test]
    fn the_happy_path_needs_a_broker_and_both_yeses() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let (state, _) = apply(start(2, true), Action::Approve, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.status, IntroductionStatus::AwaitingConsent);
        let (state, event) = apply(state, yes(BEA), now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event, Transition { from: IntroductionStatus::AwaitingConsent, to: IntroductionStatus::Introduced });
        assert!(state.all_consented());
    }

    #[test]
    fn a_drafted_request_waits_for_the_requesters_own_yes() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let (state, _) = apply(start(2, false), Action::Approve, now).unwrap_or_else(|e| panic!("{e}"));
        let (state, _) = apply(state, yes(BEA), now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.status, IntroductionStatus::AwaitingConsent);
        let (state, _) = apply(state, yes(Member::REQUESTER), now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.status, IntroductionStatus::Introduced);
    }

    #[test]
    fn a_group_is_introduced_after_every_yes_and_goes_on_while_two_remain() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let (mut state, _) = apply(start(4, true), Action::Approve, now).unwrap_or_else(|e| panic!("{e}"));
        for index in 1..4 {
            assert_eq!(state.status, IntroductionStatus::AwaitingConsent);
            let member = Member::at(index).unwrap_or(BEA);
            (state, _) = apply(state, yes(member), now).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(state.status, IntroductionStatus::Introduced);
        for (index, after) in
            [(1, IntroductionStatus::Introduced), (2, IntroductionStatus::Introduced), (3, IntroductionStatus::Ended)]
        {
            let member = Member::at(index).unwrap_or(BEA);
            (state, _) = apply(state, Action::End { member }, now).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(state.status, after, "after member {index} left");
        }
        assert!(apply(state, Action::End { member: Member::REQUESTER }, now).is_err());
    }

    #[test]
    fn nobody_outside_the_members_can_act() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let (state, _) = apply(start(2, true), Action::Approve, now).unwrap_or_else(|e| panic!("{e}"));
        let outsider = Member(2);
        assert!(apply(state, yes(outsider), now).is_err());
        assert!(apply(state, Action::Withdraw { member: outsider }, now).is_err());
        assert!(IntroductionState::new(1, true, now).is_none() && IntroductionState::new(7, true, now).is_none());
    }

    #[test]
    fn expiry_needs_thirty_quiet_days() {
        let state = start(2, true);
        let early = state.last_action_at + Duration::days(EXPIRY_DAYS) - Duration::seconds(1);
        assert!(apply(state, Action::Expire, early).is_err());
        let due = state.expires_at();
        assert_eq!(apply(state, Action::Expire, due).map(|(s, _)| s.status), Ok(IntroductionStatus::Expired));
    }

    fn action() -> impl Strategy<Value = Action> {
        // Places 0 to 6: one past the largest group, to try outsiders too.
        let member = (0..=MAX_MEMBERS).prop_map(|index| Member(index as u8));
        prop_oneof![
            Just(Action::Approve),
            Just(Action::BrokerDecline),
            (member.clone(), proptest::bool::weighted(0.8))
                .prop_map(|(member, accept)| Action::Consent { member, accept }),
            member.clone().prop_map(|member| Action::Withdraw { member }),
            member.prop_map(|member| Action::End { member }),
            Just(Action::Expire),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn random_sequences_only_move_along_the_diagram(
            members in MIN_MEMBERS..=MAX_MEMBERS,
            personal in any::<bool>(),
            steps in proptest::collection::vec((action(), 0i64..40), 1..40),
        ) {
            let mut state = start(members, personal);
            let mut now = state.last_action_at;
            for (action, days) in steps {
                now += Duration::days(days);
                match apply(state, action, now) {
                    Ok((next, event)) => {
                        prop_assert_eq!(event.from, state.status);
                        prop_assert_eq!(event.to, next.status);
                        prop_assert!(state.status.may_become(next.status), "{:?} -> {:?}", state.status, next.status);
                        prop_assert!(!state.status.is_final(), "a final state moved");
                        prop_assert_eq!(next.member_count(), members);
                        state = next;
                    }
                    Err(refused) => {
                        prop_assert_eq!(refused.status, state.status);
                        prop_assert_eq!(refused.action, action);
                    }
                }
                // Introduced only once every member said yes themselves;
                // it stays introduced only while two or more remain.
                let introduced_ever = matches!(state.status, IntroductionStatus::Introduced | IntroductionStatus::Ended);
                prop_assert!(!introduced_ever || state.all_consented());
                prop_assert_eq!(state.status == IntroductionStatus::Introduced, introduced_ever && state.remaining() >= MIN_MEMBERS);
                if state.status.is_waiting() {
                    prop_assert_eq!(state.remaining(), members, "nobody leaves a request that goes on");
                }
            }
        }
    }
}
