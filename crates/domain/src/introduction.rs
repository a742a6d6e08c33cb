//! The introduction state machine of DESIGN §5, as a pure function.
//!
//! ```text
//!             member asks (or supporter/broker drafts)
//!                        |
//!                 pending_review ----broker declines----> declined
//!                        | broker approves
//!                 awaiting_consent --either person declines--> declined
//!                        | both people consent
//!                    introduced ----either person ends----> ended
//!  any state before introduced --either person withdraws--> withdrawn
//!  pending_review / awaiting_consent --no action for expiry_days--> expired
//! ```
//!
//! Who may take an action (a broker for the area, the person themselves, a
//! supporter) is the API's business; this module knows only which party an
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

/// One of the two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The person who asked.
    Requester,
    /// The person asked about.
    Recipient,
}

impl Party {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requester => "requester",
            Self::Recipient => "recipient",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Requester, Self::Recipient].into_iter().find(|party| party.as_str() == value)
    }

    /// The other one.
    pub fn other(self) -> Self {
        match self {
            Self::Requester => Self::Recipient,
            Self::Recipient => Self::Requester,
        }
    }
}

/// What someone does to an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A broker approves it for consent.
    Approve,
    /// A broker declines it.
    BrokerDecline,
    /// A person gives their own answer.
    Consent {
        /// Whose answer.
        party: Party,
        /// Yes or no.
        accept: bool,
    },
    /// A person (or their supporter) leaves before being introduced.
    Withdraw,
    /// A person (or their supporter) ends it after being introduced.
    End,
    /// The background task expires it (valid only once it is due).
    Expire,
}

/// The state the machine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntroductionState {
    /// Status.
    pub status: IntroductionStatus,
    /// The requester's own yes (a member who asks has said yes by asking).
    pub requester_consented: bool,
    /// The recipient's own yes.
    pub recipient_consented: bool,
    /// When anyone last acted (expiry counts from here).
    pub last_action_at: DateTime<Utc>,
}

impl IntroductionState {
    /// A new request. `requester_asked_personally` is true when the
    /// requester created it with their own token.
    pub fn new(requester_asked_personally: bool, now: DateTime<Utc>) -> Self {
        Self {
            status: IntroductionStatus::PendingReview,
            requester_consented: requester_asked_personally,
            recipient_consented: false,
            last_action_at: now,
        }
    }

    /// When it expires if nobody acts.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.last_action_at + Duration::days(EXPIRY_DAYS)
    }
}

/// What leaving means in `status`: withdrawing before the introduction,
/// ending it after; `None` once it is over. Blocks and erasures use this for
/// every introduction between the two people.
pub fn leaving_action(status: IntroductionStatus) -> Option<Action> {
    match status {
        IntroductionStatus::PendingReview | IntroductionStatus::AwaitingConsent => Some(Action::Withdraw),
        IntroductionStatus::Introduced => Some(Action::End),
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
    /// other one).
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
    let mut next = IntroductionState { last_action_at: now, ..state };
    next.status = match (state.status, action) {
        (PendingReview, Action::Approve) => AwaitingConsent,
        (PendingReview, Action::BrokerDecline) => Declined,
        (PendingReview | AwaitingConsent, Action::Withdraw) => Withdrawn,
        (Introduced, Action::End) => Ended,
        (PendingReview | AwaitingConsent, Action::Expire) if now >= state.expires_at() => {
            next.last_action_at = state.last_action_at;
            Expired
        }
        // The requester may say yes to a request drafted for them before or
        // after review; the recipient only sees it once a broker approved.
        (PendingReview, Action::Consent { party: Party::Requester, accept: true }) if !state.requester_consented => {
            next.requester_consented = true;
            PendingReview
        }
        (AwaitingConsent, Action::Consent { party, accept: true }) => {
            let already = match party {
                Party::Requester => state.requester_consented,
                Party::Recipient => state.recipient_consented,
            };
            if already {
                return refuse;
            }
            match party {
                Party::Requester => next.requester_consented = true,
                Party::Recipient => next.recipient_consented = true,
            }
            if next.requester_consented && next.recipient_consented { Introduced } else { AwaitingConsent }
        }
        (AwaitingConsent, Action::Consent { accept: false, .. }) => Declined,
        // A requester who did not ask personally may say no to the draft:
        // that is leaving, not a decline (no cooldown for the recipient, who
        // never saw it).
        (PendingReview, Action::Consent { party: Party::Requester, accept: false }) if !state.requester_consented => {
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

    fn start(personal: bool) -> IntroductionState {
        IntroductionState::new(personal, DateTime::<Utc>::UNIX_EPOCH)
    }

    #[test]
    fn the_happy_path_needs_a_broker_and_both_yeses() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let state = start(true);
        let (state, _) = apply(state, Action::Approve, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.status, IntroductionStatus::AwaitingConsent);
        let (state, event) = apply(state, Action::Consent { party: Party::Recipient, accept: true }, now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event, Transition { from: IntroductionStatus::AwaitingConsent, to: IntroductionStatus::Introduced });
        assert!(state.requester_consented && state.recipient_consented);
    }

    #[test]
    fn a_drafted_request_waits_for_the_requesters_own_yes() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let (state, _) = apply(start(false), Action::Approve, now).unwrap_or_else(|e| panic!("{e}"));
        let (state, _) = apply(state, Action::Consent { party: Party::Recipient, accept: true }, now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.status, IntroductionStatus::AwaitingConsent);
        let (state, _) = apply(state, Action::Consent { party: Party::Requester, accept: true }, now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.status, IntroductionStatus::Introduced);
    }

    #[test]
    fn expiry_needs_thirty_quiet_days() {
        let state = start(true);
        let early = state.last_action_at + Duration::days(EXPIRY_DAYS) - Duration::seconds(1);
        assert!(apply(state, Action::Expire, early).is_err());
        let due = state.expires_at();
        assert_eq!(apply(state, Action::Expire, due).map(|(s, _)| s.status), Ok(IntroductionStatus::Expired));
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Approve),
            Just(Action::BrokerDecline),
            (any::<bool>(), any::<bool>()).prop_map(|(requester, accept)| Action::Consent {
                party: if requester { Party::Requester } else { Party::Recipient },
                accept
            }),
            Just(Action::Withdraw),
            Just(Action::End),
            Just(Action::Expire),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn random_sequences_only_move_along_the_diagram(
            personal in any::<bool>(),
            steps in proptest::collection::vec((action(), 0i64..40), 1..25),
        ) {
            let mut state = start(personal);
            let mut now = state.last_action_at;
            for (action, days) in steps {
                now += Duration::days(days);
                match apply(state, action, now) {
                    Ok((next, event)) => {
                        prop_assert_eq!(event.from, state.status);
                        prop_assert_eq!(event.to, next.status);
                        prop_assert!(state.status.may_become(next.status), "{:?} -> {:?}", state.status, next.status);
                        prop_assert!(!state.status.is_final(), "a final state moved");
                        state = next;
                    }
                    Err(refused) => {
                        prop_assert_eq!(refused.status, state.status);
                        prop_assert_eq!(refused.action, action);
                    }
                }
                // Introduced if and only if both people said yes themselves
                // and nobody left; consents never appear from nowhere.
                let introduced_now = matches!(state.status, IntroductionStatus::Introduced | IntroductionStatus::Ended);
                prop_assert_eq!(introduced_now, state.requester_consented && state.recipient_consented
                    && !matches!(state.status, IntroductionStatus::Withdrawn | IntroductionStatus::Declined | IntroductionStatus::Expired));
            }
        }
    }
}
