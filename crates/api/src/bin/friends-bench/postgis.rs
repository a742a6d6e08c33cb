//! `--baseline postgis`: what a council would otherwise build (DESIGN §8),
//! on the same population in the same run. The people go into PostgreSQL
//! with PostGIS (`scripts/postgis-baseline` installs it and makes the
//! database), encoded exactly as the matcher holds them (the same bit sets,
//! interest indexes and IDF weights), and the best SQL a careful engineer
//! would write answers the same queries:
//!
//! - **suggestions**: `ST_DWithin` on geography with a GiST index for the
//!   seeker's travel limit (and the candidate's), the other hard filters in
//!   SQL, the same reciprocal score (SQL functions, inlined by the planner),
//!   top 10;
//! - **search**: a `tsvector` of the same document text with a GIN index,
//!   English stemming, with the goal and authority filters (a broker), or
//!   within a member's travel area (`ST_DWithin` again).
//!
//! Recall@10 of each is against the exhaustive answer: for suggestions the
//! matcher's exhaustive scorer; for search, the people that pass the
//! filters and whose document holds the query word (one-word interest
//! labels, so that "holds the word" is the whole truth), found by scanning
//! every document.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use friends_api::indexes::{Indexes, search_document};
use friends_api::reference::Reference;
use friends_matching::{Codebook, Population, Query};
use friends_search::SearchRequest;
use friends_store::Store;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, Value};
use uuid::Uuid;

/// Rows per INSERT while loading.
const LOAD_BATCH: usize = 1_000;

const SCHEMA: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "DROP TABLE IF EXISTS bench_people",
    "DROP TABLE IF EXISTS bench_idf",
    "CREATE TABLE bench_idf (interest smallint PRIMARY KEY, idf float8 NOT NULL)",
    "CREATE TABLE bench_people (
        id uuid PRIMARY KEY,
        geog geography(Point, 4326) NOT NULL,
        travel_km real NOT NULL,
        birth_year int NOT NULL,
        gender bigint NOT NULL,
        age_min int NOT NULL,
        age_max int NOT NULL,
        genders_wanted bigint NOT NULL,
        communication bigint NOT NULL,
        goals bigint NOT NULL,
        availability bigint NOT NULL,
        contribution_min int,
        contribution_max int,
        support_needs bigint NOT NULL,
        access_needs bigint NOT NULL,
        similar_needs boolean NOT NULL,
        visible boolean NOT NULL,
        interests smallint[] NOT NULL,
        mass float8 NOT NULL,
        authorities text[] NOT NULL,
        doc tsvector NOT NULL
    )",
    // |a ∩ b| / |b|, 0 when b is empty (the share of the seeker's own set).
    "CREATE OR REPLACE FUNCTION ff_share(other bigint, own bigint) RETURNS float8
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT CASE WHEN own = 0 THEN 0::float8
                  ELSE bit_count((other & own)::bit(64))::float8 / bit_count(own::bit(64)) END $$",
    // One direction of the score (crates/matching/src/score.rs), weights
    // 0.35 interests, 0.2 goals, 0.15 availability, 0.1 contribution,
    // 0.1 needs, 0.1 distance.
    "CREATE OR REPLACE FUNCTION ff_directional(
        shared float8, mass float8, goals bigint, own_goals bigint, availability bigint, own_availability bigint,
        cmin int, cmax int, own_cmin int, own_cmax int,
        support bigint, own_support bigint, access bigint, own_access bigint, alike boolean, own_alike boolean,
        km float8, own_travel real) RETURNS float8
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT 0.35 * CASE WHEN mass > 0 THEN shared / mass ELSE 0 END
                + 0.2 * ff_share(goals, own_goals)
                + 0.15 * ff_share(availability, own_availability)
                + 0.1 * CASE WHEN cmin IS NULL OR own_cmin IS NULL THEN 0.5
                             WHEN greatest(cmin, own_cmin) > least(cmax, own_cmax) THEN 0
                             ELSE (least(cmax, own_cmax) - greatest(cmin, own_cmin) + 1)::float8
                                  / (own_cmax - own_cmin + 1) END
                + 0.1 * CASE WHEN alike OR own_alike
                             THEN 0.7 * ff_share(support, own_support) + 0.3 * ff_share(access, own_access)
                             ELSE 0.3 * ff_share(access, own_access) END
                + 0.1 * greatest(0, least(1, 1 - km / own_travel)) $$",
];

const INDEXES: &[&str] = &[
    "CREATE INDEX bench_people_geog ON bench_people USING gist (geog) WHERE visible",
    "CREATE INDEX bench_people_doc ON bench_people USING gin (doc) WHERE visible",
    "CREATE INDEX bench_people_authorities ON bench_people USING gin (authorities) WHERE visible",
    "ANALYZE bench_people",
    "ANALYZE bench_idf",
];

/// Top 10 suggestions for $1 in the current year $2.
const SUGGESTIONS: &str = "
WITH s AS (SELECT * FROM bench_people WHERE id = $1 AND visible),
c AS (
    SELECT p.*, ST_Distance(p.geog, s.geog, false) / 1000.0 AS km,
           (SELECT coalesce(sum(w.idf), 0) FROM unnest(p.interests) AS i(x) JOIN bench_idf w ON w.interest = i.x
             WHERE i.x = ANY (s.interests)) AS shared
    FROM bench_people p, s
    WHERE p.visible AND p.id <> s.id
      AND ST_DWithin(p.geog, s.geog, s.travel_km * 1000.0, false)
      AND ST_DWithin(p.geog, s.geog, p.travel_km * 1000.0, false)
      AND (p.communication & s.communication) <> 0
      AND $2 - p.birth_year BETWEEN s.age_min AND s.age_max
      AND $2 - s.birth_year BETWEEN p.age_min AND p.age_max
      AND (s.genders_wanted = 0 OR (p.gender & s.genders_wanted) <> 0)
      AND (p.genders_wanted = 0 OR (s.gender & p.genders_wanted) <> 0)
      AND ((p.goals & s.goals) <> 0 OR p.interests && s.interests)
),
d AS (
    SELECT c.id,
        ff_directional(c.shared, s.mass, c.goals, s.goals, c.availability, s.availability,
            c.contribution_min, c.contribution_max, s.contribution_min, s.contribution_max,
            c.support_needs, s.support_needs, c.access_needs, s.access_needs, c.similar_needs, s.similar_needs,
            c.km, s.travel_km) AS forward,
        ff_directional(c.shared, c.mass, s.goals, c.goals, s.availability, c.availability,
            s.contribution_min, s.contribution_max, c.contribution_min, c.contribution_max,
            s.support_needs, c.support_needs, s.access_needs, c.access_needs, s.similar_needs, c.similar_needs,
            c.km, c.travel_km) AS backward
    FROM c, s
)
SELECT id FROM d
ORDER BY CASE WHEN forward + backward <= 0 THEN 0
              ELSE 2 * least(forward, backward) * greatest(forward, backward) / (forward + backward) END DESC, id
LIMIT 10";

/// A broker's search: the word $1, goal bit $2, authority $3; top 20.
const SEARCH_BROKER: &str = "
SELECT p.id FROM bench_people p, plainto_tsquery('english', $1) q
WHERE p.visible AND p.doc @@ q AND (p.goals & $2) <> 0 AND p.authorities @> ARRAY[$3::text]
ORDER BY ts_rank(p.doc, q) DESC, p.id LIMIT 20";

/// A member's search: the word $1 within the travel area of $2; top 20.
const SEARCH_MEMBER: &str = "
SELECT p.id FROM bench_people p, plainto_tsquery('english', $1) q, bench_people s
WHERE s.id = $2 AND p.visible AND p.id <> s.id AND p.doc @@ q
  AND ST_DWithin(p.geog, s.geog, s.travel_km * 1000.0, false)
ORDER BY ts_rank(p.doc, q) DESC, p.id LIMIT 20";

/// One person's search truth: what the filters see, and their words.
struct Document {
    id: Uuid,
    goals: u32,
    authorities: Vec<String>,
    district: u16,
    words: HashSet<String>,
}

/// Latencies and recall@10 of one kind of query on both sides.
pub struct Comparison {
    pub name: &'static str,
    pub ours: Vec<Duration>,
    pub theirs: Vec<Duration>,
    /// (found, expected) against the exhaustive answer.
    pub our_recall: (usize, usize),
    pub their_recall: (usize, usize),
}

impl Comparison {
    fn new(name: &'static str) -> Self {
        Self { name, ours: Vec::new(), theirs: Vec::new(), our_recall: (0, 0), their_recall: (0, 0) }
    }
}

/// The whole baseline run.
pub struct Baseline {
    pub people: usize,
    pub load: Duration,
    pub index: Duration,
    pub comparisons: Vec<Comparison>,
}

fn recall((found, expected): (usize, usize)) -> f64 {
    if expected == 0 { 1.0 } else { found as f64 / expected as f64 }
}

impl Baseline {
    /// The Markdown rows for BENCHMARKS.md.
    pub fn print(&self, percentile: impl Fn(&[Duration], f64) -> Duration) {
        let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
        println!();
        println!("## The PostGIS and full-text baseline, same population, same run");
        println!();
        println!(
            "| baseline | value |\n|---|---|\n| people loaded into PostgreSQL + PostGIS | {} |\n| load (INSERT, 1,000 rows a statement) | {:.1} s |\n| GiST + GIN indexes and ANALYZE | {:.1} s |",
            self.people,
            self.load.as_secs_f64(),
            self.index.as_secs_f64()
        );
        println!();
        println!(
            "| query | queries | this service p50 / p99 | PostGIS p50 / p99 | PostGIS ÷ this service, p50 / p99 | recall@10 this service | recall@10 PostGIS |"
        );
        println!("|---|---|---|---|---|---|---|");
        for comparison in &self.comparisons {
            let mut ours = comparison.ours.clone();
            let mut theirs = comparison.theirs.clone();
            ours.sort_unstable();
            theirs.sort_unstable();
            let (our50, our99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
            let (their50, their99) = (percentile(&theirs, 0.5), percentile(&theirs, 0.99));
            println!(
                "| {} | {} | {:.3} / {:.3} ms | {:.3} / {:.3} ms | {:.1}× / {:.1}× | {:.4} ({} of {}) | {:.4} ({} of {}) |",
                comparison.name,
                ours.len(),
                ms(our50),
                ms(our99),
                ms(their50),
                ms(their99),
                ms(their50) / ms(our50).max(1e-6),
                ms(their99) / ms(our99).max(1e-6),
                recall(comparison.our_recall),
                comparison.our_recall.0,
                comparison.our_recall.1,
                recall(comparison.their_recall),
                comparison.their_recall.0,
                comparison.their_recall.1,
            );
        }
    }
}

async fn execute(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    db.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.map(|_| ())
}

async fn ids(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    let rows = db.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    rows.iter()
        .map(|row| row.try_get_by_index::<Uuid>(0).map_err(|error| sea_orm::DbErr::Custom(error.to_string())))
        .collect()
}

/// The casts of one row of `bench_people`, its values numbered from
/// `start + 1`.
fn row_of(start: usize) -> String {
    // travel_km … visible, interests, mass, authorities.
    const CASTS: [&str; 18] =
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "::smallint[]", "", "::text[]"];
    let mut parts = vec![
        format!("${}", start + 1),
        format!("ST_SetSRID(ST_MakePoint(${}, ${}), 4326)::geography", start + 2, start + 3),
    ];
    parts.extend(CASTS.iter().enumerate().map(|(n, cast)| format!("${}{cast}", start + 4 + n)));
    parts.push(format!("to_tsvector('english', ${})", start + 22));
    format!("({})", parts.join(", "))
}

fn array_literal<T: std::fmt::Display>(items: &[T]) -> String {
    let inner: Vec<String> = items.iter().map(|item| format!("\"{item}\"")).collect();
    format!("{{{}}}", inner.join(","))
}

/// Loads the population into `url` and compares the two on `seekers`.
pub async fn run(
    url: &str,
    store: &Store,
    reference: &Reference,
    matcher: &Indexes,
    seekers: &[Uuid],
    seed: u64,
) -> Result<Baseline, Box<dyn std::error::Error>> {
    let db = Database::connect(url).await?;
    for statement in SCHEMA {
        execute(&db, statement).await?;
    }
    let codebook = Codebook::new(&reference.taxonomy);
    // The IDF weights, as the matcher has them now.
    let idf: Vec<f64> = matcher.read(|population| population.idf().to_vec())?;
    let mut values = Vec::new();
    let mut rows = Vec::new();
    for (interest, weight) in idf.iter().enumerate() {
        rows.push(format!("(${}, ${})", values.len() + 1, values.len() + 2));
        values.push(Value::from(interest as i16));
        values.push(Value::from(*weight));
    }
    let sql = format!("INSERT INTO bench_idf (interest, idf) VALUES {}", rows.join(","));
    db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;

    // Everyone, from the database (their document text and authorities) and
    // the matcher (their encoded fields), in pages.
    let loading = Instant::now();
    let mut documents: Vec<Document> = Vec::new();
    let mut after = None;
    let mut people = 0;
    loop {
        let page = store.people_page(after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for chunk in page.chunks(LOAD_BATCH) {
            let mut values: Vec<Value> = Vec::new();
            let mut rows = Vec::new();
            matcher.read(|population: &Population| {
                for person in chunk {
                    let Some(profile) = population.profile(person.id) else { continue };
                    let Some(district) = reference.areas.district(population.outcode_of(profile.core.district)) else {
                        continue;
                    };
                    let core = &profile.core;
                    let document = search_document(reference, person);
                    let mass: f64 = profile.interests.iter().map(|&interest| idf[usize::from(interest)]).sum();
                    rows.push(row_of(values.len()));
                    values.extend([
                        Value::from(person.id),
                        Value::from(district.longitude),
                        Value::from(district.latitude),
                        Value::from(core.travel_km),
                        Value::from(core.birth_year),
                        Value::from(i64::from(core.gender)),
                        Value::from(i32::from(core.age_min)),
                        Value::from(i32::from(core.age_max)),
                        Value::from(i64::from(core.genders_wanted)),
                        Value::from(i64::from(core.communication)),
                        Value::from(i64::from(core.goals)),
                        Value::from(i64::from(core.availability)),
                        Value::from(core.contribution.map(|(min, _)| min as i32)),
                        Value::from(core.contribution.map(|(_, max)| max as i32)),
                        Value::from(i64::from(core.support_needs)),
                        Value::from(i64::from(core.access_needs)),
                        Value::from(core.similar_needs),
                        Value::from(core.visible),
                        Value::from(array_literal(&profile.interests)),
                        Value::from(mass),
                        Value::from(array_literal(&document.authorities)),
                    ]);
                    values.push(Value::from(document.text.clone()));
                    if core.visible {
                        documents.push(Document {
                            id: person.id,
                            goals: core.goals,
                            authorities: document.authorities.clone(),
                            district: core.district,
                            words: matcher.search().analyze(&document.text).into_iter().collect(),
                        });
                    }
                }
            })?;
            if rows.is_empty() {
                continue;
            }
            people += rows.len();
            let sql = format!(
                "INSERT INTO bench_people (id, geog, travel_km, birth_year, gender, age_min, age_max, genders_wanted, communication, goals, availability, contribution_min, contribution_max, support_needs, access_needs, similar_needs, visible, interests, mass, authorities, doc) VALUES {}",
                rows.join(",")
            );
            db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
        }
    }
    let load = loading.elapsed();
    let indexing = Instant::now();
    for statement in INDEXES {
        execute(&db, statement).await?;
    }
    let index = indexing.elapsed();

    let year = chrono::Datelike::year(&chrono::Utc::now());
    let excluded = HashSet::new();
    // Suggestions: both sides, each seeker, warmed once; recall against the
    // exhaustive scorer.
    let mut suggestions = Comparison::new("suggestions, top 10 (PostGIS: ST_DWithin + GiST, the score in SQL)");
    for &seeker in seekers.iter().take(20) {
        ids(&db, SUGGESTIONS, vec![seeker.into(), year.into()]).await?;
    }
    for &seeker in seekers {
        let query = Query { seeker, limit: 10, goal: None, excluded: &excluded };
        let started = Instant::now();
        let fast: Vec<Uuid> = matcher.read(|population| population.suggest(&query).iter().map(|s| s.id).collect())?;
        suggestions.ours.push(started.elapsed());
        let started = Instant::now();
        let sql: HashSet<Uuid> = ids(&db, SUGGESTIONS, vec![seeker.into(), year.into()]).await?.into_iter().collect();
        suggestions.theirs.push(started.elapsed());
        let truth: Vec<Uuid> =
            matcher.read(|population| population.suggest_exhaustive(&query).iter().map(|s| s.id).collect())?;
        let fast: HashSet<Uuid> = fast.into_iter().collect();
        suggestions.our_recall.0 += truth.iter().filter(|id| fast.contains(id)).count();
        suggestions.their_recall.0 += truth.iter().filter(|id| sql.contains(id)).count();
        suggestions.our_recall.1 += truth.len();
        suggestions.their_recall.1 += truth.len();
    }

    // Search: one-word interest labels, as the route runs them (ours
    // without cards, as the SQL gives ids only).
    let words: Vec<String> = super::interest_labels(reference)
        .into_iter()
        .filter(|label| !label.contains(' ') && matcher.search().analyze(label).len() == 1)
        .collect();
    let goal_ids = super::goal_ids(reference);
    let mut broker = Comparison::new("search: a word + goal + authority (broker), top 20 (PostGIS: tsvector + GIN)");
    let mut member =
        Comparison::new("search: a word within a member's travel area, top 20 (PostGIS: tsvector + GIN + ST_DWithin)");
    let mut rng = friends_domain::demo::SplitMix64::new(seed ^ 0xBA5E);
    for (position, &seeker) in seekers.iter().enumerate() {
        let word = words[rng.below(words.len())].clone();
        let analysed = matcher.search().analyze(&word).pop().unwrap_or_default();
        let goal = goal_ids[position % goal_ids.len()].clone();
        let goal_bit = codebook.goals.bits(std::slice::from_ref(&goal));
        let (authority, area) = matcher.read(|population| super::search_scope(population, reference, seeker))?;
        let (authority, area) = (authority.unwrap_or_default(), area.unwrap_or_default());
        let area_districts: HashSet<&str> = area.iter().map(String::as_str).collect();
        // The truth, by scanning every document.
        let (broker_truth, member_truth) = matcher.read(|population| {
            let holds = |document: &&Document| document.words.contains(&analysed);
            let broker: HashSet<Uuid> = documents
                .iter()
                .filter(holds)
                .filter(|document| document.goals & goal_bit != 0 && document.authorities.contains(&authority))
                .map(|document| document.id)
                .collect();
            let member: HashSet<Uuid> = documents
                .iter()
                .filter(holds)
                .filter(|document| {
                    document.id != seeker && area_districts.contains(population.outcode_of(document.district))
                })
                .map(|document| document.id)
                .collect();
            (broker, member)
        })?;

        let broker_request = SearchRequest {
            text: Some(word.clone()),
            goals: vec![goal],
            authority: Some(authority.clone()),
            limit: 20,
            ..Default::default()
        };
        let member_request = SearchRequest {
            text: Some(word.clone()),
            outcodes: Some(area.clone()),
            excluded: vec![seeker],
            limit: 20,
            ..Default::default()
        };
        for (comparison, request, truth, sql, values) in [
            (
                &mut broker,
                broker_request,
                &broker_truth,
                SEARCH_BROKER,
                vec![Value::from(word.clone()), Value::from(i64::from(goal_bit)), Value::from(authority.clone())],
            ),
            (&mut member, member_request, &member_truth, SEARCH_MEMBER, vec![Value::from(word.clone()), seeker.into()]),
        ] {
            let started = Instant::now();
            let page = matcher.search().search(&request)?;
            comparison.ours.push(started.elapsed());
            let started = Instant::now();
            let theirs = ids(&db, sql, values).await?;
            comparison.theirs.push(started.elapsed());
            let expected = truth.len().min(10);
            comparison.our_recall.0 +=
                page.hits.iter().take(10).filter(|hit| truth.contains(&hit.id)).count().min(expected);
            comparison.their_recall.0 += theirs.iter().take(10).filter(|id| truth.contains(id)).count().min(expected);
            comparison.our_recall.1 += expected;
            comparison.their_recall.1 += expected;
        }
    }
    let _ = db.close().await;
    Ok(Baseline { people, load, index, comparisons: vec![suggestions, broker, member] })
}
