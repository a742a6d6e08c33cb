//! Pairs who must not meet in suggestions or search (DESIGN §4): a block
//! either way, or an open introduction, or one declined within the
//! cooldown, with both of them among its members. Also the number of
//! requests waiting for each member other than the requester, for the
//! exposure cap. Derived from the database like the other indexes.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use friends_store::IntroductionLinks;
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
    introductions: HashMap<Uuid, IntroductionLinks>,
    /// For each person, the others they may be kept apart from, and why.
    by_person: HashMap<Uuid, HashMap<Uuid, Vec<Link>>>,
    /// Requests waiting (pending review or consent) per member other than
    /// the requester.
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

    /// Every pair of members of an introduction.
    fn pairs(members: &[Uuid]) -> impl Iterator<Item = (Uuid, Uuid)> + '_ {
        members
            .iter()
            .enumerate()
            .flat_map(move |(index, one)| members[index + 1..].iter().map(move |other| (*one, *other)))
    }

    /// Records the current state of an introduction; returns the members
    /// whose waiting count changed.
    pub fn set_introduction(&mut self, introduction: IntroductionLinks) -> Vec<Uuid> {
        let mut changed = Vec::new();
        if let Some(old) = self.introductions.remove(&introduction.id) {
            for (one, other) in Self::pairs(&old.members) {
                self.unlink(one, other, Link::Introduction(old.id));
            }
            if old.status.is_waiting() {
                for asked in old.members.iter().skip(1) {
                    if let Some(count) = self.waiting.get_mut(asked) {
                        *count = count.saturating_sub(1);
                        if *count == 0 {
                            self.waiting.remove(asked);
                        }
                    }
                    changed.push(*asked);
                }
            }
        }
        if introduction.status.is_open() || introduction.declined_at.is_some() {
            for (one, other) in Self::pairs(&introduction.members) {
                self.link(one, other, Link::Introduction(introduction.id));
            }
            if introduction.status.is_waiting() {
                for asked in introduction.members.iter().skip(1) {
                    *self.waiting.entry(*asked).or_default() += 1;
                    changed.push(*asked);
                }
            }
            self.introductions.insert(introduction.id, introduction);
        }
        changed.sort_unstable();
        changed.dedup();
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
    /// request no broker approved exists only for its requester.
    fn keeps_apart(&self, link: Link, person: Uuid, now: DateTime<Utc>) -> bool {
        match link {
            Link::Block(_) => true,
            Link::Introduction(id) => self.introductions.get(&id).is_some_and(|introduction| {
                let known = introduction.approved || introduction.members.first() == Some(&person);
                known
                    && (introduction.status.is_open()
                        || introduction.declined_at.is_some_and(|declined| declined + self.cooldown > now))
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
        let stale: Vec<Uuid> = self
            .introductions
            .values()
            .filter(|introduction| {
                !introduction.status.is_open()
                    && introduction.declined_at.is_none_or(|declined| declined + cooldown <= now)
            })
            .map(|introduction| introduction.id)
            .collect();
        for id in stale {
            if let Some(introduction) = self.introductions.remove(&id) {
                for (one, other) in Self::pairs(&introduction.members) {
                    self.unlink(one, other, Link::Introduction(id));
                }
            }
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

    /// Whether the two must not be in one group at `now`: a block either
    /// way, or an open or recently declined introduction that either of
    /// them knows of. (For group suggestions: neither is the seeker, and a
    /// request known to one of them is enough to keep them apart.)
    pub fn apart(&self, one: Uuid, other: Uuid, now: DateTime<Utc>) -> bool {
        self.by_person.get(&one).and_then(|others| others.get(&other)).is_some_and(|links| {
            links.iter().any(|link| self.keeps_apart(*link, one, now) || self.keeps_apart(*link, other, now))
        })
    }

    /// Requests waiting for `person`'s answer (as a member other than the
    /// requester).
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
        let pair = |status, declined_at| IntroductionLinks {
            id: Uuid::from_u128(20),
            members: vec![ada, bea],
            status,
            declined_at,
            approved: status != IntroductionStatus::PendingReview,
        };
        assert_eq!(exclusions.set_introduction(pair(IntroductionStatus::PendingReview, None)), vec![bea]);
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

    #[test]
    fn every_two_members_of_a_group_are_kept_apart() {
        let people: Vec<Uuid> = (1..=4).map(Uuid::from_u128).collect();
        let now = Utc::now();
        let mut exclusions = Exclusions::new(Duration::days(90));
        let group = |status| IntroductionLinks {
            id: Uuid::from_u128(30),
            members: people.clone(),
            status,
            declined_at: None,
            approved: true,
        };
        assert_eq!(exclusions.set_introduction(group(IntroductionStatus::AwaitingConsent)), people[1..].to_vec());
        for one in &people {
            let others: HashSet<Uuid> = people.iter().copied().filter(|other| other != one).collect();
            assert_eq!(exclusions.of(*one, now), others);
        }
        assert_eq!(exclusions.waiting_for(people[3]), 1);
        exclusions.set_introduction(group(IntroductionStatus::Withdrawn));
        assert!(people.iter().all(|one| exclusions.of(*one, now).is_empty() && exclusions.waiting_for(*one) == 0));
    }
}
