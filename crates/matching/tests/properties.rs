//! The matcher's rules, checked on random populations.

mod common;

use std::collections::HashSet;

use common::{pair_fits, population, record, shared};
use friends_domain::person::{Contact, PersonRecord, Preferences, ProfileStatus};
use friends_domain::taxonomy::VocabularyKind;
use friends_matching::Query;
use proptest::prelude::*;
use uuid::Uuid;

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
            // A long list (a group search reading deep) scores everyone in
            // reach and sorts once: the same order as the oracle's.
            let long = Query { limit: friends_matching::COLLECT_FROM, ..query.clone() };
            prop_assert_eq!(population.suggest(&long), population.suggest_exhaustive(&long));
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
        for (index, &seeker) in ids.iter().enumerate() {
            let query = Query { seeker, limit: 50, goal: None, excluded: &excluded };
            for suggestion in population.suggest(&query) {
                let other_index = ids.iter().position(|id| *id == suggestion.id).unwrap_or(usize::MAX);
                let (a, b) = (&records[index], &records[other_index]);
                prop_assert_ne!(seeker, suggestion.id);
                prop_assert_eq!(pair_fits(a, b), Ok(()));
                // Distance alone is not a reason to meet.
                let shares = a.interests.iter().any(|interest| b.interests.contains(interest))
                    || a.goals.iter().any(|goal| b.goals.contains(goal));
                prop_assert!(shares, "a suggestion without a shared interest or goal");
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The public cards (kept apart from the full profiles, for speed)
    /// follow every update: a card exactly for findable people with a
    /// listing, with their own interests and goals.
    #[test]
    fn public_cards_follow_listings_pauses_and_erasures(
        records in proptest::collection::vec(record(), 5..40),
        listed in proptest::collection::vec(any::<bool>(), 40),
        changes in proptest::collection::vec((0usize..40, 0u8..4), 1..30),
    ) {
        let mut records = records;
        for (record, listed) in records.iter_mut().zip(&listed) {
            record.public_listing = *listed;
        }
        let (mut population, ids) = population(&records);
        let mut current: Vec<Option<PersonRecord>> = records.iter().cloned().map(Some).collect();
        for &(pick, kind) in &changes {
            let index = pick % ids.len();
            let mut changed = records[index].clone();
            match kind {
                0 => current[index] = None,
                1 => changed.public_listing = !changed.public_listing,
                2 => changed.status = if changed.status == ProfileStatus::Active { ProfileStatus::Paused } else { ProfileStatus::Active },
                _ => changed.discoverable = !changed.discoverable,
            }
            if kind != 0 {
                current[index] = Some(changed);
            }
            population.apply([(ids[index], current[index].as_ref())]);
        }
        for (index, &id) in ids.iter().enumerate() {
            let expected = current[index].as_ref().filter(|record| {
                record.public_listing && record.discoverable && record.status == ProfileStatus::Active
            });
            let card = population.public_profile(id);
            prop_assert_eq!(card.is_some(), expected.is_some(), "person {}", index);
            if let (Some(card), Some(record)) = (card, expected) {
                let mut interests: Vec<&str> = card.interests().collect();
                interests.sort_unstable();
                prop_assert_eq!(interests, record.interests.iter().map(String::as_str).collect::<Vec<_>>());
                let mut goals: Vec<&str> = card.goals().collect();
                goals.sort_unstable();
                prop_assert_eq!(goals, record.goals.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
    }
}
