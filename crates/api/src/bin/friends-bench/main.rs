//! `friends-bench`: the in-process suggestion benchmark behind `make bench`
//! and `make bench-full`.
//!
//! One file over 600 lines on purpose: each measurement is a function over
//! the same loaded population, and `main` prints them as one report, so
//! that a row in BENCHMARKS.md traces to one place.
//!
//! It loads a synthetic population (with planted friendship groups) into a
//! fresh SQLite database, builds the indexes from the database as `friends
//! serve` does, then measures, on this machine:
//! - build time (database → matcher) and the process's peak RSS;
//! - suggestion latency (fast path, with cards) over random seekers plus
//!   seekers from the densest districts;
//! - the exhaustive oracle's latency over a subset, and recall@10 of the fast
//!   path against it;
//! - the share of planted group-mates found in each member's top 10;
//! - update-to-visible latency (commit, then catch-up);
//! - erasure latency (erase, then the catch-up that rewrites every search
//!   segment that held the person);
//! - public search (the council embed) with a real embed key per
//!   authority, as the route runs it;
//! - group suggestions (sizes 4 and 6, with cards) over the same seekers,
//!   the share of planted groups found whole in each member's top 3, and
//!   the fast path against the enumerating oracle on every seeker of a
//!   sample whose candidate set it can enumerate.
//!
//! It prints Markdown rows for BENCHMARKS.md.
//!
//! With `--baseline postgis` it also loads the same population into
//! PostgreSQL with PostGIS and answers the same suggestions and searches
//! with SQL, side by side (`postgis.rs`).
//!
//! With `--matcher-only` it skips the database and the search index and
//! times only the matcher (suggestions with cards), several rounds over the
//! same seekers: quick enough to compare two builds of a matcher change.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use clap::Parser;
use friends_api::cursor::CursorKey;
use friends_api::demo::{DEFAULT_SEED, demo_person_id, planted_person_id, seed};
use friends_api::embed::EmbedCaller;
use friends_api::embed::keys::EmbedKeys;
use friends_api::embed::search::{PublicSearch, PublicSearchParams};
use friends_api::indexes::Indexes;
use friends_api::reference::Reference;
use friends_domain::demo::{DemoPopulation, SplitMix64};
use friends_domain::person::PersonRecord;
use friends_matching::{Codebook, DistrictTable, GroupQuery, Population, Query};
use friends_store::Store;
use uuid::Uuid;

mod postgis;

/// mimalloc rather than glibc's allocator, which slowed the many small
/// allocations of building the indexes and of cards once the start-up
/// build had fragmented its heap (BENCHMARKS.md has the runs before and
/// after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "In-process suggestion benchmark")]
struct Args {
    /// Population size.
    #[arg(long, default_value_t = 100_000)]
    people: u32,
    /// Planted friendship groups.
    #[arg(long, default_value_t = 200)]
    planted_groups: u32,
    /// Random seekers for latency.
    #[arg(long, default_value_t = 1000)]
    seekers: usize,
    /// Extra seekers from the densest districts.
    #[arg(long, default_value_t = 200)]
    dense_seekers: usize,
    /// Seekers also answered by the exhaustive oracle (recall@10).
    #[arg(long, default_value_t = 1200)]
    oracle_seekers: usize,
    /// Population seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// People erased at the end, each timed until gone from the database
    /// and from every search segment.
    #[arg(long, default_value_t = 20)]
    erasures: usize,
    /// Only the matcher: build it in memory from the same synthetic people
    /// (no database, no search index) and time the fast path with cards
    /// `rounds` times over the same seekers. For comparing matcher changes quickly;
    /// `make bench` and `make bench-full` do not use it.
    #[arg(long)]
    matcher_only: bool,
    /// Rounds of the fast path with `--matcher-only`.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Also time the baseline a council would otherwise build, on the same
    /// population: `postgis` (PostgreSQL with PostGIS and full-text search;
    /// `scripts/postgis-baseline` installs it and makes the database).
    #[arg(long, value_parser = ["postgis"])]
    baseline: Option<String>,
    /// The database of `--baseline postgis` (its tables are replaced).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/friends_baseline")]
    baseline_url: String,
}

/// Every interest label of the taxonomy (search words).
fn interest_labels(reference: &Reference) -> Vec<String> {
    let interests = reference.taxonomy.vocabulary(friends_domain::taxonomy::VocabularyKind::Interests);
    interests.terms().iter().map(|term| term.label.clone()).collect()
}

/// Every goal id of the taxonomy (search filters).
fn goal_ids(reference: &Reference) -> Vec<String> {
    let goals = reference.taxonomy.vocabulary(friends_domain::taxonomy::VocabularyKind::Goals);
    goals.terms().iter().map(|term| term.id.clone()).collect()
}

/// What a seeker's searches are scoped by: the authority of their district
/// (a broker's filter) and the districts in their travel limit (a member's).
fn search_scope(population: &Population, reference: &Reference, seeker: Uuid) -> (Option<String>, Option<Vec<String>>) {
    let district = population.profile(seeker).map(|profile| profile.core.district);
    let authority = district
        .and_then(|district| reference.areas.district(population.outcode_of(district)))
        .map(|district| district.authority_code.clone());
    (authority, population.travel_area(seeker))
}

fn percentile<T: Copy + Default>(sorted: &[T], fraction: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn summary(name: &str, mut samples: Vec<Duration>) -> String {
    samples.sort_unstable();
    format!(
        "| {name} | {} | {} | {} | {} | {} |",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        ms(percentile(&samples, 0.999)),
        ms(samples.last().copied().unwrap_or_default())
    )
}

/// Seekers: random visible people, then people from the densest districts.
fn choose_seekers(population: &Population, args: &Args) -> (Vec<Uuid>, Vec<Uuid>) {
    let mut rng = SplitMix64::new(args.seed ^ 0xBE7C);
    let mut everyone: Vec<Uuid> =
        population.ids().filter(|id| population.profile(*id).is_some_and(|p| p.core.visible)).collect();
    everyone.sort_unstable();
    let random: Vec<Uuid> = (0..args.seekers).map(|_| everyone[rng.below(everyone.len())]).collect();
    let mut per_district: HashMap<u16, Vec<Uuid>> = HashMap::new();
    for id in &everyone {
        if let Some(profile) = population.profile(*id) {
            per_district.entry(profile.core.district).or_default().push(*id);
        }
    }
    let mut districts: Vec<(u16, Vec<Uuid>)> = per_district.into_iter().collect();
    districts.sort_by(|left, right| right.1.len().cmp(&left.1.len()).then(left.0.cmp(&right.0)));
    let dense: Vec<Uuid> = districts.iter().flat_map(|(_, ids)| ids.iter().copied()).take(args.dense_seekers).collect();
    (random, dense)
}

/// Each seeker's suggestions plus their cards (as the handler builds them),
/// timed one by one.
fn time_suggestions(population: &Population, seekers: &[Uuid]) -> Vec<Duration> {
    let excluded = HashSet::new();
    seekers
        .iter()
        .map(|&seeker| {
            let started = Instant::now();
            let query = Query { seeker, limit: 10, goal: None, excluded: &excluded };
            let cards: Vec<_> = population.suggest(&query).iter().filter_map(|s| population.card(seeker, s)).collect();
            std::hint::black_box(cards);
            started.elapsed()
        })
        .collect()
}

/// Group suggestions (limit 5, cards included) for each seeker, timed one
/// by one, and how many stopped at the work budget.
fn time_groups(population: &Population, seekers: &[Uuid], size: usize) -> (Vec<Duration>, usize) {
    let excluded = HashSet::new();
    let nobody = |_: Uuid, _: Uuid| false;
    let mut stopped = 0;
    let times = seekers
        .iter()
        .map(|&seeker| {
            let started = Instant::now();
            let query = GroupQuery { seeker, size, limit: 5, goal: None, excluded: &excluded, apart: &nobody };
            let answer = population.suggest_groups(&query);
            stopped += usize::from(answer.stopped_early);
            let cards: Vec<_> = answer.groups.iter().filter_map(|group| population.group_card(seeker, group)).collect();
            std::hint::black_box(cards);
            started.elapsed()
        })
        .collect();
    (times, stopped)
}

/// What the group benchmark measures besides latency.
struct GroupQuality {
    /// Planted-group members whose top 3 groups of their group's size
    /// hold their planted group whole, and how many members were asked.
    planted_whole: (usize, usize),
    /// Seekers the oracle finished, those on which the fast path gave the
    /// same groups, and the largest candidate set the oracle enumerated.
    oracle_seekers: usize,
    oracle_agreed: usize,
    oracle_groups: (usize, usize),
    largest_enumerated: usize,
    oracle_times: Vec<Duration>,
}

/// Most groups the oracle is asked to enumerate for one seeker (the
/// candidate sets of larger ones would take minutes each).
const ORACLE_GROUP_BUDGET: u128 = 3_000_000;

fn binomial(n: usize, k: usize) -> u128 {
    if n < k {
        return 0;
    }
    (0..k).fold(1u128, |product, i| product * (n - i) as u128 / (i as u128 + 1))
}

fn group_quality(population: &Population, planted: &[Vec<Uuid>], oracle_seekers: &[Uuid]) -> GroupQuality {
    let excluded = HashSet::new();
    let nobody = |_: Uuid, _: Uuid| false;
    let (mut whole, mut asked) = (0, 0);
    for group in planted {
        let mut expected: Vec<Uuid> = group.clone();
        expected.sort_unstable();
        for &member in group {
            let query = GroupQuery {
                seeker: member,
                size: group.len(),
                limit: 3,
                goal: None,
                excluded: &excluded,
                apart: &nobody,
            };
            asked += 1;
            let found = population.suggest_groups(&query).groups.iter().any(|suggested| {
                let mut ids: Vec<Uuid> = suggested.members.iter().map(|m| m.id).chain([member]).collect();
                ids.sort_unstable();
                ids == expected
            });
            whole += usize::from(found);
        }
    }
    let mut quality = GroupQuality {
        planted_whole: (whole, asked),
        oracle_seekers: 0,
        oracle_agreed: 0,
        oracle_groups: (0, 0),
        largest_enumerated: 0,
        oracle_times: Vec::new(),
    };
    for &seeker in oracle_seekers {
        let query = GroupQuery { seeker, size: 4, limit: 5, goal: None, excluded: &excluded, apart: &nobody };
        let candidates = population.group_candidate_count(&query);
        if binomial(candidates, 3) > ORACLE_GROUP_BUDGET {
            continue;
        }
        let started = Instant::now();
        let truth = population.suggest_groups_exhaustive(&query);
        quality.oracle_times.push(started.elapsed());
        let fast = population.suggest_groups(&query);
        quality.oracle_seekers += 1;
        quality.largest_enumerated = quality.largest_enumerated.max(candidates);
        quality.oracle_agreed += usize::from(fast.groups == truth.groups);
        quality.oracle_groups.1 += truth.groups.len();
        quality.oracle_groups.0 += truth.groups.iter().filter(|group| fast.groups.contains(group)).count();
    }
    quality
}

/// `--matcher-only`: the same people, straight into a matcher (in id
/// order, as a build from the database pages them), then the fast path
/// timed `rounds` times over the same seekers.
fn matcher_only(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let reference = Reference::load()?;
    let now = Utc::now();
    let demo = DemoPopulation::new(&reference.taxonomy, &reference.areas, now.year());
    let mut people: Vec<(Uuid, PersonRecord)> = (0..u64::from(args.people))
        .map(|index| (demo_person_id(args.seed, index), demo.person(args.seed, index)))
        .collect();
    for group in 0..u64::from(args.planted_groups) {
        for (member, record) in demo.planted_group(args.seed, group).into_iter().enumerate() {
            people.push((planted_person_id(args.seed, group, member as u64), record));
        }
    }
    people.sort_unstable_by_key(|(id, _)| *id);
    let building = Instant::now();
    let codebook = std::sync::Arc::new(Codebook::new(&reference.taxonomy));
    let districts = std::sync::Arc::new(DistrictTable::new(&reference.areas));
    let mut population = Population::new(codebook, districts, now.year());
    for page in people.chunks(5000) {
        population.apply(page.iter().map(|(id, record)| (*id, Some(record))));
    }
    drop(people);
    println!("matcher built in {:.2} s", building.elapsed().as_secs_f64());
    let (random, dense) = choose_seekers(&population, args);
    let seekers: Vec<Uuid> = random.iter().chain(dense.iter()).copied().collect();
    time_suggestions(&population, &seekers[..seekers.len().min(50)]);

    println!("| round | queries | p50 | p99 | p99.9 | max |");
    println!("|---|---|---|---|---|---|");
    for round in 0..args.rounds {
        println!("{}", summary(&format!("{}", round + 1), time_suggestions(&population, &seekers)));
    }
    Ok(())
}

/// What the public search run found, beside its latencies.
struct PublicRun {
    samples: Vec<Duration>,
    listed: usize,
    everyone: usize,
    keys: usize,
    per_authority: Vec<usize>,
}

/// Public search (the council embed) as the route runs it, past the gate:
/// every listed person of the key's authority who matches, facets and total
/// over them, one page of public cards, serialised. One real embed key per
/// authority; the authorities are those of the seekers, so that traffic
/// follows population. The queries rotate: nothing (the widget's first
/// search), an interest word, a goal, both.
async fn time_public_search(
    store: &Store,
    reference: &Reference,
    indexes: &Indexes,
    seekers: &[Uuid],
    seed: u64,
) -> Result<PublicRun, Box<dyn std::error::Error>> {
    let (authorities, listed, everyone) = indexes.read(|population| {
        let authorities: Vec<String> = seekers
            .iter()
            .filter_map(|&seeker| {
                let district = population.profile(seeker)?.core.district;
                reference.areas.district(population.outcode_of(district)).map(|d| d.authority_code.clone())
            })
            .collect();
        let listed = population.ids().filter(|id| population.public_profile(*id).is_some()).count();
        (authorities, listed, population.ids().count())
    })?;
    let keys = EmbedKeys { store, reference, now: Utc::now() };
    let mut callers: HashMap<String, EmbedCaller> = HashMap::new();
    for authority in &authorities {
        if callers.contains_key(authority) {
            continue;
        }
        let body =
            serde_json::json!({"authority": authority, "origins": ["https://council.example"], "label": "bench"});
        let key = keys.create_as(Uuid::nil(), body).await?;
        callers.insert(authority.clone(), EmbedCaller::lookup(store, key.key.as_deref()).await?);
    }
    let labels = reference.taxonomy.vocabulary(friends_domain::taxonomy::VocabularyKind::Interests).terms();
    let goals = reference.taxonomy.vocabulary(friends_domain::taxonomy::VocabularyKind::Goals).terms();
    let cursor_key = CursorKey::random();
    let service = PublicSearch { indexes, cursor_key: &cursor_key, reference, now: Utc::now() };
    let mut rng = SplitMix64::new(seed ^ 0x9B11C);
    let mut samples = Vec::new();
    let mut per_authority = Vec::new();
    for round in 0..2 {
        for (position, authority) in authorities.iter().enumerate() {
            let Some(caller) = callers.get(authority) else { continue };
            let label = labels[rng.below(labels.len())].label.clone();
            let goal = goals[rng.below(goals.len())].id.clone();
            let params = match position % 4 {
                0 => PublicSearchParams::default(),
                1 => PublicSearchParams { q: Some(label), ..PublicSearchParams::default() },
                2 => PublicSearchParams { goals: Some(goal), ..PublicSearchParams::default() },
                _ => PublicSearchParams { q: Some(label), goals: Some(goal), ..PublicSearchParams::default() },
            };
            let started = Instant::now();
            let results = service.search(caller, &params)?;
            let body = serde_json::to_vec(&results)?;
            let elapsed = started.elapsed();
            // The first round warms the caches and is not counted.
            if round == 1 {
                samples.push(elapsed);
                if position % 4 == 0 {
                    per_authority.push(results.total.0);
                }
            }
            std::hint::black_box(body);
        }
    }
    per_authority.sort_unstable();
    Ok(PublicRun { samples, listed, everyone, keys: callers.len(), per_authority })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.matcher_only {
        return matcher_only(&args);
    }
    let folder = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", folder.path().join("bench.db").display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let reference = std::sync::Arc::new(Reference::load()?);

    let loading = Instant::now();
    let groups = seed(&store, &reference, args.people, args.seed, args.planted_groups).await?;
    let load_time = loading.elapsed();

    let building = Instant::now();
    let matcher = Indexes::open(
        &store,
        reference.clone(),
        &folder.path().join("index"),
        chrono::Duration::days(90),
        chrono::Utc::now(),
    )
    .await?;
    let build_time = building.elapsed();
    let rss_after_build = peak_rss_mib();

    let (random, dense) = matcher.read(|population| choose_seekers(population, &args))?;
    let seekers: Vec<Uuid> = random.iter().chain(dense.iter()).copied().collect();
    let excluded = HashSet::new();

    // Warm up once, then time each seeker.
    let timed = |ids: &[Uuid]| matcher.read(|population| time_suggestions(population, ids));
    timed(&seekers[..seekers.len().min(50)])?;
    let fast_random = timed(&random)?;
    let fast_dense = timed(&dense)?;
    let fast_all: Vec<Duration> = fast_random.iter().chain(fast_dense.iter()).copied().collect();

    // The oracle and recall@10, on the first `oracle_seekers` (random first,
    // then dense).
    let oracle_ids: Vec<Uuid> = seekers.iter().copied().take(args.oracle_seekers).collect();
    let (oracle_times, recall) = matcher.read(|population| {
        let mut times = Vec::new();
        let (mut found, mut expected) = (0usize, 0usize);
        for &seeker in &oracle_ids {
            let query = Query { seeker, limit: 10, goal: None, excluded: &excluded };
            let started = Instant::now();
            let truth = population.suggest_exhaustive(&query);
            times.push(started.elapsed());
            let fast: HashSet<Uuid> = population.suggest(&query).iter().map(|s| s.id).collect();
            expected += truth.len();
            found += truth.iter().filter(|s| fast.contains(&s.id)).count();
        }
        (times, if expected == 0 { 1.0 } else { found as f64 / expected as f64 })
    })?;

    // Planted group-mates in each member's top 10.
    let group_recall = matcher.read(|population| {
        let (mut found, mut expected) = (0usize, 0usize);
        for group in &groups {
            for &member in group {
                let query = Query { seeker: member, limit: 10, goal: None, excluded: &excluded };
                let top: HashSet<Uuid> = population.suggest(&query).iter().map(|s| s.id).collect();
                for &mate in group.iter().filter(|mate| **mate != member) {
                    expected += 1;
                    found += usize::from(top.contains(&mate));
                }
            }
        }
        if expected == 0 { 1.0 } else { found as f64 / expected as f64 }
    })?;

    // Search: free text (an interest label) plus a goal filter plus an
    // authority, and free text within a member's travel area, as the route
    // runs them (tantivy, then cards from the matcher).
    let interest_labels = interest_labels(&reference);
    let goal_ids = goal_ids(&reference);
    let mut rng = SplitMix64::new(args.seed ^ 0x5EA2C4);
    let mut search_broker = Vec::new();
    let mut search_member = Vec::new();
    for (position, &seeker) in seekers.iter().enumerate() {
        let label = interest_labels[rng.below(interest_labels.len())].clone();
        let (authority, area) = matcher.read(|population| search_scope(population, &reference, seeker))?;
        let broker_request = friends_search::SearchRequest {
            text: Some(label.clone()),
            goals: vec![goal_ids[position % goal_ids.len()].clone()],
            authority,
            limit: 20,
            ..Default::default()
        };
        let member_request = friends_search::SearchRequest {
            text: Some(label),
            outcodes: area,
            excluded: vec![seeker],
            limit: 20,
            ..Default::default()
        };
        for (request, viewer, samples) in
            [(broker_request, None, &mut search_broker), (member_request, Some(seeker), &mut search_member)]
        {
            let started = Instant::now();
            let page = matcher.search().search(&request)?;
            let cards: Vec<_> = matcher.read(|population| {
                page.hits
                    .iter()
                    .filter_map(|hit| population.search_card(viewer, hit.id, f64::from(hit.score)))
                    .collect()
            })?;
            std::hint::black_box(cards);
            samples.push(started.elapsed());
        }
    }

    let public = time_public_search(&store, &reference, &matcher, &seekers, args.seed).await?;

    // Before anything below changes the population.
    let baseline = match args.baseline.as_deref() {
        Some("postgis") => {
            Some(postgis::run(&args.baseline_url, &store, &reference, &matcher, &seekers, args.seed).await?)
        }
        _ => None,
    };

    // Group suggestions: latency for groups of 4 and of 6, planted groups
    // found whole, and the fast path against the enumerating oracle.
    let (groups4_random, stopped4_random) = matcher.read(|population| time_groups(population, &random, 4))?;
    let (groups4_dense, stopped4_dense) = matcher.read(|population| time_groups(population, &dense, 4))?;
    let (groups6, stopped6) = matcher.read(|population| time_groups(population, &seekers, 6))?;
    let groups4: Vec<Duration> = groups4_random.iter().chain(groups4_dense.iter()).copied().collect();
    let group_oracle_ids: Vec<Uuid> = random.iter().copied().take(args.oracle_seekers.min(300)).collect();
    let quality = matcher.read(|population| group_quality(population, &groups, &group_oracle_ids))?;

    // Update to visible: commit a change, then catch up, as a write does.
    let mut visible_times = Vec::new();
    let mut visible_commits = Vec::new();
    for &seeker in random.iter().take(200) {
        let Some(mut person) = store.get_person(seeker).await? else { continue };
        person.record.about = format!("Updated at {}", visible_times.len());
        let started = Instant::now();
        store.update_person(seeker, person.version, &person.record, Utc::now()).await?;
        visible_commits.push(started.elapsed());
        matcher.catch_up(&store).await?;
        visible_times.push(started.elapsed());
    }

    // Erasure: the row goes, then the catch-up rewrites every search
    // segment that held the person (at first, the large segments of the
    // rebuild) before the erase would return.
    let mut erasure_times = Vec::new();
    let mut erasure_commits = Vec::new();
    let actor = friends_store::EventActor::system();
    for &person in random.iter().rev().take(args.erasures) {
        let started = Instant::now();
        store.erase_person(person, &actor, Utc::now()).await?;
        erasure_commits.push(started.elapsed());
        matcher.catch_up(&store).await?;
        erasure_times.push(started.elapsed());
    }

    println!(
        "## Suggestions, in process: {} people, {} planted groups, seed {}",
        args.people, args.planted_groups, args.seed
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| load synthetic people into SQLite (not a target) | {:.1} s |", load_time.as_secs_f64());
    println!("| build, database → matcher and search index | {:.2} s |", build_time.as_secs_f64());
    println!("| peak RSS of the benchmark process after build | {rss_after_build:.0} MiB |");
    println!("| recall@10 against the exhaustive scorer ({} seekers) | {recall:.4} |", oracle_ids.len());
    println!("| planted group-mates in top 10 ({} groups) | {group_recall:.4} |", groups.len());
    println!();
    println!("| latency | queries | p50 | p99 | p99.9 | max |");
    println!("|---|---|---|---|---|---|");
    println!("{}", summary("suggestions, fast path, all seekers", fast_all));
    println!("{}", summary("suggestions, fast path, random seekers", fast_random));
    println!("{}", summary("suggestions, fast path, densest districts", fast_dense));
    println!("{}", summary("suggestions, exhaustive oracle", oracle_times));
    println!("{}", summary("search: text + goal + authority (broker), with cards", search_broker));
    println!("{}", summary("search: text within a member's travel area, with cards", search_member));
    println!("{}", summary("update visible to suggestions and search (commit + catch-up)", visible_times));
    println!("{}", summary("update: of which the database commit", visible_commits));
    println!(
        "{}",
        summary("erasure: gone from the database and every search segment (erase + catch-up)", erasure_times)
    );
    println!("{}", summary("erasure: of which the database transaction and checkpoint", erasure_commits));
    println!(
        "{}",
        summary(
            &format!(
                "public search (council embed), {} keys: listed of one authority, facets, a page, JSON",
                public.keys
            ),
            public.samples
        )
    );
    println!("{}", summary("group suggestions, size 4, limit 5, with cards, all seekers", groups4));
    println!("{}", summary("group suggestions, size 4, random seekers", groups4_random));
    println!("{}", summary("group suggestions, size 4, densest districts", groups4_dense));
    println!("{}", summary("group suggestions, size 6, limit 5, with cards, all seekers", groups6));
    println!(
        "{}",
        summary("group suggestions, size 4, enumerating oracle (seekers it can finish)", quality.oracle_times)
    );
    println!();
    println!("| group suggestions | value |");
    println!("|---|---|");
    let (whole, asked) = quality.planted_whole;
    println!(
        "| planted groups returned whole in a member's top 3 of their size | {:.4} ({whole} of {asked} members, {} groups) |",
        whole as f64 / asked.max(1) as f64,
        groups.len()
    );
    let (found, expected) = quality.oracle_groups;
    println!(
        "| recall against the enumerating oracle, size 4 | {:.4} ({found} of {expected} groups; {} of {} seekers identical) |",
        if expected == 0 { 1.0 } else { found as f64 / expected as f64 },
        quality.oracle_agreed,
        quality.oracle_seekers
    );
    println!(
        "| seekers the oracle finished, of those asked; largest candidate set enumerated | {} of {}; {} |",
        quality.oracle_seekers,
        group_oracle_ids.len(),
        quality.largest_enumerated
    );
    println!(
        "| searches stopped at the work budget (size 4 random, dense; size 6) | {stopped4_random}, {stopped4_dense}; {stopped6} |"
    );
    println!();
    println!("| public search | value |");
    println!("|---|---|");
    println!(
        "| people with a public listing who are active and findable | {} of {} ({:.1} %) |",
        public.listed,
        public.everyone,
        100.0 * public.listed as f64 / public.everyone.max(1) as f64
    );
    println!(
        "| listed people of a searched authority: median, max | {}, {} |",
        percentile(&public.per_authority, 0.5),
        public.per_authority.last().copied().unwrap_or_default()
    );
    if let Some(baseline) = baseline {
        baseline.print(percentile);
    }
    Ok(())
}
