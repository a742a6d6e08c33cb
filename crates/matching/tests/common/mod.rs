//! What the matcher's property tests share: the shipped reference data,
//! a random person, and a population built from records.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use friends_domain::areas::Areas;
use friends_domain::person::{Contact, Contribution, PersonRecord, Preferences, ProfileStatus};
use friends_domain::taxonomy::{Taxonomy, VocabularyKind};
use friends_matching::{Codebook, DistrictTable, Population};
use proptest::prelude::*;
use uuid::Uuid;

pub struct Shared {
    pub taxonomy: Taxonomy,
    pub codebook: Arc<Codebook>,
    pub districts: Arc<DistrictTable>,
}

pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let taxonomy = Taxonomy::from_json(include_str!("../../../../data/taxonomy.json"));
        let areas = Areas::from_csv(
            include_str!("../../../../data/uk_outcodes_gb.csv"),
            include_str!("../../../../data/lad_uk_codes_names.csv"),
        );
        let (Ok(taxonomy), Ok(areas)) = (taxonomy, areas) else { panic!("shipped data") };
        let codebook = Arc::new(Codebook::new(&taxonomy));
        let districts = Arc::new(DistrictTable::new(&areas));
        Shared { taxonomy, codebook, districts }
    })
}

/// Districts close enough that most pairs are in reach, and a few far ones.
pub const OUTCODES: &[&str] = &["TW9", "TW10", "SW14", "W4", "TW1", "SW13", "W6", "SW1A", "M1", "TW9"];

pub fn ids(kind: VocabularyKind, picks: &[usize], limit: usize) -> Vec<String> {
    let terms = shared().taxonomy.vocabulary(kind).terms();
    let mut chosen: Vec<String> = picks.iter().map(|&pick| terms[pick % limit.min(terms.len())].id.clone()).collect();
    chosen.sort();
    chosen.dedup();
    chosen
}

/// Interests from a small pool, so that people share them often, which
/// includes pairs 64 apart (0 and 64, 1 and 65, ...): they fall on the same
/// bit of the interest signature, which a bound on shared interests must
/// allow for.
pub fn interest_ids(picks: &[usize]) -> Vec<String> {
    let terms = shared().taxonomy.vocabulary(VocabularyKind::Interests).terms();
    let mut chosen: Vec<String> =
        picks.iter().map(|&pick| terms[pick % 12 + 64 * (pick / 12 % 2)].id.clone()).collect();
    chosen.sort();
    chosen.dedup();
    chosen
}

prop_compose! {
    pub fn record()(
        outcode in 0..OUTCODES.len(), travel in 1u16..=30, age in 18i32..80,
        gender in 0usize..5, wanted in proptest::collection::vec(0usize..5, 0..2),
        age_min in proptest::option::of(16u8..40), age_span in proptest::option::of(5u8..60),
        communication in proptest::collection::vec(0usize..4, 1..3),
        interests in proptest::collection::vec(0usize..24, 0..6),
        goals in proptest::collection::vec(0usize..10, 0..3),
        availability in proptest::collection::vec(0usize..21, 0..5),
        needs in proptest::collection::vec(0usize..14, 0..3),
        access in proptest::collection::vec(0usize..11, 0..2),
        contribution in proptest::option::of((0u32..50, 0u32..50)),
        similar in any::<bool>(), share in any::<bool>(), discoverable in prop::bool::weighted(0.9),
        paused in prop::bool::weighted(0.1),
        group_size_max in proptest::option::of(2u8..=8),
    ) -> PersonRecord {
        PersonRecord {
            display_name: "Synthetic".into(),
            about: String::new(),
            birth_year: 2026 - age,
            gender: ids(VocabularyKind::Genders, &[gender], 5).pop(),
            outcode: OUTCODES[outcode].into(),
            authority_code: String::new(),
            travel_km: travel,
            travel: None,
            interests: interest_ids(&interests),
            goals: ids(VocabularyKind::Goals, &goals, 10),
            support_needs: ids(VocabularyKind::SupportNeeds, &needs, 14),
            communication: ids(VocabularyKind::Communication, &communication, 4),
            access_needs: ids(VocabularyKind::AccessNeeds, &access, 11),
            availability: ids(VocabularyKind::Availability, &availability, 21),
            contribution_gbp_week: contribution.map(|(min, span)| Contribution { min, max: min + span }),
            preferences: Preferences {
                age_min,
                age_max: age_min.zip(age_span).map(|(min, span)| min.saturating_add(span)),
                genders: ids(VocabularyKind::Genders, &wanted, 5),
                group_size_max,
                similar_needs: similar,
            },
            contact: Contact::default(),
            share_needs_with_matches: share,
            discoverable,
            public_listing: false,
            status: if paused { ProfileStatus::Paused } else { ProfileStatus::Active },
        }
    }
}

pub fn population(records: &[PersonRecord]) -> (Population, Vec<Uuid>) {
    let shared = shared();
    let mut population = Population::new(shared.codebook.clone(), shared.districts.clone(), 2026);
    let ids: Vec<Uuid> = (0..records.len()).map(|index| Uuid::from_u128(index as u128 + 1)).collect();
    population.apply(ids.iter().copied().zip(records.iter().map(Some)));
    (population, ids)
}

/// Every hard filter of DESIGN §4 between two records, both ways, read
/// from the records themselves (not from the matcher's compact form):
/// `Err` says which failed.
pub fn pair_fits(a: &PersonRecord, b: &PersonRecord) -> Result<(), String> {
    let shared = shared();
    if !(a.status == ProfileStatus::Active && b.status == ProfileStatus::Active) {
        return Err("not both active".into());
    }
    if !(a.discoverable && b.discoverable) {
        return Err("not both discoverable".into());
    }
    let km = shared
        .districts
        .distance_km(shared.districts.index(&a.outcode).unwrap_or(0), shared.districts.index(&b.outcode).unwrap_or(0));
    if !(km <= f32::from(a.travel_km) && km <= f32::from(b.travel_km)) {
        return Err(format!("{km} km is beyond a travel limit"));
    }
    if !a.communication.iter().any(|method| b.communication.contains(method)) {
        return Err("no shared communication method".into());
    }
    for (wisher, other) in [(a, b), (b, a)] {
        let age = 2026 - other.birth_year;
        if wisher.preferences.age_min.is_some_and(|min| age < i32::from(min))
            || wisher.preferences.age_max.is_some_and(|max| age > i32::from(max))
        {
            return Err("an age wish fails".into());
        }
        if !wisher.preferences.genders.is_empty()
            && !other.gender.as_ref().is_some_and(|gender| wisher.preferences.genders.contains(gender))
        {
            return Err("a gender wish fails".into());
        }
    }
    Ok(())
}
