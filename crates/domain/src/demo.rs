//! Deterministic synthetic people, for `make run` and tests.
//!
//! Every value is made up: names are drawn from a short list of common first
//! names with a "(demo)" marker, contact details use `example.org`, and the
//! same seed always gives the same population, on every machine and every
//! version of this crate (the generator is SplitMix64, written here so that
//! no dependency upgrade can change the sequence).

use crate::areas::{Areas, District};
use crate::person::{Contact, Contribution, PersonRecord, Preferences, ProfileStatus};
use crate::taxonomy::{Taxonomy, VocabularyKind};

/// SplitMix64: small, fast, and stable by construction.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        // Lemire's multiply-shift; the tiny bias is irrelevant for demo data.
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const FIRST_NAMES: &[&str] = &[
    "Alex", "Amira", "Ben", "Bethan", "Callum", "Chloe", "Dev", "Ellie", "Finn", "Grace", "Hamza", "Isla", "Jamal",
    "Jess", "Kai", "Leah", "Mo", "Nia", "Olly", "Priya", "Rhys", "Sam", "Tariq", "Zoe",
];

/// Draws districts in proportion to their number of postcodes.
#[derive(Debug)]
pub struct DistrictSampler<'a> {
    districts: Vec<&'a District>,
    cumulative: Vec<u64>,
}

impl<'a> DistrictSampler<'a> {
    /// Builds the sampler (districts sorted, so the draw is deterministic).
    pub fn new(areas: &'a Areas) -> Self {
        let mut districts: Vec<&District> = areas.districts().collect();
        districts.sort_by(|left, right| left.outcode.cmp(&right.outcode));
        let mut total = 0u64;
        let cumulative = districts
            .iter()
            .map(|district| {
                total += u64::from(district.postcode_count.max(1));
                total
            })
            .collect();
        Self { districts, cumulative }
    }

    /// One district.
    pub fn draw(&self, rng: &mut SplitMix64) -> &'a District {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let target = rng.next_u64() % total;
        let index = self.cumulative.partition_point(|&bound| bound <= target);
        self.districts[index.min(self.districts.len() - 1)]
    }
}

/// Ids of a vocabulary with a Zipf-like skew: early terms are common.
/// Picks `least + below(spread)` distinct ids.
fn zipf_pick(rng: &mut SplitMix64, ids: &[&str], least: usize, spread: usize) -> Vec<String> {
    let count = least + rng.below(spread);
    let mut picked: Vec<String> = Vec::with_capacity(count);
    let mut attempts = 0;
    while picked.len() < count && attempts < count * 10 {
        attempts += 1;
        // Inverse-CDF of a continuous 1/x law over [1, n+1).
        let n = ids.len() as f64;
        let rank = ((n + 1.0).powf(rng.unit()) - 1.0) as usize;
        let id = ids[rank.min(ids.len() - 1)];
        if !picked.iter().any(|known| known == id) {
            picked.push(id.to_owned());
        }
    }
    picked
}

/// A synthetic population generator.
#[derive(Debug)]
pub struct DemoPopulation<'a> {
    taxonomy: &'a Taxonomy,
    sampler: DistrictSampler<'a>,
    current_year: i32,
}

impl<'a> DemoPopulation<'a> {
    /// A generator over the real districts and vocabularies.
    pub fn new(taxonomy: &'a Taxonomy, areas: &'a Areas, current_year: i32) -> Self {
        Self { taxonomy, sampler: DistrictSampler::new(areas), current_year }
    }

    fn ids(&self, kind: VocabularyKind) -> Vec<&'a str> {
        self.taxonomy.vocabulary(kind).terms().iter().map(|term| term.id.as_str()).collect()
    }

    /// Person number `index` of the population with `seed`: the same pair
    /// always gives the same person.
    pub fn person(&self, seed: u64, index: u64) -> PersonRecord {
        let mut rng = SplitMix64::new(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
        let district = self.sampler.draw(&mut rng);
        let name = FIRST_NAMES[rng.below(FIRST_NAMES.len())];
        let age = 18 + rng.below(60) as i32;
        let communication = if rng.chance(0.7) {
            vec!["spoken_english".to_owned()]
        } else {
            zipf_pick(&mut rng, &self.ids(VocabularyKind::Communication), 1, 2)
        };
        let min = [0u32, 5, 10, 20][rng.below(4)];
        PersonRecord {
            display_name: format!("{name} (demo {index})"),
            about: String::from("Synthetic demo profile."),
            birth_year: self.current_year - age,
            gender: Some(self.ids(VocabularyKind::Genders)[rng.below(5)].to_owned()),
            outcode: district.outcode.clone(),
            authority_code: district.authority_code.clone(),
            travel_km: [3u16, 5, 10, 15, 25][rng.below(5)],
            travel: Some(self.ids(VocabularyKind::Travel)[rng.below(3)].to_owned()),
            interests: zipf_pick(&mut rng, &self.ids(VocabularyKind::Interests), 2, 7),
            goals: zipf_pick(&mut rng, &self.ids(VocabularyKind::Goals), 1, 3),
            support_needs: zipf_pick(&mut rng, &self.ids(VocabularyKind::SupportNeeds), 0, 3),
            communication,
            access_needs: zipf_pick(&mut rng, &self.ids(VocabularyKind::AccessNeeds), 0, 3),
            availability: zipf_pick(&mut rng, &self.ids(VocabularyKind::Availability), 1, 6),
            contribution_gbp_week: Some(Contribution { min, max: min + [10u32, 20, 40][rng.below(3)] }),
            preferences: Preferences { similar_needs: rng.chance(0.3), ..Preferences::default() },
            contact: Contact { email: Some(format!("demo{index}@example.org")), phone: None, note: None },
            share_needs_with_matches: rng.chance(0.2),
            discoverable: rng.chance(0.95),
            // One in ten chose a public listing: the share the public
            // search benchmark is set at (issue 11).
            public_listing: rng.chance(0.1),
            status: if rng.chance(0.05) { ProfileStatus::Paused } else { ProfileStatus::Active },
        }
    }
}

impl DemoPopulation<'_> {
    /// Planted friendship group number `group` of the population with
    /// `seed`: 3 to 6 people in one district who share several interests
    /// (from the less common part of the taxonomy), a goal, availability and
    /// a contribution range, and who set no age or gender wishes. Quality
    /// benchmarks check that suggestions find each member's group-mates.
    pub fn planted_group(&self, seed: u64, group: u64) -> Vec<PersonRecord> {
        let mut rng = SplitMix64::new(seed.rotate_left(17) ^ group.wrapping_mul(0xE703_7ED1_A0B4_28DB));
        let district = self.sampler.draw(&mut rng);
        let interests = self.ids(VocabularyKind::Interests);
        let goals = self.ids(VocabularyKind::Goals);
        let slots = self.ids(VocabularyKind::Availability);
        let size = 3 + rng.below(4);
        // Interests past the most common fifth, so that the shared ones are
        // distinctive; three of them, plus one of each member's own.
        let common = interests.len() / 5;
        let mut shared: Vec<String> = Vec::new();
        while shared.len() < 3 {
            let id = interests[common + rng.below(interests.len() - common)].to_owned();
            if !shared.contains(&id) {
                shared.push(id);
            }
        }
        let goal = goals[rng.below(goals.len())].to_owned();
        let first_slot = rng.below(slots.len() - 1);
        let availability = vec![slots[first_slot].to_owned(), slots[first_slot + 1].to_owned()];
        let min = [0u32, 10, 20][rng.below(3)];
        let base_age = 20 + rng.below(40) as i32;
        (0..size)
            .map(|member| {
                let mut own_interests = shared.clone();
                let extra = interests[rng.below(interests.len())].to_owned();
                if !own_interests.contains(&extra) {
                    own_interests.push(extra);
                }
                PersonRecord {
                    display_name: format!("{} (planted {group}.{member})", FIRST_NAMES[rng.below(FIRST_NAMES.len())]),
                    about: String::from("Synthetic demo profile in a planted group."),
                    birth_year: self.current_year - base_age - rng.below(6) as i32,
                    gender: Some(self.ids(VocabularyKind::Genders)[rng.below(5)].to_owned()),
                    outcode: district.outcode.clone(),
                    authority_code: district.authority_code.clone(),
                    travel_km: 10,
                    travel: Some("independent".to_owned()),
                    interests: own_interests,
                    goals: vec![goal.clone()],
                    support_needs: Vec::new(),
                    communication: vec!["spoken_english".to_owned()],
                    access_needs: Vec::new(),
                    availability: availability.clone(),
                    contribution_gbp_week: Some(Contribution { min, max: min + 20 }),
                    preferences: Preferences::default(),
                    contact: Contact {
                        email: Some(format!("planted{group}.{member}@example.org")),
                        phone: None,
                        note: None,
                    },
                    share_needs_with_matches: false,
                    discoverable: true,
                    public_listing: false,
                    status: ProfileStatus::Active,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::{PersonInput, ValidationContext};

    #[test]
    fn demo_people_are_deterministic_and_pass_validation() {
        let taxonomy = Taxonomy::from_json(include_str!("../../../data/taxonomy.json"));
        let areas = Areas::from_csv(
            include_str!("../../../data/uk_outcodes_gb.csv"),
            include_str!("../../../data/lad_uk_codes_names.csv"),
        );
        let (Ok(taxonomy), Ok(areas)) = (taxonomy, areas) else { panic!("shipped data must parse") };
        let population = DemoPopulation::new(&taxonomy, &areas, 2026);
        assert_eq!(population.person(7, 3), population.person(7, 3));
        let group = population.planted_group(7, 2);
        assert!((3..=6).contains(&group.len()));
        assert!(group.iter().all(|member| member.outcode == group[0].outcode && member.goals == group[0].goals));
        assert_eq!(group, population.planted_group(7, 2));
        assert_ne!(population.person(7, 3), population.person(7, 4));
        let planted = population.planted_group(1, 0);
        for record in (0..200).map(|index| population.person(1, index)).chain(planted) {
            let body = serde_json::to_value(&record).unwrap_or_default();
            let input: PersonInput = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
            let context = ValidationContext { taxonomy: &taxonomy, areas: &areas, current_year: 2026 };
            assert_eq!(input.validate(context), Ok(record));
        }
    }
}
