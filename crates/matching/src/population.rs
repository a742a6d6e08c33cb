//! The in-memory population: profiles by slot, districts' members sorted by
//! travel limit, interest document frequencies, and the two pair suggestion
//! paths (fast and exhaustive) that must agree.
//!
//! One file over 600 lines on purpose: what stays here is that one idea.
//! The fast path and its oracle share a private layout (slots, packed scan
//! entries, the score floor and the top N), and keeping them side by side
//! is what lets a reader check that they agree; the floor and the top N
//! cannot move to a child module without a cycle of imports.
//!
//! The rest lives in child modules that read the same layout: cards (what
//! a person sees of another) in [`cards`], the public card of the council
//! embed in [`public`], and group suggestions in [`groups`], which reach the
//! pair paths through a few methods (`seeker_of`, `top`, `every_candidate`,
//! `reciprocal_between`).

pub(crate) mod cards;
pub(crate) mod demand;
pub(crate) mod groups;
pub(crate) mod public;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use friends_domain::person::PersonRecord;
use uuid::Uuid;

use crate::codebook::Codebook;
use crate::districts::DistrictTable;
use crate::group_rules;
use crate::profile::{MatchProfile, Packed};
use crate::reasons::reasons;
use crate::score::{
    Side, Signals, Weights, directional, directional_without_interests, eligible, exposure_factor, interest_signal,
    reciprocal,
};

/// A suggestion request.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// Who is asking.
    pub seeker: Uuid,
    /// How many to return.
    pub limit: usize,
    /// Only people who chose this goal id.
    pub goal: Option<&'a str>,
    /// People never to suggest to this seeker (blocks, open or recently
    /// declined introductions), held by the caller.
    pub excluded: &'a HashSet<Uuid>,
}

/// One ranked candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The candidate.
    pub id: Uuid,
    /// Reciprocal score times the exposure factor.
    pub score: f64,
    /// Distance between the two districts, in km (never shown: see [`Card`]).
    pub distance_km: f32,
    /// How well the candidate suits the seeker.
    pub signals: Signals,
}

/// Everyone the matcher knows, kept current by [`Population::apply`].
#[derive(Debug, Clone)]
pub struct Population {
    codebook: Arc<Codebook>,
    districts: Arc<DistrictTable>,
    weights: Weights,
    current_year: i32,
    slots: Vec<Option<MatchProfile>>,
    free_slots: Vec<u32>,
    /// Slot by id. Every public search and suggestion card looks ids up
    /// here, in a map of up to millions: foldhash (seeded per process)
    /// rather than SipHash, since ids are drawn by the service or the
    /// identity provider, never chosen by a caller to collide.
    by_id: HashMap<Uuid, u32, foldhash::fast::RandomState>,
    /// Each district's visible people, packed for scanning, by travel limit
    /// descending, then slot.
    by_district: Vec<Vec<Packed>>,
    interest_frequency: Vec<u32>,
    /// Findable people with a public listing (the council embed), packed:
    /// a public search reads every listed match of an authority (a
    /// thousand in the largest), and this small map keeps each read to one
    /// lookup in memory that stays warm, where the full profiles of a
    /// million people would cost three cache misses each.
    listed: HashMap<Uuid, Packed, foldhash::fast::RandomState>,
    visible_count: u32,
    idf: Vec<f64>,
    open_requests: HashMap<Uuid, u32>,
}

impl Population {
    /// An empty population.
    pub fn new(codebook: Arc<Codebook>, districts: Arc<DistrictTable>, current_year: i32) -> Self {
        let interest_count = codebook.interests.len();
        let district_count = districts.len();
        let mut population = Self {
            codebook,
            districts,
            weights: Weights::default(),
            current_year,
            slots: Vec::new(),
            free_slots: Vec::new(),
            by_id: HashMap::default(),
            by_district: vec![Vec::new(); district_count],
            interest_frequency: vec![0; interest_count],
            listed: HashMap::default(),
            visible_count: 0,
            idf: vec![0.0; interest_count],
            open_requests: HashMap::new(),
        };
        population.refresh_idf();
        population
    }

    /// Number of people held (visible or not).
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Number of people who can be suggested (active and discoverable).
    pub fn visible_len(&self) -> usize {
        self.visible_count as usize
    }

    /// Whether nobody is held.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether `id` is held (visible or not).
    pub fn contains(&self, id: Uuid) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Every id held.
    pub fn ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.by_id.keys().copied()
    }

    /// The profile of `id`, if held.
    pub fn profile(&self, id: Uuid) -> Option<&MatchProfile> {
        self.by_id.get(&id).and_then(|&slot| self.slots[slot as usize].as_ref())
    }

    /// Applies a batch of changes: `Some(record)` upserts, `None` removes.
    /// IDF weights are refreshed once, at the end.
    pub fn apply<'a>(&mut self, changes: impl IntoIterator<Item = (Uuid, Option<&'a PersonRecord>)>) {
        for (id, record) in changes {
            self.remove(id);
            if let Some(record) = record
                && let Some(profile) = MatchProfile::from_record(id, record, &self.codebook, &self.districts)
            {
                self.insert(profile);
            }
        }
        self.refresh_idf();
    }

    /// Sets the open-request counts used by the exposure cap.
    pub fn set_open_requests(&mut self, counts: HashMap<Uuid, u32>) {
        self.open_requests = counts;
    }

    /// Sets one person's open-request count (requests waiting for them).
    pub fn set_open_request_count(&mut self, id: Uuid, count: u32) {
        if count == 0 {
            self.open_requests.remove(&id);
        } else {
            self.open_requests.insert(id, count);
        }
    }

    /// Why `requester` and `recipient` suit each other, in plain words, if
    /// they pass every hard filter both ways (exclusions aside). A shared
    /// support need is named only if both chose to share theirs, since both
    /// people read these reasons.
    pub fn pair_reasons(&self, requester: Uuid, recipient: Uuid) -> Option<Vec<String>> {
        let (left, right) = (self.profile(requester)?, self.profile(recipient)?);
        let distance_km = self.districts.distance_km(left.core.district, right.core.district);
        // `eligible` includes both being active and discoverable.
        if requester == recipient || !eligible(&left.core, &right.core, distance_km, self.current_year) {
            return None;
        }
        let disclose_needs = left.core.share_needs && right.core.share_needs;
        Some(reasons(&self.codebook, &self.idf, left, right, distance_km, disclose_needs))
    }

    fn district_key(travel_km: f32, slot: u32) -> (std::cmp::Reverse<u32>, u32) {
        (std::cmp::Reverse(travel_km.to_bits()), slot)
    }

    fn insert(&mut self, profile: MatchProfile) {
        if profile.core.visible {
            self.visible_count += 1;
            for &interest in profile.interests.iter() {
                self.interest_frequency[usize::from(interest)] += 1;
            }
        }
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        if profile.core.visible && profile.public_listing {
            self.listed.insert(profile.id, Packed::new(&profile, slot));
        }
        // Only people who can be suggested are scanned: nobody can be
        // suggested to or with a paused or hidden person.
        if profile.core.visible {
            let packed = Packed::new(&profile, slot);
            let key = Self::district_key(profile.core.travel_km, slot);
            let members = &mut self.by_district[usize::from(profile.core.district)];
            let position =
                members.partition_point(|member| Self::district_key(member.core.travel_km, member.slot) < key);
            members.insert(position, packed);
        }
        self.by_id.insert(profile.id, slot);
        self.slots[slot as usize] = Some(profile);
    }

    fn remove(&mut self, id: Uuid) {
        let Some(slot) = self.by_id.remove(&id) else { return };
        let Some(profile) = self.slots[slot as usize].take() else { return };
        self.listed.remove(&id);
        if profile.core.visible {
            self.visible_count -= 1;
            for &interest in profile.interests.iter() {
                self.interest_frequency[usize::from(interest)] -= 1;
            }
            let key = Self::district_key(profile.core.travel_km, slot);
            let members = &mut self.by_district[usize::from(profile.core.district)];
            let position =
                members.partition_point(|member| Self::district_key(member.core.travel_km, member.slot) < key);
            if members.get(position).is_some_and(|member| member.slot == slot) {
                members.remove(position);
            }
        }
        self.free_slots.push(slot);
    }

    fn refresh_idf(&mut self) {
        let people = f64::from(self.visible_count);
        self.idf = self
            .interest_frequency
            .iter()
            .map(|&frequency| (1.0 + people / (1.0 + f64::from(frequency))).ln())
            .collect();
    }

    /// The score of the pair `seeker`–`other` at `distance_km`, with the
    /// seeker's signals. `None` if a hard filter fails either way, or if
    /// `floor` is given and the pair cannot reach it (see [`Floor`]).
    /// Skipping below the floor never changes the top N, which the oracle
    /// checks.
    fn score_pair(
        &self,
        seeker: &Seeker<'_>,
        other: Side<'_>,
        other_slot: u32,
        distance_km: f32,
        floor: Option<Floor>,
    ) -> Option<Suggestion> {
        if other_slot == seeker.slot || !eligible(seeker.side.core, other.core, distance_km, self.current_year) {
            return None;
        }
        if seeker.goal.is_some_and(|bit| other.core.goals & bit == 0) {
            return None;
        }
        if !seeker.excluded.is_empty() && seeker.excluded.binary_search(&other_slot).is_ok() {
            return None;
        }
        if seeker.group_size.is_some_and(|size| !group_rules::admits(seeker.side.core, other.core, size)) {
            return None;
        }
        // Distance alone is not a reason to meet (DESIGN §4, honest lists).
        let shares_goal = seeker.side.core.goals & other.core.goals != 0;
        let mut seeker_side = directional_without_interests(seeker.side, other.core, distance_km);
        if let Some(floor) = floor {
            // First without reading the interest lists.
            let interests = seeker.interest_cap.cap(other.core.interest_signature);
            let bound = seeker_side.total(&self.weights) + self.weights.interests * interests;
            if bound < floor.seeker_side {
                return None;
            }
        }
        let shared_mass = seeker.shared_mass(other.interests);
        // Every interest of the seeker weighs more than 0 (its IDF), so no
        // mass means no shared interest.
        if !shares_goal && shared_mass <= 0.0 {
            return None;
        }
        seeker_side.interests = interest_signal(seeker.side, shared_mass);
        let seeker_total = seeker_side.total(&self.weights);
        if floor.is_some_and(|floor| seeker_total < floor.seeker_side) {
            return None;
        }
        let other = Side::complete(other.core, other.interests, &self.idf);
        let mut other_side = directional_without_interests(other, seeker.side.core, distance_km);
        other_side.interests = interest_signal(other, shared_mass);
        let pair = reciprocal(seeker_total, other_side.total(&self.weights));
        // The exposure factor is at most 1, so a pair below the floor stays
        // below it. Checked before the id is read: that read is a cache miss
        // into the full profiles, and most pairs that get this far stop here.
        if floor.is_some_and(|floor| pair < floor.score) {
            return None;
        }
        let id = self.slots[other_slot as usize].as_ref()?.id;
        let open = if self.open_requests.is_empty() { 0 } else { self.open_requests.get(&id).copied().unwrap_or(0) };
        Some(Suggestion { id, score: pair * exposure_factor(open), distance_km, signals: seeker_side })
    }

    /// The symmetric pair score (no exposure factor, no exclusions): for
    /// tests of symmetry and for explanations.
    pub fn pair_score(&self, a: Uuid, b: Uuid) -> Option<f64> {
        let (left, right) = (self.profile(a)?, self.profile(b)?);
        let distance_km = self.districts.distance_km(left.core.district, right.core.district);
        if a == b || !eligible(&left.core, &right.core, distance_km, self.current_year) {
            return None;
        }
        Some(self.reciprocal_between(left, right, distance_km))
    }

    /// The reciprocal score of two people `distance_km` apart, filters
    /// aside (symmetric to the bit).
    fn reciprocal_between(&self, one: &MatchProfile, other: &MatchProfile, distance_km: f32) -> f64 {
        let (one, other) = (self.side(one), self.side(other));
        let forward = directional(one, other, distance_km, &self.idf).total(&self.weights);
        let backward = directional(other, one, distance_km, &self.idf).total(&self.weights);
        reciprocal(forward, backward)
    }

    /// The seeker's side of a query, or `None` when nobody can be suggested
    /// (unknown or invisible seeker, unknown goal, zero limit).
    fn seeker<'q>(&'q self, query: &'q Query<'q>) -> Option<Seeker<'q>> {
        if query.limit == 0 {
            return None;
        }
        self.seeker_of(query.seeker, query.goal, query.excluded, None)
    }

    /// The seeker's side of a pair or group search, or `None` when nobody
    /// can be suggested (unknown or invisible seeker, unknown goal). A group
    /// search admits only candidates who could share a group of
    /// `group_size` with the seeker (see [`group_rules::admits`]).
    fn seeker_of<'q>(
        &'q self,
        id: Uuid,
        goal: Option<&str>,
        excluded: &HashSet<Uuid>,
        group_size: Option<u8>,
    ) -> Option<Seeker<'q>> {
        let slot = *self.by_id.get(&id)?;
        let profile = self.slots[slot as usize].as_ref()?;
        let goal = match goal {
            None => None,
            Some(goal) => Some(1u32 << self.codebook.goals.index(goal)?),
        };
        if !profile.core.visible {
            return None;
        }
        let side = self.side(profile);
        let mut interest_weight = vec![0.0; self.idf.len()];
        for &interest in profile.interests.iter() {
            interest_weight[usize::from(interest)] = self.idf[usize::from(interest)];
        }
        let interest_cap =
            InterestCap::new(&profile.interests, profile.core.interest_signature, &self.idf, side.inverse_mass());
        // Exclusions by slot, so that checking one reads no full profile.
        let mut excluded: Vec<u32> = excluded.iter().filter_map(|id| self.by_id.get(id).copied()).collect();
        excluded.sort_unstable();
        Some(Seeker { side, slot, goal, excluded, group_size, interest_cap, interest_weight })
    }

    /// A full profile as one side of a pair.
    fn side<'p>(&self, profile: &'p MatchProfile) -> Side<'p> {
        Side::complete(&profile.core, &profile.interests, &self.idf)
    }

    /// The fast path: districts within the seeker's travel limit, nearest
    /// first; in each, only people whose own limit reaches the seeker. A
    /// large scan is split over two threads (see [`Self::suggest_split_from`]).
    pub fn suggest(&self, query: &Query<'_>) -> Vec<Suggestion> {
        self.suggest_split_from(query, SPLIT_FROM)
    }

    /// The fast path, split over two threads once the districts in reach
    /// hold at least `split_from` people. Each half keeps its own top N and
    /// both share the higher of their floors (a person below a half's full
    /// top N cannot be in the overall top N), so the merged result is the
    /// same as one thread's. Exposed for the property tests, which force the
    /// split on small populations.
    pub fn suggest_split_from(&self, query: &Query<'_>, split_from: usize) -> Vec<Suggestion> {
        let Some(seeker) = self.seeker(query) else { return Vec::new() };
        self.top(&seeker, query.limit, split_from)
    }

    /// The seeker's best `limit` candidates, best first (the fast path).
    fn top(&self, seeker: &Seeker<'_>, limit: usize, split_from: usize) -> Vec<Suggestion> {
        // Neighbours come nearest first: those in reach are a prefix.
        let neighbours = self.districts.neighbours(seeker.side.core.district);
        let reach = &neighbours[..neighbours.partition_point(|(_, km)| *km <= seeker.side.core.travel_km)];
        if limit >= COLLECT_FROM {
            return self.everyone_in_reach(seeker, reach, limit);
        }
        let people: usize = reach.iter().map(|(district, _)| self.by_district[usize::from(*district)].len()).sum();
        let shared_floor = SharedFloor::default();
        if people < split_from || reach.len() < 2 {
            return self.scan(seeker, reach.iter(), limit, &shared_floor).into_sorted();
        }
        // Alternate districts between the halves, so that both get near and
        // far ones (and with them similar amounts of work).
        let (even, odd) = rayon::join(
            || self.scan(seeker, reach.iter().step_by(2), limit, &shared_floor),
            || self.scan(seeker, reach.iter().skip(1).step_by(2), limit, &shared_floor),
        );
        let mut top = even;
        for suggestion in odd.into_sorted() {
            top.offer(suggestion);
        }
        top.into_sorted()
    }

    /// The seeker's best `limit` candidates in `reach` for a long list (a
    /// group search reading deep): every candidate scored, then one sort.
    /// A top N kept in order costs a move per insert, which for thousands
    /// is quadratic; with no floor to prune by until it is full, the scan
    /// would score everyone anyway.
    fn everyone_in_reach(&self, seeker: &Seeker<'_>, reach: &[(u16, f32)], limit: usize) -> Vec<Suggestion> {
        let mut all = Vec::new();
        for &(district, distance_km) in reach {
            for packed in &self.by_district[usize::from(district)] {
                if packed.core.travel_km < distance_km {
                    break;
                }
                let Some(interests) = self.interests_of(packed) else { continue };
                let other = Side::partial(&packed.core, interests);
                all.extend(self.score_pair(seeker, other, packed.slot, distance_km, None));
            }
        }
        all.sort_by(rank_order);
        all.truncate(limit);
        all
    }

    /// A scan entry's interests: inline, or from the full profile for
    /// people with more than fit.
    fn interests_of<'p>(&'p self, packed: &'p Packed) -> Option<&'p [u16]> {
        match packed.interests() {
            Some(interests) => Some(interests),
            None => self.slots.get(packed.slot as usize)?.as_ref().map(|profile| &*profile.interests),
        }
    }

    /// Scans `districts` for the seeker into a top N.
    fn scan<'d>(
        &self,
        seeker: &Seeker<'_>,
        districts: impl Iterator<Item = &'d (u16, f32)>,
        limit: usize,
        shared_floor: &SharedFloor,
    ) -> TopN {
        let mut top = TopN::new(limit);
        let mut floor: Option<Floor> = None;
        for &(district, distance_km) in districts {
            for packed in &self.by_district[usize::from(district)] {
                if packed.core.travel_km < distance_km {
                    break;
                }
                // Written out rather than `interests_of`: this is the loop of
                // every pair suggestion, measured as it stands (BENCHMARKS.md).
                let interests = match packed.interests() {
                    Some(interests) => interests,
                    None => match self.slots[packed.slot as usize].as_ref() {
                        Some(profile) => &profile.interests,
                        None => continue,
                    },
                };
                // The other side's mass is only needed past the floor check.
                let other = Side::partial(&packed.core, interests);
                let score = shared_floor.max_with(top.floor());
                if score != floor.map(|floor| floor.score) {
                    floor = score.map(Floor::new);
                }
                if let Some(suggestion) = self.score_pair(seeker, other, packed.slot, distance_km, floor) {
                    top.offer(suggestion);
                    if let Some(own) = top.floor() {
                        shared_floor.raise(own);
                    }
                }
            }
        }
        top
    }

    /// The oracle: every person in the population, scored with the same
    /// functions. Slow by design; tests and the benchmark compare against it.
    pub fn suggest_exhaustive(&self, query: &Query<'_>) -> Vec<Suggestion> {
        let Some(seeker) = self.seeker(query) else { return Vec::new() };
        let mut all = self.every_candidate(&seeker);
        all.truncate(query.limit);
        all
    }

    /// Every candidate of the seeker in the whole population, best first
    /// (for the oracles).
    fn every_candidate(&self, seeker: &Seeker<'_>) -> Vec<Suggestion> {
        let mut all: Vec<Suggestion> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(slot, other)| {
                let other = other.as_ref()?;
                let distance_km = self.districts.distance_km(seeker.side.core.district, other.core.district);
                let other = Side::partial(&other.core, &other.interests);
                self.score_pair(seeker, other, slot as u32, distance_km, None)
            })
            .collect();
        all.sort_by(rank_order);
        all
    }
}

/// What a query fixes about the seeker.
#[derive(Clone)]
struct Seeker<'q> {
    side: Side<'q>,
    slot: u32,
    goal: Option<u32>,
    /// The slots of the people excluded for this seeker, sorted.
    excluded: Vec<u32>,
    /// The size of the group sought, for a group search.
    group_size: Option<u8>,
    /// A bound on the interest signal read from signatures alone.
    interest_cap: InterestCap,
    /// The IDF of each interest the seeker has, 0 for the others.
    interest_weight: Vec<f64>,
}

/// An upper bound on the seeker's interest signal with anyone, read from
/// the other person's 64-bit interest signature alone (bit `index % 64` of
/// each of their interests), so that most candidates are skipped before
/// their interest list is summed.
#[derive(Debug, Clone)]
struct InterestCap {
    /// `by_count[k]`: the most `k` shared interests can give, the seeker's
    /// `k` rarest over the seeker's mass.
    by_count: Vec<f64>,
    signature: u64,
    /// How many of the seeker's interests share a signature bit with
    /// another of theirs (interests 64 apart do).
    collisions: usize,
}

impl InterestCap {
    fn new(interests: &[u16], signature: u64, idf: &[f64], inverse_mass: f64) -> Self {
        let mut weights: Vec<f64> = interests.iter().map(|&interest| idf[usize::from(interest)]).collect();
        weights.sort_by(|left, right| right.total_cmp(left));
        let mut by_count = Vec::with_capacity(weights.len() + 1);
        let mut sum = 0.0;
        by_count.push(0.0);
        for weight in weights {
            sum += weight;
            by_count.push(sum * inverse_mass);
        }
        let collisions = interests.len() - signature.count_ones() as usize;
        Self { by_count, signature, collisions }
    }

    /// Every shared interest lies on a bit both signatures set. Each such
    /// bit holds at least one of the seeker's interests, and all bits
    /// together hold `collisions` more than one each, so at most
    /// `popcount(overlap) + collisions` interests are shared. (Without the
    /// collisions, two people who both have interests 0 and 64 would be
    /// capped at one shared interest: an unsound cut.)
    fn cap(&self, other_signature: u64) -> f64 {
        let shared = (self.signature & other_signature).count_ones() as usize + self.collisions;
        self.by_count[shared.min(self.by_count.len() - 1)]
    }
}

impl Seeker<'_> {
    /// The IDF mass the seeker shares with `interests` (sorted): one pass
    /// with no comparisons, adding in ascending interest order as
    /// [`crate::score::shared_idf`] does, so the sum is the same to the bit
    /// (adding 0 for an interest not shared changes nothing).
    fn shared_mass(&self, interests: &[u16]) -> f64 {
        let mut mass = 0.0;
        for &interest in interests {
            mass += self.interest_weight[usize::from(interest)];
        }
        mass
    }
}

impl Population {
    /// The IDF of each interest index (as the score weighs it), for
    /// baselines that score outside the matcher.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The outcode of a district index.
    pub fn outcode_of(&self, district: u16) -> &str {
        self.districts.outcode(district)
    }

    /// The outcodes within `id`'s travel limit (their search area).
    pub fn travel_area(&self, id: Uuid) -> Option<Vec<String>> {
        let profile = self.profile(id)?;
        Some(
            self.districts
                .neighbours(profile.core.district)
                .iter()
                .take_while(|(_, km)| *km <= profile.core.travel_km)
                .map(|(district, _)| self.districts.outcode(*district).to_owned())
                .collect(),
        )
    }
}

/// Best first: higher score, then lower id (a total, deterministic order).
fn rank_order(left: &Suggestion, right: &Suggestion) -> std::cmp::Ordering {
    right.score.total_cmp(&left.score).then(left.id.cmp(&right.id))
}

/// List lengths from which the fast path scores every candidate in reach and
/// sorts once rather than keeping a top N in order (see
/// [`Population::everyone_in_reach`]). Pair suggestions never ask for so
/// many; a group search reading deep does.
pub const COLLECT_FROM: usize = 1024;

/// People in reach from which a suggestion scan is split over two threads.
/// Below it a thread hand-off costs more than it saves (measured with
/// `make bench`).
pub const SPLIT_FROM: usize = 20_000;

/// The score a candidate must reach to enter the top N, and what the
/// seeker's side of the pair must reach for that to be possible.
#[derive(Debug, Clone, Copy)]
struct Floor {
    score: f64,
    /// The other side's score is at most 1, the harmonic mean increases in
    /// both arguments and the exposure factor is at most 1, so a pair whose
    /// seeker side is `x` scores at most `reciprocal(x, 1) = 2x / (1 + x)`,
    /// which reaches `score` at `x = score / (2 - score)`. The margin (far
    /// above rounding error, far below any difference that matters) keeps
    /// the cut on the safe side.
    seeker_side: f64,
}

impl Floor {
    fn new(score: f64) -> Self {
        Self { score, seeker_side: score / (2.0 - score) - 1e-9 }
    }
}

/// The highest floor any half of a split scan has reached (the bits of a
/// non-negative f64, whose order matches the order of the numbers).
#[derive(Default)]
struct SharedFloor(std::sync::atomic::AtomicU64);

impl SharedFloor {
    fn raise(&self, floor: f64) {
        self.0.fetch_max(floor.max(0.0).to_bits(), std::sync::atomic::Ordering::Relaxed);
    }

    /// The higher of this floor and `own`; `None` while neither exists.
    fn max_with(&self, own: Option<f64>) -> Option<f64> {
        let shared = self.0.load(std::sync::atomic::Ordering::Relaxed);
        let shared = (shared != 0).then(|| f64::from_bits(shared));
        match (own, shared) {
            (Some(own), Some(shared)) => Some(own.max(shared)),
            (own, shared) => own.or(shared),
        }
    }
}

/// The best `limit` suggestions seen so far.
struct TopN {
    limit: usize,
    best: Vec<Suggestion>,
}

impl TopN {
    fn new(limit: usize) -> Self {
        Self { limit, best: Vec::with_capacity(limit + 1) }
    }

    fn offer(&mut self, suggestion: Suggestion) {
        if self.best.len() == self.limit
            && let Some(worst) = self.best.last()
            && rank_order(&suggestion, worst) != std::cmp::Ordering::Less
        {
            return;
        }
        let position = self.best.partition_point(|kept| rank_order(kept, &suggestion) == std::cmp::Ordering::Less);
        self.best.insert(position, suggestion);
        self.best.truncate(self.limit);
    }

    /// The score to beat once full.
    fn floor(&self) -> Option<f64> {
        if self.best.len() == self.limit { self.best.last().map(|worst| worst.score) } else { None }
    }

    fn into_sorted(self) -> Vec<Suggestion> {
        self.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::interest_signature;
    use crate::score::shared_idf;
    use proptest::prelude::*;

    /// Interests from a pool with many pairs on one signature bit (0, 64,
    /// 128 and 192 all fall on bit 0).
    fn interests() -> impl Strategy<Value = Vec<u16>> {
        proptest::collection::vec((0u16..6, 0u16..4), 0..10).prop_map(|picks| {
            let mut interests: Vec<u16> = picks.into_iter().map(|(low, high)| low + 64 * high).collect();
            interests.sort_unstable();
            interests.dedup();
            interests
        })
    }

    proptest! {
        #[test]
        fn the_interest_cap_is_never_below_the_interest_signal(
            seeker in interests(),
            other in interests(),
            idf in proptest::collection::vec(0.01f64..8.0, 256),
        ) {
            let mass: f64 = seeker.iter().map(|&interest| idf[usize::from(interest)]).sum();
            let inverse_mass = if mass > 0.0 { 1.0 / mass } else { 0.0 };
            let cap = InterestCap::new(&seeker, interest_signature(&seeker), &idf, inverse_mass);
            let signal = shared_idf(&seeker, &other, &idf) * inverse_mass;
            prop_assert!(cap.cap(interest_signature(&other)) + 1e-12 >= signal);
        }
    }
}
