//! Group suggestions (DESIGN §4 "Groups"), checked on random populations:
//! the fast path equals the enumerating oracle, on sparse populations
//! (where groups are rare), crowded ones (where nearly every group is
//! pruned) and after updates; and every group keeps every rule.

mod common;

use std::collections::HashSet;

use common::{OUTCODES, ids, interest_ids, pair_fits, population, record, shared};
use friends_domain::person::{Contact, Contribution, PersonRecord, Preferences, ProfileStatus};
use friends_domain::taxonomy::VocabularyKind;
use friends_matching::{GroupAnswer, GroupQuery, NoGroups, Population};
use proptest::prelude::*;
use uuid::Uuid;

prop_compose! {
    /// People who nearly all fit each other: two districts, one language,
    /// few interests, goals and slots, no age or gender wishes.
    fn crowded_record()(
        outcode in 0usize..2, travel in 5u16..=30, age in 25i32..45,
        interests in proptest::collection::vec(0usize..6, 1..4),
        goals in proptest::collection::vec(0usize..2, 1..3),
        availability in proptest::collection::vec(0usize..3, 1..3),
        contribution in proptest::option::of((0u32..20, 10u32..40)),
        group_size_max in proptest::option::of(3u8..=8),
        paused in prop::bool::weighted(0.05),
    ) -> PersonRecord {
        PersonRecord {
            display_name: "Synthetic".into(),
            about: String::new(),
            birth_year: 2026 - age,
            gender: None,
            outcode: OUTCODES[outcode].into(),
            authority_code: String::new(),
            travel_km: travel,
            travel: None,
            interests: interest_ids(&interests),
            goals: ids(VocabularyKind::Goals, &goals, 10),
            support_needs: Vec::new(),
            communication: vec!["spoken_english".into()],
            access_needs: Vec::new(),
            availability: ids(VocabularyKind::Availability, &availability, 21),
            contribution_gbp_week: contribution.map(|(min, span)| Contribution { min, max: min + span }),
            preferences: Preferences { group_size_max, ..Preferences::default() },
            contact: Contact::default(),
            share_needs_with_matches: false,
            discoverable: true,
            public_listing: false,
            status: if paused { ProfileStatus::Paused } else { ProfileStatus::Active },
        }
    }
}

/// Pairs kept apart (blocks, open or declined introductions), both orders.
fn apart_pairs(picks: &[(usize, usize)], ids: &[Uuid]) -> HashSet<(Uuid, Uuid)> {
    picks
        .iter()
        .filter_map(|&(one, other)| Some((*ids.get(one % ids.len())?, *ids.get(other % ids.len())?)))
        .flat_map(|(one, other)| [(one, other), (other, one)])
        .collect()
}

fn goal_id(index: usize) -> String {
    shared().taxonomy.vocabulary(VocabularyKind::Goals).terms()[index].id.clone()
}

/// The fast path (reading `first_read` candidates first, to force its
/// later walks on small populations) against the oracle, for every seeker.
#[allow(clippy::too_many_arguments)]
fn agree(
    population: &Population,
    seekers: &[Uuid],
    size: usize,
    limit: usize,
    goal: Option<&str>,
    excluded: &HashSet<Uuid>,
    apart: &HashSet<(Uuid, Uuid)>,
    first_read: usize,
) -> Result<(), TestCaseError> {
    let apart = |one: Uuid, other: Uuid| apart.contains(&(one, other));
    for &seeker in seekers {
        let query = GroupQuery { seeker, size, limit, goal, excluded, apart: &apart };
        let truth = population.suggest_groups_exhaustive(&query);
        let fast = population.suggest_groups_reading(&query, first_read);
        prop_assert!(!fast.stopped_early);
        prop_assert_eq!(&fast.groups, &truth.groups, "seeker {}", seeker);
        prop_assert_eq!(fast.empty, truth.empty);
        prop_assert_eq!(&population.suggest_groups(&query).groups, &truth.groups);
    }
    Ok(())
}

/// Every rule of DESIGN §4 "Groups", read from the records.
fn check_rules(
    answer: &GroupAnswer,
    records: &[PersonRecord],
    ids: &[Uuid],
    seeker: Uuid,
    size: usize,
    goal: Option<&str>,
    apart: &HashSet<(Uuid, Uuid)>,
) -> Result<(), TestCaseError> {
    let record_of = |id: Uuid| ids.iter().position(|known| *known == id).map(|index| &records[index]);
    let mut previous: Option<f64> = None;
    for (position, group) in answer.groups.iter().enumerate() {
        prop_assert_eq!(group.members.len() + 1, size);
        prop_assert!(previous.is_none_or(|previous| group.score <= previous), "best first");
        previous = Some(group.score);
        let mut everyone = vec![seeker];
        everyone.extend(group.members.iter().map(|member| member.id));
        let unique: HashSet<Uuid> = everyone.iter().copied().collect();
        prop_assert_eq!(unique.len(), size, "a member twice");
        let people: Vec<&PersonRecord> = everyone.iter().filter_map(|id| record_of(*id)).collect();
        prop_assert_eq!(people.len(), size);
        for (index, one) in everyone.iter().enumerate() {
            for other in &everyone[index + 1..] {
                prop_assert!(!apart.contains(&(*one, *other)), "a pair kept apart is in a group");
                let (Some(a), Some(b)) = (record_of(*one), record_of(*other)) else { continue };
                prop_assert_eq!(pair_fits(a, b), Ok(()));
            }
        }
        for person in &people {
            prop_assert!(person.preferences.group_size_max.is_none_or(|most| usize::from(most) >= size));
        }
        match goal {
            Some(goal) => prop_assert!(people.iter().all(|person| person.goals.iter().any(|chosen| chosen == goal))),
            None => prop_assert!(
                people[0].goals.iter().any(|shared| people.iter().all(|person| person.goals.contains(shared))),
                "no goal everyone shares"
            ),
        }
        prop_assert!(
            people[0].availability.iter().any(|slot| people.iter().all(|person| person.availability.contains(slot))),
            "no slot everyone is free"
        );
        let ranges: Vec<&Contribution> =
            people.iter().filter_map(|person| person.contribution_gbp_week.as_ref()).collect();
        let highest_min = ranges.iter().map(|range| range.min).max().unwrap_or(0);
        let lowest_max = ranges.iter().map(|range| range.max).min().unwrap_or(u32::MAX);
        prop_assert!(highest_min <= lowest_max, "no weekly amount everyone can pay");
        for better in &answer.groups[..position] {
            let shared = better.members.iter().filter(|member| group.members.iter().any(|m| m.id == member.id)).count();
            prop_assert!(shared + 2 < size, "a group differs in fewer than two members from a better one");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_fast_path_equals_the_oracle_on_sparse_populations(
        records in proptest::collection::vec(record(), 3..26),
        size in 3usize..=6,
        limit in 1usize..6,
        goal in proptest::option::of(0usize..10),
        apart in proptest::collection::vec((0usize..26, 0usize..26), 0..10),
        excluded_picks in proptest::collection::vec(0usize..26, 0..3),
        first_read in 1usize..8,
    ) {
        let (population, ids) = population(&records);
        let excluded: HashSet<Uuid> = excluded_picks.iter().filter_map(|&pick| ids.get(pick).copied()).collect();
        let goal = goal.map(goal_id);
        agree(&population, &ids, size, limit, goal.as_deref(), &excluded, &apart_pairs(&apart, &ids), first_read)?;
    }

    /// Nearly everyone fits everyone: the bounds cut nearly every group,
    /// and with several walks forced (a small first read) a wrong cut or a
    /// wrong proof would show.
    #[test]
    fn the_fast_path_equals_the_oracle_on_crowded_populations(
        records in proptest::collection::vec(crowded_record(), 8..22),
        size in 3usize..=6,
        limit in 1usize..6,
        goal in proptest::option::of(0usize..2),
        apart in proptest::collection::vec((0usize..22, 0usize..22), 0..8),
        open in proptest::collection::vec((0usize..22, 1u32..9), 0..5),
        first_read in 1usize..10,
    ) {
        let (mut population, ids) = population(&records);
        // The exposure cap weighs each member's pairs.
        population.set_open_requests(open.iter().map(|&(pick, count)| (ids[pick % ids.len()], count)).collect());
        let goal = goal.map(goal_id);
        let seekers: Vec<Uuid> = ids.iter().copied().take(8).collect();
        agree(&population, &seekers, size, limit, goal.as_deref(), &HashSet::new(), &apart_pairs(&apart, &ids), first_read)?;
    }

    /// More candidates than the first walk reads (groups of three, which
    /// the oracle can still enumerate among a hundred).
    #[test]
    fn the_fast_path_equals_the_oracle_past_its_first_walk(
        records in proptest::collection::vec(crowded_record(), 60..110),
        limit in 1usize..6,
        apart in proptest::collection::vec((0usize..110, 0usize..110), 0..30),
    ) {
        let (population, ids) = population(&records);
        let seekers: Vec<Uuid> = ids.iter().copied().take(4).collect();
        agree(&population, &seekers, 3, limit, None, &HashSet::new(), &apart_pairs(&apart, &ids), 48)?;
    }

    /// After erasures, re-creations, pauses and changes of mind, the two
    /// paths still agree.
    #[test]
    fn updates_keep_groups_exact(
        records in proptest::collection::vec(crowded_record(), 8..20),
        replacements in proptest::collection::vec(crowded_record(), 1..10),
        changes in proptest::collection::vec((0usize..20, 0u8..3), 1..15),
        size in 3usize..=5,
    ) {
        let (mut population, ids) = population(&records);
        for (step, &(pick, kind)) in changes.iter().enumerate() {
            let (id, original) = (ids[pick % ids.len()], &records[pick % ids.len()]);
            let mut changed = original.clone();
            match kind {
                0 => population.apply([(id, None)]),
                1 => population.apply([(id, Some(&replacements[step % replacements.len()]))]),
                _ => {
                    changed.status = if changed.status == ProfileStatus::Active { ProfileStatus::Paused } else { ProfileStatus::Active };
                    population.apply([(id, Some(&changed))]);
                }
            }
        }
        agree(&population, &ids, size, 4, None, &HashSet::new(), &HashSet::new(), 3)?;
    }

    #[test]
    fn every_group_keeps_every_rule(
        records in proptest::collection::vec(crowded_record(), 6..30),
        sparse in proptest::collection::vec(record(), 0..10),
        size in 3usize..=6,
        goal in proptest::option::of(0usize..2),
        apart in proptest::collection::vec((0usize..40, 0usize..40), 0..10),
    ) {
        let records: Vec<PersonRecord> = records.into_iter().chain(sparse).collect();
        let (population, ids) = population(&records);
        let apart = apart_pairs(&apart, &ids);
        let apart_of = |one: Uuid, other: Uuid| apart.contains(&(one, other));
        let goal = goal.map(goal_id);
        for &seeker in &ids {
            // The seeker's own exclusions come as `excluded`, as the route
            // passes them; `apart` is asked of the other pairs.
            let excluded: HashSet<Uuid> = ids.iter().copied().filter(|other| apart.contains(&(seeker, *other))).collect();
            let query = GroupQuery { seeker, size, limit: 5, goal: goal.as_deref(), excluded: &excluded, apart: &apart_of };
            let answer = population.suggest_groups(&query);
            check_rules(&answer, &records, &ids, seeker, size, goal.as_deref(), &apart)?;
            prop_assert_eq!(answer.groups.is_empty(), answer.empty.is_some(), "an empty list says why, only then");
        }
    }

    #[test]
    fn group_cards_show_bands_and_never_unshared_needs(
        records in proptest::collection::vec(crowded_record(), 6..24),
        share in proptest::collection::vec(any::<bool>(), 24),
        needs in proptest::collection::vec(proptest::collection::vec(0usize..14, 0..3), 24),
    ) {
        let mut records = records;
        for (index, record) in records.iter_mut().enumerate() {
            record.share_needs_with_matches = share[index];
            record.support_needs = ids(VocabularyKind::SupportNeeds, &needs[index], 14);
        }
        let (population, ids) = population(&records);
        let labels: Vec<String> =
            shared().taxonomy.vocabulary(VocabularyKind::SupportNeeds).terms().iter().map(|term| term.label.clone()).collect();
        let (excluded, nobody) = (HashSet::new(), |_: Uuid, _: Uuid| false);
        for &seeker in &ids {
            let query = GroupQuery { seeker, size: 4, limit: 5, goal: None, excluded: &excluded, apart: &nobody };
            for group in population.suggest_groups(&query).groups {
                let Some(card) = population.group_card(seeker, &group) else { continue };
                let json = serde_json::to_value(&card).unwrap_or_default();
                let reasons = card.reasons.join(" ");
                for label in &labels {
                    prop_assert!(!reasons.contains(label.as_str()), "group reasons name a need: {reasons}");
                }
                for member in json["members"].as_array().into_iter().flatten() {
                    let band = member["distance_band"].as_str().unwrap_or("missing");
                    prop_assert!(["under 2 km", "2 to 5 km", "5 to 10 km", "10 to 20 km", "over 20 km"].contains(&band));
                    prop_assert!(member.get("distance_km").is_none() && member.get("outcode").is_none());
                    let id: Uuid = member["person_id"].as_str().and_then(|id| id.parse().ok()).unwrap_or_default();
                    let record = &records[ids.iter().position(|known| *known == id).unwrap_or(0)];
                    if !record.share_needs_with_matches {
                        prop_assert!(member.get("support_needs").is_none());
                    }
                }
            }
        }
    }
}

fn plain(outcode: &str, slots: &[&str], group_size_max: Option<u8>) -> PersonRecord {
    PersonRecord {
        display_name: "Synthetic".into(),
        about: String::new(),
        birth_year: 1990,
        gender: None,
        outcode: outcode.into(),
        authority_code: String::new(),
        travel_km: 20,
        travel: None,
        interests: vec!["food_drink.cooking".into()],
        goals: vec!["share_pa".into()],
        support_needs: vec![],
        communication: vec!["spoken_english".into()],
        access_needs: vec![],
        availability: slots.iter().map(|slot| (*slot).to_owned()).collect(),
        contribution_gbp_week: Some(Contribution { min: 10, max: 40 }),
        preferences: Preferences { group_size_max, ..Preferences::default() },
        contact: Contact::default(),
        share_needs_with_matches: false,
        discoverable: true,
        public_listing: false,
        status: ProfileStatus::Active,
    }
}

#[test]
fn an_empty_list_says_why() {
    let nobody = |_: Uuid, _: Uuid| false;
    let excluded = HashSet::new();
    let ask = |population: &Population, seeker: Uuid, size: usize, goal: Option<&str>| {
        population.suggest_groups(&GroupQuery { seeker, size, limit: 5, goal, excluded: &excluded, apart: &nobody })
    };
    let (people, ids) = population(&[plain("TW9", &["sat_morning"], Some(3)), plain("TW9", &["sat_morning"], None)]);
    assert_eq!(ask(&people, ids[0], 4, None).empty, Some(NoGroups::LargerThanYouWant { most: 3 }));
    assert_eq!(ask(&people, ids[1], 4, Some("social_activities")).empty, Some(NoGroups::NotYourGoal));
    assert_eq!(ask(&people, ids[1], 3, None).empty, Some(NoGroups::FewPeople));
    // Three who each fit the seeker, but share no slot all together.
    let (people, ids) = population(&[
        plain("TW9", &["sat_morning", "sun_morning"], None),
        plain("TW9", &["sat_morning"], None),
        plain("TW9", &["sun_morning"], None),
    ]);
    let answer = ask(&people, ids[0], 3, None);
    assert_eq!((answer.groups.len(), answer.empty), (0, Some(NoGroups::NoGroupFits)));
    // Control: with a slot in common, the same three are a group.
    let (people, ids) = population(&[
        plain("TW9", &["sat_morning"], None),
        plain("TW9", &["sat_morning"], None),
        plain("TW9", &["sat_morning"], None),
    ]);
    let answer = ask(&people, ids[0], 3, None);
    assert_eq!((answer.groups.len(), answer.empty), (1, None));
    let Some(card) = people.group_card(ids[0], &answer.groups[0]) else { panic!("a card") };
    assert!(card.reasons.contains(&"You all like Cooking.".to_owned()), "{:?}", card.reasons);
    assert!(card.reasons.iter().any(|reason| reason.starts_with("All three of you are free on")), "{:?}", card.reasons);
    assert!(card.reasons.contains(&"Everyone can put in £10 to £40 a week.".to_owned()), "{:?}", card.reasons);
    // Asked for a goal, the reasons name that goal, not the first they share.
    let mut both_goals: Vec<PersonRecord> = (0..3).map(|_| plain("TW9", &["sat_morning"], None)).collect();
    for record in &mut both_goals {
        record.goals = vec!["social_activities".into(), "share_pa".into()];
    }
    let (people, ids) = population(&both_goals);
    let answer = ask(&people, ids[0], 3, Some("share_pa"));
    let Some(card) = answer.groups.first().and_then(|group| people.group_card(ids[0], group)) else {
        panic!("a group")
    };
    assert!(card.reasons.contains(&"You all chose “Share a personal assistant”.".to_owned()), "{:?}", card.reasons);
}
