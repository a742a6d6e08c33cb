//! Pairs who must not meet in suggestions or search (DESIGN §4): a block
//! either way, an open introduction, or one declined within the cooldown.
//! Also the number of requests waiting for each recipient, for the exposure
//! cap. Derived from the database like the other indexes.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use friends_store::IntroductionPair;
use uuid::Uuid;

/// Why a pair is kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Block(Uuid),
    Introduction(Uuid),
}

/// Blocks and introductions, by id and by person.
#[derive(Debug)]
pub struct Exclusions {
    cooldown: Duration,
    blocks: HashMap<Uuid, (Uuid, Uuid)>,
    introductions: HashMap<Uuid, IntroductionPair>,
    /// For each person, the others they may be kept apart from, and why.
    by_person: HashMap<Uuid, HashMap<Uuid, Vec<Link>>>,
    /// Requests waiting (pending review or consent) per recipient.
    waiting: HashMap<Uuid, u32>,
}

impl Exclusions {
    /// Empty, with the decline cooldown.
    pub fn new(cooldown: Duration) -> Self {
        Self {
            cooldown,
            blocks: HashMap::new(),
            introductions: HashMap::new(),
            by_person: HashMap::new(),
            waiting: HashMap::new(),
        }
    }

    fn link(&mut self, one: Uuid, other: Uuid, link: Link) {
        self.by_person.entry(one).or_default().entry(other).or_default().push(link);
        self.by_person.entry(other).or_default().entry(one).or_default().push(link);
    }

    fn unlink(&mut self, one: Uuid, other: Uuid, link: Link) {
        for (a, b) in [(one, other), (other, one)] {
            if let Some(others) = self.by_person.get_mut(&a) {
                if let Some(links) = others.get_mut(&b) {
                    links.retain(|kept| *kept != link);
                    if links.is_empty() {
                        others.remove(&b);
                    }
                }
                if others.is_empty() {
                    self.by_person.remove(&a);
                }
            }
        }
    }

    /// Records an active block (idempotent).
    pub fn add(&mut self, block: Uuid, blocker: Uuid, blocked: Uuid) {
        if self.blocks.insert(block, (blocker, blocked)).is_none() {
            self.link(blocker, blocked, Link::Block(block));
        }
    }

    /// Forgets a block (idempotent).
    pub fn remove(&mut self, block: Uuid) {
        if let Some((blocker, blocked)) = self.blocks.remove(&block) {
            self.unlink(blocker, blocked, Link::Block(block));
        }
    }

    /// Records the current state of an introduction; returns the recipient
    /// whose waiting count changed, if one did.
    pub fn set_introduction(&mut self, pair: IntroductionPair) -> Option<Uuid> {
        let mut changed = None;
        if let Some(old) = self.introductions.remove(&pair.id) {
            self.unlink(old.requester, old.recipient, Link::Introduction(old.id));
            if old.status.is_waiting() {
                if let Some(count) = self.waiting.get_mut(&old.recipient) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        self.waiting.remove(&old.recipient);
                    }
                }
                changed = Some(old.recipient);
            }
        }
        if pair.status.is_open() || pair.declined_at.is_some() {
            self.link(pair.requester, pair.recipient, Link::Introduction(pair.id));
            if pair.status.is_waiting() {
                *self.waiting.entry(pair.recipient).or_default() += 1;
                changed = Some(pair.recipient);
            }
            self.introductions.insert(pair.id, pair);
        }
        changed
    }

    /// Forgets every block involving an erased person (their introductions
    /// arrive as changes of their own).
    pub fn remove_person(&mut self, person: Uuid) {
        let involved: Vec<Uuid> = self
            .blocks
            .iter()
            .filter(|(_, (blocker, blocked))| *blocker == person || *blocked == person)
            .map(|(block, _)| *block)
            .collect();
        for block in involved {
            self.remove(block);
        }
    }

    /// Whether `link` keeps the pair apart in `person`'s view at `now`. A
    /// request no broker approved does not exist for its recipient.
    fn keeps_apart(&self, link: Link, person: Uuid, now: DateTime<Utc>) -> bool {
        match link {
            Link::Block(_) => true,
            Link::Introduction(id) => self.introductions.get(&id).is_some_and(|pair| {
                let known = pair.approved || pair.recipient != person;
                known
                    && (pair.status.is_open()
                        || pair.declined_at.is_some_and(|declined| declined + self.cooldown > now))
            }),
        }
    }

    /// Whether a block stands between the two, either way.
    pub fn blocked(&self, one: Uuid, other: Uuid) -> bool {
        self.by_person
            .get(&one)
            .and_then(|others| others.get(&other))
            .is_some_and(|links| links.iter().any(|link| matches!(link, Link::Block(_))))
    }

    /// Forgets introductions that can no longer keep anyone apart (final,
    /// and declined before the cooldown), so that declines do not pile up.
    pub fn forget_stale(&mut self, now: DateTime<Utc>) {
        let cooldown = self.cooldown;
        let stale: Vec<IntroductionPair> = self
            .introductions
            .values()
            .filter(|pair| !pair.status.is_open() && pair.declined_at.is_none_or(|declined| declined + cooldown <= now))
            .copied()
            .collect();
        for pair in stale {
            self.introductions.remove(&pair.id);
            self.unlink(pair.requester, pair.recipient, Link::Introduction(pair.id));
        }
    }

    /// The people `person` must not be shown, nor be shown to, at `now`.
    pub fn of(&self, person: Uuid, now: DateTime<Utc>) -> HashSet<Uuid> {
        let Some(others) = self.by_person.get(&person) else { return HashSet::new() };
        others
            .iter()
            .filter(|(_, links)| links.iter().any(|link| self.keeps_apart(*link, person, now)))
            .map(|(other, _)| *other)
            .collect()
    }

    /// Requests waiting for `person` as recipient.
    pub fn waiting_for(&self, person: Uuid) -> u32 {
        self.waiting.get(&person).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use friends_domain::introduction::IntroductionStatus;

    #[test]
    fn a_pair_stays_apart_while_either_block_stands() {
        let (ada, bea) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let now = Utc::now();
        let mut exclusions = Exclusions::new(Duration::days(90));
        exclusions.add(Uuid::from_u128(10), ada, bea);
        exclusions.add(Uuid::from_u128(11), bea, ada);
        assert!(exclusions.of(ada, now).contains(&bea) && exclusions.of(bea, now).contains(&ada));
        exclusions.remove(Uuid::from_u128(10));
        assert!(exclusions.of(ada, now).contains(&bea), "the other block still stands");
        exclusions.remove(Uuid::from_u128(11));
        assert!(exclusions.of(ada, now).is_empty() && exclusions.of(bea, now).is_empty());
        exclusions.add(Uuid::from_u128(12), ada, bea);
        exclusions.remove_person(bea);
        assert!(exclusions.of(ada, now).is_empty());
    }

    #[test]
    fn open_and_recently_declined_introductions_keep_a_pair_apart() {
        let (ada, bea) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let now = Utc::now();
        let mut exclusions = Exclusions::new(Duration::days(90));
        let pair = |status, declined_at| IntroductionPair {
            id: Uuid::from_u128(20),
            requester: ada,
            recipient: bea,
            status,
            declined_at,
            approved: status != IntroductionStatus::PendingReview,
        };
        assert_eq!(exclusions.set_introduction(pair(IntroductionStatus::PendingReview, None)), Some(bea));
        assert!(exclusions.of(ada, now).contains(&bea));
        assert!(exclusions.of(bea, now).is_empty(), "Bea does not know of a request no broker approved");
        exclusions.set_introduction(pair(IntroductionStatus::AwaitingConsent, None));
        assert!(exclusions.of(bea, now).contains(&ada));
        assert_eq!(exclusions.waiting_for(bea), 1);
        exclusions.set_introduction(pair(IntroductionStatus::Declined, Some(now)));
        assert_eq!(exclusions.waiting_for(bea), 0);
        assert!(exclusions.of(ada, now + Duration::days(89)).contains(&bea));
        assert!(exclusions.of(ada, now + Duration::days(91)).is_empty(), "the cooldown is over");
        exclusions.forget_stale(now + Duration::days(91));
        assert_eq!(exclusions.introductions.len(), 0, "a decline past its cooldown is forgotten");
        exclusions.set_introduction(pair(IntroductionStatus::Withdrawn, None));
        assert!(exclusions.of(ada, now).is_empty());
    }
}
