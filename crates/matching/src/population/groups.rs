//! Group suggestions (DESIGN §4 "Groups"): whole groups of `size` people,
//! the seeker included, in which every pair fits both ways.
//!
//! A group is valid when every pair passes every hard filter both ways and
//! is not kept apart (a block, an open or recently declined introduction);
//! nobody's `group_size_max` is below its size; everyone wants the goal
//! asked for (or, with none, all share one); one weekly amount suits
//! everyone who gave a range; and one availability slot suits everyone.
//!
//! Each pair has a weight: its reciprocal score times the exposure factor
//! of each member in it other than the seeker, so that a seeker–member
//! weight is exactly that member's pair-suggestion score, and a popular
//! person is ranked down in every group, as in pairs. A group's score is
//! its lowest pair weight ("nobody is left out"), ties broken by the mean
//! weight, then by the members' ids. A group is listed only if it differs
//! in at least two members from every group listed before it.
//!
//! Listing greedily in that order is the same as asking, `limit` times,
//! for the best group that differs enough from those listed so far. The
//! fast path answers each of those questions with a branch and bound over
//! the seeker's candidates, read from the pair fast path best first:
//!
//! - a group's score is at most each member's weight with the seeker, so a
//!   walk that adds candidates in falling weight, each as the weakest of
//!   the groups it completes, stops as soon as the next candidate's weight
//!   is below the best group found; and inside a walk a partial group whose
//!   lowest weight is already below the best is cut;
//! - the walk reads only the seeker's best `k` candidates. A group with a
//!   candidate outside them scores at most the `k`-th weight, so a best
//!   group found above that is proven; otherwise `k` grows fourfold and the
//!   walk goes on over the longer list (at most until every candidate is
//!   read), keeping the groups already proven and the pair weights known.
//!
//! [`Population::suggest_groups_exhaustive`] is the oracle: every group of
//! every candidate, ranked and listed with the same functions. The property
//! tests check that the two agree.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use super::cards::{Card, shown_score};
use super::{Population, SPLIT_FROM, Seeker, Suggestion, rank_order};
use crate::group_rules::Rules;
use crate::profile::{Core, MatchProfile};
use crate::reasons::group_reasons;
use crate::score::{eligible, exposure_factor};

/// The smallest group (the seeker and two others).
pub const MIN_GROUP_SIZE: usize = 3;
/// The largest group.
pub const MAX_GROUP_SIZE: usize = 6;
/// Candidates read in a first walk; a walk that cannot prove its groups
/// reads four times as many.
const FIRST_CANDIDATES: usize = 48;
/// Most partial groups one request may look at (a few hundred milliseconds
/// of work, and a bound on the pair weights it remembers). No seeker of the
/// benchmark comes near it (see BENCHMARKS.md); past it the answer holds the
/// groups proven so far and says that it stopped early.
pub const GROUP_WORK_BUDGET: u64 = 2_000_000;

/// A group suggestion request.
pub struct GroupQuery<'a> {
    /// Who is asking (a member of every group suggested).
    pub seeker: Uuid,
    /// People per group, the seeker included (3 to 6).
    pub size: usize,
    /// How many groups to return.
    pub limit: usize,
    /// Only people who chose this goal id (the seeker too).
    pub goal: Option<&'a str>,
    /// People never to suggest to the seeker (as for pairs).
    pub excluded: &'a HashSet<Uuid>,
    /// Whether two people (neither the seeker) are kept apart: a block
    /// either way, or an open or recently declined introduction.
    pub apart: &'a dyn Fn(Uuid, Uuid) -> bool,
}

/// One suggested group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSuggestion {
    /// The other members, best pair with the seeker first.
    pub members: Vec<Suggestion>,
    /// The lowest pair weight in the group.
    pub score: f64,
    /// The mean pair weight.
    pub mean: f64,
    /// The goal asked for (its index), which the reasons name first.
    pub goal: Option<u16>,
}

/// Why there is no group to suggest (said in plain words by the caller,
/// revealing nobody).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoGroups {
    /// The seeker's own `group_size_max` is below the size asked for.
    LargerThanYouWant {
        /// Their `group_size_max`.
        most: u8,
    },
    /// The seeker did not choose the goal asked for.
    NotYourGoal,
    /// Fewer people than the group needs could be in a group with them.
    FewPeople,
    /// There are people, but no group in which all fit each other.
    NoGroupFits,
    /// The search spent its work budget before it proved any group.
    Unfinished,
}

/// The answer to a [`GroupQuery`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAnswer {
    /// Best first.
    pub groups: Vec<GroupSuggestion>,
    /// Why `groups` is empty, when it is.
    pub empty: Option<NoGroups>,
    /// Candidates read (the seeker's people who could share a group).
    pub candidates: usize,
    /// The work budget ran out: `groups` holds those proven before it did.
    pub stopped_early: bool,
}

/// A candidate as a group search holds them.
struct Candidate<'p> {
    suggestion: Suggestion,
    slot: u32,
    profile: &'p MatchProfile,
    /// Their exposure factor.
    factor: f64,
}

/// A valid group found, in candidate indexes.
#[derive(Debug, Clone)]
struct Found {
    /// Candidate indexes, ascending.
    members: Vec<usize>,
    /// The members' ids, ascending (the last tie-break).
    ids: Vec<Uuid>,
    score: f64,
    mean: f64,
}

/// Best first: higher score, then higher mean, then lower ids.
fn group_order(left: &Found, right: &Found) -> Ordering {
    right.score.total_cmp(&left.score).then(right.mean.total_cmp(&left.mean)).then(left.ids.cmp(&right.ids))
}

/// Whether `group` differs in fewer than two members from `listed` (both
/// hold the seeker, who is not in the index lists).
fn too_close(group: &Found, listed: &Found) -> bool {
    let shared = group.ids.iter().filter(|id| listed.ids.binary_search(id).is_ok()).count();
    shared + 2 > group.ids.len()
}

/// What both paths share: the candidates, their pair weights, and how a
/// group's score is reckoned.
struct Groups<'p, 'q> {
    population: &'p Population,
    query: &'q GroupQuery<'q>,
    seeker: &'p Core,
    candidates: Vec<Candidate<'p>>,
    /// Pair weights between candidates (by index, lower first); `None`
    /// where the pair may not be in a group.
    weights: HashMap<(u32, u32), Option<f64>, foldhash::fast::RandomState>,
    /// Partial groups looked at.
    work: u64,
}

impl<'p, 'q> Groups<'p, 'q> {
    fn new(population: &'p Population, query: &'q GroupQuery<'q>, seeker: &'p Core, from: Vec<Suggestion>) -> Self {
        let mut groups =
            Self { population, query, seeker, candidates: Vec::new(), weights: HashMap::default(), work: 0 };
        groups.read_more(from);
        groups
    }

    /// Takes the seeker's best candidates, a longer list than before whose
    /// start is the list already held (the pair fast path is exact and
    /// ordered), so that indexes, pair weights and the groups already
    /// proven stay as they are.
    fn read_more(&mut self, best_first: Vec<Suggestion>) {
        let population = self.population;
        let held = self.candidates.len();
        self.candidates.extend(best_first.into_iter().skip(held).filter_map(|suggestion| {
            let slot = *population.by_id.get(&suggestion.id)?;
            let profile = population.slots[slot as usize].as_ref()?;
            let open = population.open_requests.get(&suggestion.id).copied().unwrap_or(0);
            Some(Candidate { suggestion, slot, profile, factor: exposure_factor(open) })
        }));
    }

    /// The weight of the pair of candidates `a` and `b`, computed from the
    /// one with the lower slot so that it is the same to the bit whichever
    /// path asks.
    fn weight(&mut self, a: usize, b: usize) -> Option<f64> {
        let key = (a.min(b) as u32, a.max(b) as u32);
        if let Some(weight) = self.weights.get(&key) {
            return *weight;
        }
        let (one, other) = (&self.candidates[a], &self.candidates[b]);
        let (one, other) = if one.slot < other.slot { (one, other) } else { (other, one) };
        let weight = pair_weight(self.population, self.query, one, other);
        self.weights.insert(key, weight);
        weight
    }

    /// The score and mean of a complete group, its members ascending. The
    /// mean adds the pairs in one fixed order (by slot), so that both paths
    /// get the same bits.
    fn found(&mut self, members: &[usize]) -> Option<Found> {
        let mut by_slot: Vec<usize> = members.to_vec();
        by_slot.sort_unstable_by_key(|&index| self.candidates[index].slot);
        let mut score = f64::INFINITY;
        let mut sum = 0.0;
        let mut pairs = 0u32;
        for (position, &one) in by_slot.iter().enumerate() {
            let weight = self.candidates[one].suggestion.score;
            score = score.min(weight);
            sum += weight;
            pairs += 1;
            for &other in &by_slot[position + 1..] {
                let weight = self.weight(one, other)?;
                score = score.min(weight);
                sum += weight;
                pairs += 1;
            }
        }
        let mut ids: Vec<Uuid> = members.iter().map(|&index| self.candidates[index].suggestion.id).collect();
        ids.sort_unstable();
        Some(Found { members: members.to_vec(), ids, score, mean: sum / f64::from(pairs) })
    }

    fn rules_hold(&self, members: &[usize]) -> bool {
        members
            .iter()
            .try_fold(Rules::of(self.seeker), |rules, &index| rules.with(&self.candidates[index].profile.core))
            .is_some()
    }

    /// The groups chosen greedily from `all` (best first).
    fn listed(&self, mut all: Vec<Found>) -> Vec<Found> {
        all.sort_by(group_order);
        let mut listed: Vec<Found> = Vec::new();
        for group in all {
            if listed.len() == self.query.limit {
                break;
            }
            if !listed.iter().any(|kept| too_close(&group, kept)) {
                listed.push(group);
            }
        }
        listed
    }

    fn answer(&self, listed: Vec<Found>, stopped_early: bool) -> GroupAnswer {
        let empty = if !listed.is_empty() {
            None
        } else if stopped_early {
            Some(NoGroups::Unfinished)
        } else if self.candidates.len() + 1 < self.query.size {
            Some(NoGroups::FewPeople)
        } else {
            Some(NoGroups::NoGroupFits)
        };
        let goal = self.query.goal.and_then(|goal| self.population.codebook.goals.index(goal));
        let groups = listed
            .into_iter()
            .map(|found| {
                let mut members: Vec<Suggestion> =
                    found.members.iter().map(|&index| self.candidates[index].suggestion.clone()).collect();
                members.sort_by(rank_order);
                GroupSuggestion { members, score: found.score, mean: found.mean, goal }
            })
            .collect();
        GroupAnswer { groups, empty, candidates: self.candidates.len(), stopped_early }
    }
}

/// The weight of a pair of candidates (`one` with the lower slot): `None`
/// if a hard filter fails either way or they are kept apart.
fn pair_weight(
    population: &Population,
    query: &GroupQuery<'_>,
    one: &Candidate<'_>,
    other: &Candidate<'_>,
) -> Option<f64> {
    let (a, b) = (&one.profile.core, &other.profile.core);
    let distance_km = population.districts.distance_km(a.district, b.district);
    if !eligible(a, b, distance_km, population.current_year) || (query.apart)(one.profile.id, other.profile.id) {
        return None;
    }
    Some(population.reciprocal_between(one.profile, other.profile, distance_km) * one.factor * other.factor)
}

/// The branch and bound of the fast path.
impl Groups<'_, '_> {
    /// The best valid group not too close to any of `listed`, or `None`.
    fn best(&mut self, listed: &[Found]) -> Option<Found> {
        let mut best: Option<Found> = None;
        let mut chosen = Vec::with_capacity(self.query.size);
        for last in 0..self.candidates.len() {
            let bound = self.candidates[last].suggestion.score;
            if best.as_ref().is_some_and(|best| bound < best.score) || self.out_of_work() {
                break;
            }
            let Some(rules) = Rules::of(self.seeker).with(&self.candidates[last].profile.core) else { continue };
            chosen.clear();
            self.extend(&mut chosen, (last, 0), rules, listed, &mut best);
        }
        best
    }

    /// The request's work budget is spent: what it found since is not
    /// proven, and is not listed.
    fn out_of_work(&self) -> bool {
        self.work > GROUP_WORK_BUDGET
    }

    /// Adds members from `from..last` to `chosen` (which lacks `last`, the
    /// weakest member). Every pair added reaches the best group's score,
    /// so a completed group can beat it or tie it, never fall short.
    fn extend(
        &mut self,
        chosen: &mut Vec<usize>,
        (last, from): (usize, usize),
        rules: Rules,
        listed: &[Found],
        best: &mut Option<Found>,
    ) {
        let needed = self.query.size - 2 - chosen.len();
        if needed == 0 {
            chosen.push(last);
            let mut members = chosen.clone();
            chosen.pop();
            members.sort_unstable();
            if let Some(found) = self.found(&members)
                && !listed.iter().any(|kept| too_close(&found, kept))
                && best.as_ref().is_none_or(|best| group_order(&found, best) == Ordering::Less)
            {
                *best = Some(found);
            }
            return;
        }
        for next in from..last {
            if last - next < needed || self.out_of_work() {
                return;
            }
            self.work += 1;
            let floor = best.as_ref().map_or(f64::NEG_INFINITY, |best| best.score);
            // Candidates come best first: past here every one is weaker.
            if self.candidates[next].suggestion.score < floor {
                return;
            }
            let Some(rules) = rules.with(&self.candidates[next].profile.core) else { continue };
            let mut fits = true;
            for index in std::iter::once(last).chain(chosen.iter().copied()) {
                if self.weight(next, index).is_none_or(|weight| weight < floor) {
                    fits = false;
                    break;
                }
            }
            if !fits {
                continue;
            }
            chosen.push(next);
            self.extend(chosen, (last, next + 1), rules, listed, best);
            chosen.pop();
        }
    }
}

impl Population {
    /// The seeker's side for a group query, or why there can be no group.
    fn group_seeker<'q>(&'q self, query: &GroupQuery<'_>) -> Result<Seeker<'q>, Option<NoGroups>> {
        let size = Some(query.size)
            .filter(|size| (MIN_GROUP_SIZE..=MAX_GROUP_SIZE).contains(size))
            .and_then(|size| u8::try_from(size).ok())
            .ok_or(None)?;
        let seeker = self.seeker_of(query.seeker, query.goal, query.excluded, Some(size)).ok_or(None)?;
        let core = seeker.side.core;
        if core.group_size_max < size {
            return Err(Some(NoGroups::LargerThanYouWant { most: core.group_size_max }));
        }
        if seeker.goal.is_some_and(|goal| core.goals & goal == 0) {
            return Err(Some(NoGroups::NotYourGoal));
        }
        Ok(seeker)
    }

    fn no_groups(empty: Option<NoGroups>) -> GroupAnswer {
        GroupAnswer {
            groups: Vec::new(),
            empty: empty.or(Some(NoGroups::FewPeople)),
            candidates: 0,
            stopped_early: false,
        }
    }

    /// Group suggestions, the fast path (see the module's notes).
    pub fn suggest_groups(&self, query: &GroupQuery<'_>) -> GroupAnswer {
        self.suggest_groups_reading(query, FIRST_CANDIDATES)
    }

    /// The fast path, reading the seeker's best `first_read` candidates in
    /// its first walk. Exposed for the property tests, which force several
    /// walks on small populations.
    pub fn suggest_groups_reading(&self, query: &GroupQuery<'_>, first_read: usize) -> GroupAnswer {
        let seeker = match self.group_seeker(query) {
            Ok(seeker) => seeker,
            Err(empty) => return Self::no_groups(empty),
        };
        if query.limit == 0 {
            return Self::no_groups(None);
        }
        let mut read = first_read.max(1);
        let mut groups = Groups::new(self, query, seeker.side.core, Vec::new());
        // Each group listed is proven the best that is not too close to
        // those before it, whatever a longer read would add, so it stays
        // listed while the read grows.
        let mut listed = Vec::new();
        loop {
            let top = self.top(&seeker, read, SPLIT_FROM);
            // Everyone unread is at most as good as the last one read.
            let unread_bound = (top.len() == read).then(|| top.last().map(|last| last.score)).flatten();
            groups.read_more(top);
            let mut proven = true;
            while listed.len() < query.limit {
                let best = groups.best(&listed);
                if groups.out_of_work() {
                    break;
                }
                match best {
                    Some(found) if unread_bound.is_none_or(|bound| found.score > bound) => listed.push(found),
                    None if unread_bound.is_none() => break,
                    _ => {
                        proven = false;
                        break;
                    }
                }
            }
            if groups.out_of_work() {
                return groups.answer(listed, true);
            }
            if proven {
                return groups.answer(listed, false);
            }
            read = read.saturating_mul(4);
        }
    }

    /// How many people could share a group with the seeker (the oracle
    /// enumerates every group of them).
    pub fn group_candidate_count(&self, query: &GroupQuery<'_>) -> usize {
        self.group_seeker(query).map_or(0, |seeker| self.every_candidate(&seeker).len())
    }

    /// Group suggestions, the oracle: every group of every candidate,
    /// ranked and listed with the same functions. Slow by design.
    pub fn suggest_groups_exhaustive(&self, query: &GroupQuery<'_>) -> GroupAnswer {
        let seeker = match self.group_seeker(query) {
            Ok(seeker) => seeker,
            Err(empty) => return Self::no_groups(empty),
        };
        if query.limit == 0 {
            return Self::no_groups(None);
        }
        let every = self.every_candidate(&seeker);
        let mut groups = Groups::new(self, query, seeker.side.core, every);
        let mut all = Vec::new();
        let mut members = Vec::with_capacity(query.size);
        every_group(&mut groups, &mut members, 0, &mut all);
        let listed = groups.listed(all);
        groups.answer(listed, false)
    }
}

/// Every valid group (the oracle): each set of `size - 1` candidates, in
/// ascending index order, that keeps the group rules and has every pair.
fn every_group(groups: &mut Groups<'_, '_>, members: &mut Vec<usize>, from: usize, all: &mut Vec<Found>) {
    if members.len() + 1 == groups.query.size {
        if groups.rules_hold(members)
            && let Some(found) = groups.found(members)
        {
            all.push(found);
        }
        return;
    }
    for next in from..groups.candidates.len() {
        members.push(next);
        every_group(groups, members, next + 1, all);
        members.pop();
    }
}

/// What the seeker sees of a suggested group (DESIGN §7): the other
/// members' cards, the group's score and reasons about the group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupCard {
    /// The other members, as suggestion cards (bands, never unshared
    /// needs), best pair with the seeker first.
    pub members: Vec<Card>,
    /// The lowest pair score in the group, rounded to three places.
    pub score: f64,
    /// Why, in plain words, about the whole group.
    pub reasons: Vec<String>,
}

impl Population {
    /// The card of a group suggested to `seeker`.
    pub fn group_card(&self, seeker: Uuid, group: &GroupSuggestion) -> Option<GroupCard> {
        let members: Vec<Card> = group.members.iter().map(|member| self.card(seeker, member)).collect::<Option<_>>()?;
        let everyone: Vec<Uuid> = std::iter::once(seeker).chain(group.members.iter().map(|member| member.id)).collect();
        Some(GroupCard {
            members,
            score: shown_score(group.score),
            reasons: self.reasons_of_group(&everyone, group.goal)?,
        })
    }
}

impl Population {
    /// Why `everyone` (the requester first) suit each other as a group, in
    /// plain words, if every pair among them passes every hard filter both
    /// ways (exclusions aside) and nobody wants a smaller group: the check
    /// and the reasons of a group introduction. Support needs are never
    /// named.
    pub fn group_reasons(&self, everyone: &[Uuid]) -> Option<Vec<String>> {
        self.reasons_of_group(everyone, None)
    }

    /// [`Self::group_reasons`], naming `goal` (an index) as the goal they
    /// all chose when it is one.
    fn reasons_of_group(&self, everyone: &[Uuid], goal: Option<u16>) -> Option<Vec<String>> {
        let profiles: Vec<&MatchProfile> = everyone.iter().map(|id| self.profile(*id)).collect::<Option<_>>()?;
        // A wish about group size is as firm as one about age: nobody is
        // asked into a larger group than they said.
        if profiles.iter().any(|person| usize::from(person.core.group_size_max) < profiles.len()) {
            return None;
        }
        let mut farthest = 0.0f32;
        for (index, one) in profiles.iter().enumerate() {
            for other in &profiles[index + 1..] {
                let distance_km = self.districts.distance_km(one.core.district, other.core.district);
                if one.id == other.id || !eligible(&one.core, &other.core, distance_km, self.current_year) {
                    return None;
                }
                farthest = farthest.max(distance_km);
            }
        }
        Some(group_reasons(&self.codebook, &self.idf, &profiles, farthest, goal))
    }
}
