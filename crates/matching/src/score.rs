//! Hard filters and the reciprocal score.

use crate::profile::Core;

/// Weights of the signals in a directional score; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Shared interests, IDF-weighted.
    pub interests: f64,
    /// Shared goals.
    pub goals: f64,
    /// Overlapping availability.
    pub availability: f64,
    /// Overlapping contribution ranges.
    pub contribution: f64,
    /// Shared needs (support needs when asked for; access needs a little).
    pub needs: f64,
    /// Nearness within the travel limit.
    pub distance: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self { interests: 0.35, goals: 0.2, availability: 0.15, contribution: 0.1, needs: 0.1, distance: 0.1 }
    }
}

/// Open requests beyond which a person is ranked down (DESIGN §4).
pub const EXPOSURE_CAP: u32 = 5;

/// One direction's signals: how well `other` suits `seeker`, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Signals {
    /// Shared interests, IDF-weighted, over the seeker's.
    pub interests: f64,
    /// Shared goals over the seeker's.
    pub goals: f64,
    /// Shared slots over the seeker's.
    pub availability: f64,
    /// Contribution overlap over the seeker's range (0.5 when unknown).
    pub contribution: f64,
    /// Needs, as DESIGN §4 says.
    pub needs: f64,
    /// 1 at the same centroid, 0 at the seeker's travel limit.
    pub distance: f64,
}

impl Signals {
    /// The weighted sum.
    pub fn total(&self, weights: &Weights) -> f64 {
        weights.interests * self.interests
            + weights.goals * self.goals
            + weights.availability * self.availability
            + weights.contribution * self.contribution
            + weights.needs * self.needs
            + weights.distance * self.distance
    }
}

/// `|shared ∩ own| / |own|`, with `inverse` = `1 / |own|` precomputed (0
/// when `own` is empty).
fn share(shared: u32, own: u32, inverse: f64) -> f64 {
    f64::from((shared & own).count_ones()) * inverse
}

fn inverse_count(bits: u32) -> f64 {
    if bits == 0 { 0.0 } else { 1.0 / f64::from(bits.count_ones()) }
}

/// Whether `other` passes `seeker`'s wishes (one direction of the hard
/// filters; the distance limit is checked by the caller, which knows it).
pub fn fits_wishes(seeker: &Core, other: &Core, current_year: i32) -> bool {
    let age = other.age(current_year);
    let age_ok = age >= i32::from(seeker.age_min) && age <= i32::from(seeker.age_max);
    let gender_ok = seeker.genders_wanted == 0 || other.gender & seeker.genders_wanted != 0;
    age_ok && gender_ok
}

/// Every hard filter of DESIGN §4, both ways, except that the two are not
/// the same person and exclusions between the pair (blocks, open or
/// declined introductions), which the caller checks.
pub fn eligible(a: &Core, b: &Core, distance_km: f32, current_year: i32) -> bool {
    a.visible
        && b.visible
        && distance_km <= a.travel_km
        && distance_km <= b.travel_km
        && a.communication & b.communication != 0
        && fits_wishes(a, b, current_year)
        && fits_wishes(b, a, current_year)
}

/// The IDF mass of a set of interests (the denominator of the interest
/// signal).
pub fn interest_mass(interests: &[u16], idf: &[f64]) -> f64 {
    interests.iter().map(|&interest| idf[usize::from(interest)]).sum()
}

/// The divisors of a side's directional score, inverted once: a seeker's
/// once per query, a candidate's only when their side is needed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Inverses {
    mass: f64,
    goals: f64,
    availability: f64,
    support_needs: f64,
    access_needs: f64,
    travel: f64,
    contribution: f64,
}

/// One side of a pair: its core, its interests and their inverted divisors.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Filter and score fields.
    pub core: &'a Core,
    /// Interest indexes, sorted.
    pub interests: &'a [u16],
    /// See [`Inverses`]; all zero until [`Side::complete`].
    pub inverses: Inverses,
}

impl<'a> Side<'a> {
    /// `1 / (the IDF mass of the interests)`, 0 without interests (only
    /// once [`Side::complete`]).
    pub fn inverse_mass(&self) -> f64 {
        self.inverses.mass
    }

    /// A side whose divisors are not computed yet (enough to be the `other`
    /// of a directional score).
    pub fn partial(core: &'a Core, interests: &'a [u16]) -> Self {
        Self { core, interests, inverses: Inverses::default() }
    }

    /// A side ready to be the seeker of a directional score.
    pub fn complete(core: &'a Core, interests: &'a [u16], idf: &[f64]) -> Self {
        let mass = interest_mass(interests, idf);
        Self {
            core,
            interests,
            inverses: Inverses {
                mass: if mass > 0.0 { 1.0 / mass } else { 0.0 },
                goals: inverse_count(core.goals),
                availability: inverse_count(core.availability),
                support_needs: inverse_count(core.support_needs),
                access_needs: inverse_count(core.access_needs),
                travel: 1.0 / f64::from(core.travel_km),
                contribution: core.contribution.map_or(0.0, |(min, max)| 1.0 / f64::from(max - min + 1)),
            },
        }
    }
}

/// How well `other` suits `seeker` (`seeker` must be [`Side::complete`]).
pub fn directional(seeker: Side<'_>, other: Side<'_>, distance_km: f32, idf: &[f64]) -> Signals {
    let mut signals = directional_without_interests(seeker, other.core, distance_km);
    signals.interests = interest_signal(seeker, shared_idf(seeker.interests, other.interests, idf));
    signals
}

/// The interest signal of [`directional`], from the IDF mass the two
/// sides share (the same either way round).
pub fn interest_signal(seeker: Side<'_>, shared_mass: f64) -> f64 {
    shared_mass * seeker.inverses.mass
}

/// Every signal of [`directional`] but interests (left at 0), from the two
/// cores alone.
#[inline]
pub fn directional_without_interests(seeker: Side<'_>, other: &Core, distance_km: f32) -> Signals {
    let inverse = seeker.inverses;
    let seeker = seeker.core;
    let contribution = match (seeker.contribution, other.contribution) {
        (Some((own_min, own_max)), Some((other_min, other_max))) => {
            let low = own_min.max(other_min);
            let high = own_max.min(other_max);
            if low > high { 0.0 } else { f64::from(high - low + 1) * inverse.contribution }
        }
        _ => 0.5,
    };
    let access = share(other.access_needs, seeker.access_needs, inverse.access_needs);
    let needs = if seeker.similar_needs || other.similar_needs {
        0.7 * share(other.support_needs, seeker.support_needs, inverse.support_needs) + 0.3 * access
    } else {
        0.3 * access
    };
    Signals {
        interests: 0.0,
        goals: share(other.goals, seeker.goals, inverse.goals),
        availability: share(other.availability, seeker.availability, inverse.availability),
        contribution,
        needs,
        distance: (1.0 - f64::from(distance_km) * inverse.travel).clamp(0.0, 1.0),
    }
}

/// The IDF mass of the interests two sorted lists share, summed in
/// ascending interest order (so the same either way round).
pub(crate) fn shared_idf(left: &[u16], right: &[u16], idf: &[f64]) -> f64 {
    let (mut i, mut j, mut mass) = (0, 0, 0.0);
    while i < left.len() && j < right.len() {
        match left[i].cmp(&right[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                mass += idf[usize::from(left[i])];
                i += 1;
                j += 1;
            }
        }
    }
    mass
}

/// The pair's score: the harmonic mean of both directions, so that a
/// one-sided fit ranks low. Symmetric by construction.
pub fn reciprocal(a_wants_b: f64, b_wants_a: f64) -> f64 {
    let (low, high) = if a_wants_b <= b_wants_a { (a_wants_b, b_wants_a) } else { (b_wants_a, a_wants_b) };
    if low + high <= 0.0 { 0.0 } else { 2.0 * low * high / (low + high) }
}

/// Ranking factor for a candidate with `open_requests` open requests.
pub fn exposure_factor(open_requests: u32) -> f64 {
    if open_requests < EXPOSURE_CAP { 1.0 } else { 1.0 / (2.0 + f64::from(open_requests - EXPOSURE_CAP)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_reciprocal_score_is_symmetric_and_bounded(x in 0.0f64..=1.0, y in 0.0f64..=1.0) {
            prop_assert_eq!(reciprocal(x, y).to_bits(), reciprocal(y, x).to_bits());
            let score = reciprocal(x, y);
            prop_assert!((0.0..=1.0).contains(&score));
            prop_assert!(score <= x.max(y) + 1e-12);
            prop_assert!(score >= x.min(y) - 1e-12);
        }
    }

    #[test]
    fn a_one_sided_fit_ranks_low() {
        assert!(reciprocal(1.0, 0.1) < 0.2);
        assert_eq!(reciprocal(0.0, 1.0), 0.0);
    }
}
