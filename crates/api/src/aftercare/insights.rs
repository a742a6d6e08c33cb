//! Outcomes for brokers (DESIGN §5): per authority, who is looking (by goal,
//! top interests and district), who has nobody to suggest (unmet demand:
//! where the service should be promoted), how long the queue waits,
//! introductions and groups by state, arrangements still running 3, 6 and 12
//! months after the introduction, and check-in answers.
//!
//! Counts only, never a person: every count under 5 reads "fewer than 5",
//! and every table whose cells add up to a shown total is published through
//! [`friends_domain::suppression::table`], so that no small count can be
//! worked out from the others. Breakdowns where one person counts in
//! several cells (goals, interests) carry the primary rule only; interests
//! under 5 are left out of the top list, so that listing one never says
//! someone chose it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use friends_domain::check_ins::{Answer, CheckInStatus};
use friends_domain::introduction::IntroductionStatus;
use friends_domain::policy::{self, Rule};
use friends_domain::suppression::{Count, table};
use friends_domain::taxonomy::VocabularyKind;
use friends_matching::{Looking, Query};
use friends_store::{IntroductionFilter, QueueItem, Store};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::errors::{ApiError, refused};
use crate::indexes::Indexes;
use crate::reference::Reference;

/// How many interests the top list holds at most.
pub const TOP_INTERESTS: usize = 10;
/// The horizons of "still running", in months (and the days they stand for).
pub const RUNNING_AFTER: [(u32, i64); 3] = [(3, 91), (6, 182), (12, 365)];

/// Query of `GET /v1/broker/insights`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightsQuery {
    /// The authority (ONS code).
    pub authority: String,
}

/// The authority a report is about.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorityView {
    /// ONS code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A count of one term.
#[derive(Debug, Clone, Serialize)]
pub struct TermCount {
    /// Vocabulary id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// How many.
    pub count: Count,
}

/// A count of one district, with its centroid for the map.
#[derive(Debug, Clone, Serialize)]
pub struct DistrictCount {
    /// Postcode district.
    pub district: String,
    /// Centroid latitude.
    pub latitude: f64,
    /// Centroid longitude.
    pub longitude: f64,
    /// How many.
    pub count: Count,
}

/// People, counted.
#[derive(Debug, Clone, Serialize)]
pub struct PeopleCounts {
    /// Everyone counted (the total of `by_district`).
    pub total: Count,
    /// By district: every district of the authority.
    pub by_district: Vec<DistrictCount>,
    /// By goal (one person may have several).
    pub by_goal: Vec<TermCount>,
    /// The most chosen interests with 5 or more people.
    pub top_interests: Vec<TermCount>,
}

/// A count of one state.
#[derive(Debug, Clone, Serialize)]
pub struct StateCount {
    /// The state.
    pub state: String,
    /// How many.
    pub count: Count,
}

/// Introductions of one kind by state.
#[derive(Debug, Clone, Serialize)]
pub struct StateTable {
    /// All of them.
    pub total: Count,
    /// By state.
    pub by_state: Vec<StateCount>,
}

/// Pairs and groups.
#[derive(Debug, Clone, Serialize)]
pub struct IntroductionCounts {
    /// Two people.
    pub pairs: StateTable,
    /// Three to six.
    pub groups: StateTable,
}

/// The queue now.
#[derive(Debug, Clone, Serialize)]
pub struct QueueCounts {
    /// Reports, enquiries and check-ins waiting (requests to review are
    /// the introductions' `pending_review`).
    pub waiting: Count,
    /// By kind (`report`, `enquiry`, `check_in`).
    pub by_kind: Vec<StateCount>,
    /// Median wait so far of everything in the queue, requests included,
    /// in seconds (only with 5 or more waiting).
    pub median_waiting_seconds: Option<i64>,
    /// 90th percentile, in seconds (only with 5 or more waiting).
    pub p90_waiting_seconds: Option<i64>,
}

/// Arrangements that reached an age.
#[derive(Debug, Clone, Serialize)]
pub struct Running {
    /// Months after the introduction.
    pub after_months: u32,
    /// Introduced at least that long ago.
    pub reached: Count,
    /// Of those, still going at that age.
    pub still_running: Count,
    /// Of those, ended before it.
    pub stopped: Count,
}

/// Check-ins that fell due, by what became of them.
#[derive(Debug, Clone, Serialize)]
pub struct CheckInCounts {
    /// All that fell due.
    pub total: Count,
    /// `going_well`, `mixed`, `not_well`, `want_to_stop`, `unanswered`.
    pub by_answer: Vec<StateCount>,
}

/// `GET /v1/broker/insights`.
#[derive(Debug, Clone, Serialize)]
pub struct InsightsView {
    /// Which authority.
    pub authority: AuthorityView,
    /// When.
    pub generated_at: DateTime<Utc>,
    /// Findable people in the authority.
    pub looking: PeopleCounts,
    /// Of them, those with nobody to suggest.
    pub nothing_to_suggest: PeopleCounts,
    /// The brokers' queue.
    pub queue: QueueCounts,
    /// Introductions with a member in the authority.
    pub introductions: IntroductionCounts,
    /// Arrangements still running 3, 6 and 12 months on.
    pub running: Vec<Running>,
    /// Check-in answers of people in the authority.
    pub check_ins: CheckInCounts,
}

/// The insights service.
#[derive(Debug, Clone)]
pub struct Insights<'a> {
    /// The store.
    pub store: &'a Store,
    /// This node's indexes (who is looking, and who has suggestions).
    pub indexes: std::sync::Arc<Indexes>,
    /// Areas and vocabularies.
    pub reference: &'a Reference,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

fn state_table<'a>(states: impl IntoIterator<Item = (&'a str, u64)>) -> StateTable {
    let (names, values): (Vec<&str>, Vec<u64>) = states.into_iter().unzip();
    let (cells, total) = table(&values, values.iter().sum());
    let by_state =
        names.into_iter().zip(cells).map(|(state, count)| StateCount { state: state.into(), count }).collect();
    StateTable { total, by_state }
}

fn percentile(sorted: &[i64], fraction: f64) -> i64 {
    let rank = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted.get(rank.min(sorted.len().saturating_sub(1))).copied().unwrap_or(0)
}

impl Insights<'_> {
    fn people(&self, people: &[&Looking], districts: &[&friends_domain::areas::District]) -> PeopleCounts {
        let mut by_outcode: HashMap<&str, u64> = HashMap::new();
        let mut by_goal: HashMap<&str, u64> = HashMap::new();
        let mut by_interest: HashMap<&str, u64> = HashMap::new();
        for person in people {
            *by_outcode.entry(&person.outcode).or_default() += 1;
            for goal in &person.goals {
                *by_goal.entry(goal).or_default() += 1;
            }
            for interest in &person.interests {
                *by_interest.entry(interest).or_default() += 1;
            }
        }
        let values: Vec<u64> =
            districts.iter().map(|district| by_outcode.get(district.outcode.as_str()).copied().unwrap_or(0)).collect();
        let (cells, total) = table(&values, people.len() as u64);
        let by_district = districts
            .iter()
            .zip(cells)
            .map(|(district, count)| DistrictCount {
                district: district.outcode.clone(),
                latitude: district.latitude,
                longitude: district.longitude,
                count,
            })
            .collect();
        let goals = self.reference.taxonomy.vocabulary(VocabularyKind::Goals);
        let by_goal = goals
            .terms()
            .iter()
            .map(|term| TermCount {
                id: term.id.clone(),
                label: term.label.clone(),
                count: Count::of(by_goal.get(term.id.as_str()).copied().unwrap_or(0)),
            })
            .collect();
        let interests = self.reference.taxonomy.vocabulary(VocabularyKind::Interests);
        let mut top: Vec<(&str, u64)> =
            by_interest.into_iter().filter(|(_, count)| Count::of(*count).shown().is_some()).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let top_interests = top
            .into_iter()
            .take(TOP_INTERESTS)
            .map(|(id, count)| TermCount {
                id: id.to_owned(),
                label: interests
                    .terms()
                    .iter()
                    .find(|term| term.id == id)
                    .map_or_else(|| id.to_owned(), |term| term.label.clone()),
                count: Count::of(count),
            })
            .collect();
        PeopleCounts { total, by_district, by_goal, top_interests }
    }

    /// Findable people in `outcodes`, and whether each has nobody to
    /// suggest (the pair fast path, with their exclusions).
    async fn looking(&self, outcodes: Vec<String>) -> Result<Vec<(Looking, bool)>, ApiError> {
        let indexes = self.indexes.clone();
        let now = self.now;
        let found = actix_web::web::block(move || -> Result<Vec<(Looking, bool)>, crate::indexes::Poisoned> {
            let looking = indexes.read(|population| population.looking_in(outcodes.iter().map(String::as_str)))?;
            let mut found = Vec::with_capacity(looking.len());
            for person in looking {
                let excluded = indexes.excluded_for(person.id, now)?;
                let query = Query { seeker: person.id, limit: 1, goal: None, excluded: &excluded };
                let nothing = indexes.read(|population| population.suggest(&query).is_empty())?;
                found.push((person, nothing));
            }
            Ok(found)
        })
        .await
        .map_err(|_| ApiError::Internal)?;
        found.map_err(|_| ApiError::Internal)
    }

    /// `GET /v1/broker/insights?authority=`.
    pub async fn report(&self, caller: &Caller, query: InsightsQuery) -> Result<InsightsView, ApiError> {
        let authority = query.authority.trim().to_uppercase();
        let name = self.reference.areas.authority_name(&authority).ok_or(ApiError::NotFound)?.to_owned();
        policy::insights(caller.actor(), &authority).map_err(|refusal| refused(refusal, Rule::Insights))?;
        if caller.role == crate::auth::Role::Admin {
            tracing::info!(admin = %caller.subject, "admin read an authority's insights");
        }
        let mut districts: Vec<&friends_domain::areas::District> =
            self.reference.areas.districts().filter(|district| district.authority_code == authority).collect();
        districts.sort_by(|a, b| a.outcode.cmp(&b.outcode));
        let found = self.looking(districts.iter().map(|district| district.outcode.clone()).collect()).await?;
        let everyone: Vec<&Looking> = found.iter().map(|(person, _)| person).collect();
        let unmet: Vec<&Looking> = found.iter().filter(|(_, nothing)| *nothing).map(|(person, _)| person).collect();

        let queue = self.queue(&authority).await?;
        let (introductions, running) = self.introductions(&authority).await?;
        let check_ins = self.check_ins(&authority).await?;
        Ok(InsightsView {
            authority: AuthorityView { code: authority, name },
            generated_at: self.now,
            looking: self.people(&everyone, &districts),
            nothing_to_suggest: self.people(&unmet, &districts),
            queue,
            introductions,
            running,
            check_ins,
        })
    }

    async fn queue(&self, authority: &str) -> Result<QueueCounts, ApiError> {
        let items = self.store.broker_queue(&[authority.to_owned()], None, 100_000).await?;
        let mut waits: Vec<i64> = items.iter().map(|item| (self.now - item.key().0).num_seconds().max(0)).collect();
        waits.sort_unstable();
        let kind = |wanted: fn(&QueueItem) -> bool| items.iter().filter(|item| wanted(item)).count() as u64;
        // Requests to review are counted once, as the introductions'
        // `pending_review`: counted here too, one table could be worked
        // out from the other.
        let kinds = state_table([
            ("report", kind(|item| matches!(item, QueueItem::Report(_)))),
            ("enquiry", kind(|item| matches!(item, QueueItem::Enquiry(_)))),
            ("check_in", kind(|item| matches!(item, QueueItem::CheckIn(_)))),
        ]);
        // Times only with 5 or more waiting (a time of one item is that item's).
        let enough = waits.len() >= 5;
        Ok(QueueCounts {
            waiting: kinds.total,
            by_kind: kinds.by_state,
            median_waiting_seconds: enough.then(|| percentile(&waits, 0.5)),
            p90_waiting_seconds: enough.then(|| percentile(&waits, 0.9)),
        })
    }

    async fn introductions(&self, authority: &str) -> Result<(IntroductionCounts, Vec<Running>), ApiError> {
        let filter = IntroductionFilter { authorities: vec![authority.to_owned()], ..IntroductionFilter::default() };
        let mut pairs: HashMap<IntroductionStatus, u64> = HashMap::new();
        let mut groups: HashMap<IntroductionStatus, u64> = HashMap::new();
        let mut ages: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
        let mut after = None;
        loop {
            let page = self.store.introductions_page(&filter, after, 500).await?;
            for introduction in &page {
                let counts = if introduction.members.len() == 2 { &mut pairs } else { &mut groups };
                *counts.entry(introduction.status).or_default() += 1;
                if let Some(introduced_at) = introduction.introduced_at {
                    let ended =
                        (introduction.status != IntroductionStatus::Introduced).then_some(introduction.last_action_at);
                    ages.push((introduced_at, ended));
                }
            }
            match page.last() {
                Some(last) if page.len() == 500 => after = Some((last.created_at, last.id)),
                _ => break,
            }
        }
        let states = [
            IntroductionStatus::PendingReview,
            IntroductionStatus::AwaitingConsent,
            IntroductionStatus::Introduced,
            IntroductionStatus::Ended,
            IntroductionStatus::Declined,
            IntroductionStatus::Withdrawn,
            IntroductionStatus::Expired,
        ];
        let of = |counts: &HashMap<IntroductionStatus, u64>| {
            state_table(states.iter().map(|status| (status.as_str(), counts.get(status).copied().unwrap_or(0))))
        };
        let running = RUNNING_AFTER
            .iter()
            .map(|&(months, days)| {
                let age = Duration::days(days);
                let reached: Vec<_> =
                    ages.iter().filter(|(introduced_at, _)| *introduced_at + age <= self.now).collect();
                let still = reached
                    .iter()
                    .filter(|(introduced_at, ended)| ended.is_none_or(|ended| ended >= *introduced_at + age))
                    .count() as u64;
                let (cells, total) = table(&[still, reached.len() as u64 - still], reached.len() as u64);
                Running { after_months: months, reached: total, still_running: cells[0], stopped: cells[1] }
            })
            .collect();
        Ok((IntroductionCounts { pairs: of(&pairs), groups: of(&groups) }, running))
    }

    async fn check_ins(&self, authority: &str) -> Result<CheckInCounts, ApiError> {
        let outcomes = self.store.check_in_outcomes(authority).await?;
        let answered = |answer: Answer| outcomes.iter().filter(|(_, given)| *given == Some(answer)).count() as u64;
        let unanswered =
            outcomes.iter().filter(|(status, given)| given.is_none() && *status != CheckInStatus::Scheduled).count()
                as u64;
        let mut rows: Vec<(&str, u64)> =
            Answer::ALL.iter().map(|answer| (answer.as_str(), answered(*answer))).collect();
        rows.push(("unanswered", unanswered));
        let counts = state_table(rows);
        Ok(CheckInCounts { total: counts.total, by_answer: counts.by_state })
    }
}
