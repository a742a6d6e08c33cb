//! The matcher's rules, checked on random populations.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use friends_domain::areas::Areas;
use friends_domain::person::{Contact, Contribution, PersonRecord, Preferences, ProfileStatus};
use friends_domain::taxonomy::{Taxonomy, VocabularyKind};
use friends_matching::{Codebook, DistrictTable, Population, Query};
use proptest::prelude::*;
use uuid::Uuid;

struct Shared {
    taxonomy: Taxonomy,
    codebook: Arc<Codebook>,
    districts: Arc<DistrictTable>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let taxonomy = Taxonomy::from_json(include_str!("../../../data/taxonomy.json"));
        let areas = Areas::from_csv(
            include_str!("../../../data/uk_outcodes_gb.csv"),
            include_str!("../../../data/lad_uk_codes_names.csv"),
        );
        let (Ok(taxonomy), Ok(areas)) = (taxonomy, areas) else { panic!("shipped data") };
        let codebook = Arc::new(Codebook::new(&taxonomy));
        let districts = Arc::new(DistrictTable::new(&areas));
        Shared { taxonomy, codebook, districts }
    })
}

/// Districts close enough that most pairs are in reach, and a few far ones.
const OUTCODES: &[&str] = &["TW9", "TW10", "SW14", "W4", "TW1", "SW13", "W6", "SW1A", "M1", "TW9"];

fn ids(kind: VocabularyKind, picks: &[usize], limit: usize) -> Vec<String> {
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
fn interest_ids(picks: &[usize]) -> Vec<String> {
    let terms = shared().taxonomy.vocabulary(VocabularyKind::Interests).terms();
    let mut chosen: Vec<String> =
        picks.iter().map(|&pick| terms[pick % 12 + 64 * (pick / 12 % 2)].id.clone()).collect();
    chosen.sort();
    chosen.dedup();
    chosen
}

prop_compose! {
    fn record()(
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
                group_size_max: None,
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

fn population(records: &[PersonRecord]) -> (Population, Vec<Uuid>) {
    let shared = shared();
    let mut population = Population::new(shared.codebook.clone(), shared.districts.clone(), 2026);
    let ids: Vec<Uuid> = (0..records.len()).map(|index| Uuid::from_u128(index as u128 + 1)).collect();
    population.apply(ids.iter().copied().zip(records.iter().map(Some)));
    (population, ids)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_fast_path_equals_the_exhaustive_oracle(
        records in proptest::collection::vec(record(), 2..120),
        excluded_picks in proptest::collection::vec(0usize..120, 0..5),
        goal in proptest::option::of(0usize..10),
        limit in 1usize..15,
    ) {
        let (population, ids) = population(&records);
        let excluded: HashSet<Uuid> = excluded_picks.iter().filter_map(|&pick| ids.get(pick).copied()).collect();
        let goal_id = goal.map(|index| shared().taxonomy.vocabulary(VocabularyKind::Goals).terms()[index].id.clone());
        for &seeker in &ids {
            let query = Query { seeker, limit, goal: goal_id.as_deref(), excluded: &excluded };
            let truth = population.suggest_exhaustive(&query);
            prop_assert_eq!(&population.suggest(&query), &truth);
            // The same scan split over two threads, forced on these small
            // populations, with its shared floor.
            prop_assert_eq!(&population.suggest_split_from(&query, 0), &truth);
            // Both score interests in one pass over a table of the seeker's
            // weights; the plain pair score merges the two lists, both ways.
            // They must agree to the bit (nobody has open requests here).
            for suggestion in &truth {
                let plain = population.pair_score(seeker, suggestion.id).map(f64::to_bits);
                prop_assert_eq!(Some(suggestion.score.to_bits()), plain);
            }
        }
    }

    /// Crowded populations and short lists, where the floor is full early
    /// and both bounds (the signature bound on interests, then the exact
    /// seeker side) prune most candidates: pruning must never change a list.
    #[test]
    fn pruning_never_changes_the_top_of_a_crowded_population(
        records in proptest::collection::vec(record(), 150..300),
        limit in 1usize..4,
    ) {
        let (population, ids) = population(&records);
        let excluded = HashSet::new();
        for &seeker in ids.iter().take(60) {
            let query = Query { seeker, limit, goal: None, excluded: &excluded };
            let truth = population.suggest_exhaustive(&query);
            prop_assert_eq!(&population.suggest(&query), &truth);
            prop_assert_eq!(&population.suggest_split_from(&query, 0), &truth);
        }
    }

    #[test]
    fn every_suggestion_passes_every_hard_filter_both_ways(records in proptest::collection::vec(record(), 2..80)) {
        let (population, ids) = population(&records);
        let excluded = HashSet::new();
        let shared = shared();
        for (index, &seeker) in ids.iter().enumerate() {
            let query = Query { seeker, limit: 50, goal: None, excluded: &excluded };
            for suggestion in population.suggest(&query) {
                let other_index = ids.iter().position(|id| *id == suggestion.id).unwrap_or(usize::MAX);
                let (a, b) = (&records[index], &records[other_index]);
                prop_assert!(a.status == ProfileStatus::Active && b.status == ProfileStatus::Active);
                prop_assert!(a.discoverable && b.discoverable);
                prop_assert_ne!(seeker, suggestion.id);
                let km = shared.districts.distance_km(
                    shared.districts.index(&a.outcode).unwrap_or(0),
                    shared.districts.index(&b.outcode).unwrap_or(0),
                );
                prop_assert!(km <= f32::from(a.travel_km) && km <= f32::from(b.travel_km));
                prop_assert!(a.communication.iter().any(|method| b.communication.contains(method)));
                for (wisher, other) in [(a, b), (b, a)] {
                    let age = 2026 - other.birth_year;
                    if let Some(min) = wisher.preferences.age_min { prop_assert!(age >= i32::from(min)); }
                    if let Some(max) = wisher.preferences.age_max { prop_assert!(age <= i32::from(max)); }
                    if !wisher.preferences.genders.is_empty() {
                        prop_assert!(other.gender.as_ref().is_some_and(|gender| wisher.preferences.genders.contains(gender)));
                    }
                }
            }
        }
    }

    #[test]
    fn swapping_the_two_people_never_changes_the_pair_score(records in proptest::collection::vec(record(), 2..40)) {
        let (population, ids) = population(&records);
        for &a in &ids {
            for &b in &ids {
                let forward = population.pair_score(a, b).map(f64::to_bits);
                let backward = population.pair_score(b, a).map(f64::to_bits);
                prop_assert_eq!(forward, backward);
            }
        }
    }

    #[test]
    fn cards_show_bands_and_only_shared_support_needs(records in proptest::collection::vec(record(), 2..60)) {
        let (population, ids) = population(&records);
        let excluded = HashSet::new();
        let need_labels: Vec<String> = shared().taxonomy.vocabulary(VocabularyKind::SupportNeeds).terms().iter().map(|t| t.label.clone()).collect();
        for &seeker in &ids {
            let query = Query { seeker, limit: 20, goal: None, excluded: &excluded };
            for suggestion in population.suggest(&query) {
                let Some(card) = population.card(seeker, &suggestion) else { continue };
                let json = serde_json::to_value(&card).unwrap_or_default();
                let band = json["distance_band"].as_str().unwrap_or("missing");
                prop_assert!(["under 2 km", "2 to 5 km", "5 to 10 km", "10 to 20 km", "over 20 km"].contains(&band));
                prop_assert!(json.get("distance_km").is_none() && json.get("outcode").is_none());
                let other = &records[ids.iter().position(|id| *id == card.person_id).unwrap_or(0)];
                if !other.share_needs_with_matches {
                    prop_assert!(json.get("support_needs").is_none());
                    let text = card.reasons.join(" ");
                    for label in &need_labels {
                        prop_assert!(!text.contains(label.as_str()), "reasons name a need not shared: {text}");
                    }
                }
                prop_assert!(card.reasons.len() <= 7);
            }
        }
    }

    /// Only people who can be suggested are in the scan lists, so every
    /// update must move a person in or out of them: after any sequence of
    /// erasures, re-creations, pauses, resumptions, moves and changes of
    /// mind, the fast path still equals the oracle.
    #[test]
    fn updates_keep_the_scan_lists_in_step(
        records in proptest::collection::vec(record(), 20..90),
        replacements in proptest::collection::vec(record(), 1..20),
        changes in proptest::collection::vec((0usize..90, 0u8..4), 1..40),
    ) {
        let (mut population, ids) = population(&records);
        for (step, &(pick, kind)) in changes.iter().enumerate() {
            let (id, original) = (ids[pick % ids.len()], &records[pick % ids.len()]);
            let mut changed = original.clone();
            match kind {
                0 => population.apply([(id, None)]),
                1 => population.apply([(id, Some(&replacements[step % replacements.len()]))]),
                2 => {
                    changed.status = if changed.status == ProfileStatus::Active { ProfileStatus::Paused } else { ProfileStatus::Active };
                    changed.discoverable = !changed.discoverable;
                    population.apply([(id, Some(&changed))]);
                }
                _ => population.apply([(id, Some(original))]),
            }
        }
        let excluded = HashSet::new();
        for &seeker in &ids {
            let query = Query { seeker, limit: 8, goal: None, excluded: &excluded };
            let truth = population.suggest_exhaustive(&query);
            prop_assert_eq!(&population.suggest(&query), &truth);
            prop_assert_eq!(&population.suggest_split_from(&query, 0), &truth);
        }
    }

    #[test]
    fn paused_erased_or_hidden_people_are_never_suggested(records in proptest::collection::vec(record(), 3..60), victim in 0usize..60) {
        let (mut population, ids) = population(&records);
        let victim = ids[victim % ids.len()];
        population.apply([(victim, None)]);
        let excluded = HashSet::new();
        for &seeker in &ids {
            let query = Query { seeker, limit: 60, goal: None, excluded: &excluded };
            prop_assert!(population.suggest(&query).iter().all(|suggestion| suggestion.id != victim));
            prop_assert!(population.suggest_exhaustive(&query).iter().all(|suggestion| suggestion.id != victim));
        }
    }
}

#[test]
fn the_exposure_cap_ranks_a_flooded_person_down() {
    let base = PersonRecord {
        display_name: "Synthetic".into(),
        about: String::new(),
        birth_year: 1990,
        gender: None,
        outcode: "TW9".into(),
        authority_code: String::new(),
        travel_km: 10,
        travel: None,
        interests: vec!["sport_fitness.football".into()],
        goals: vec!["share_pa".into()],
        support_needs: vec![],
        communication: vec!["spoken_english".into()],
        access_needs: vec![],
        availability: vec![],
        contribution_gbp_week: None,
        preferences: Preferences::default(),
        contact: Contact::default(),
        share_needs_with_matches: false,
        discoverable: true,
        public_listing: false,
        status: ProfileStatus::Active,
    };
    let (mut population, ids) = population(&[base.clone(), base.clone(), base]);
    let (seeker, popular, other) = (ids[0], ids[1], ids[2]);
    let excluded = HashSet::new();
    let query = Query { seeker, limit: 2, goal: None, excluded: &excluded };
    let before = population.suggest(&query);
    assert_eq!(before.len(), 2);
    assert_eq!(before[0].score, before[1].score, "control: the two candidates are alike");
    population.set_open_requests([(popular, 5)].into_iter().collect());
    let after = population.suggest(&query);
    assert_eq!(after.iter().map(|s| s.id).collect::<Vec<_>>(), vec![other, popular]);
    assert!(after[1].score < after[0].score / 1.5);
    assert_eq!(after, population.suggest_exhaustive(&query), "the oracle applies the cap too");
}
