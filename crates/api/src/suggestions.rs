//! `GET /v1/people/{id}/suggestions` and `GET /v1/people/{id}/group-suggestions`:
//! ranked cards of people, and of whole groups, from this node's matcher
//! (DESIGN §4). When there is nothing to suggest, the list says why in plain
//! words, with one next step, revealing nobody (DESIGN §4 "Honest empty
//! lists").

use std::sync::Arc;

use chrono::{DateTime, Utc};
use friends_domain::taxonomy::VocabularyKind;
use friends_domain::{FieldCode, FieldError};
use friends_matching::{Card, GroupCard, GroupQuery, MAX_GROUP_SIZE, MIN_GROUP_SIZE, NoGroups, Population, Query};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::errors::{ApiError, PageLimit, WholeNumber, page_limit};
use crate::indexes::Indexes;
use crate::people::People;
use crate::rate_limits::CallerLimits;

/// Suggestions returned when no `limit` is given.
pub const DEFAULT_SUGGESTIONS: usize = 10;
/// Most suggestions one request returns.
pub const MAX_SUGGESTIONS: usize = 50;
/// People per suggested group when no `size` is given (the seeker included).
pub const DEFAULT_GROUP_SIZE: usize = 4;
/// Groups returned when no `limit` is given.
pub const DEFAULT_GROUPS: usize = 5;
/// Most groups one request returns.
pub const MAX_GROUPS: usize = 10;

/// Why a suggestion list is empty: a stable code and plain words with one
/// next step. It never names or counts anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Empty {
    /// Stable, snake_case.
    pub code: &'static str,
    /// Plain words, one next step.
    pub message: String,
}

/// A list of suggestions (DESIGN §7 lists), with `empty` when it is.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionList<T> {
    /// Best first.
    pub items: Vec<T>,
    /// Always `null`: suggestions come in one page.
    pub next_cursor: Option<String>,
    /// Why there is nothing, when there is nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty: Option<Empty>,
}

impl<T> SuggestionList<T> {
    fn of(items: Vec<T>, empty: impl FnOnce() -> Empty) -> Self {
        let empty = items.is_empty().then(empty);
        Self { items, next_cursor: None, empty }
    }
}

fn not_findable() -> Empty {
    Empty {
        code: "profile_not_findable",
        message: "Your profile is paused or hidden, so we cannot suggest anyone. Turn it back on to see people.".into(),
    }
}

/// "travel further than 10 km, or ask your broker", or only the broker
/// when they already travel as far as a profile allows.
fn further_or_broker(travel_km: f32) -> String {
    if travel_km >= 100.0 {
        "Your broker may know people: ask them.".to_owned()
    } else {
        format!("You could travel further than {travel_km:.0} km, or ask your broker.")
    }
}

/// The suggestion service (pairs and groups), on the people service.
#[derive(Debug, Clone)]
pub struct Suggestions<'a> {
    /// Authorises the caller for the person.
    pub people: People<'a>,
    /// The same indexes, owned, for a group search on a blocking thread.
    pub indexes: Arc<Indexes>,
    /// Counts each lookup once the caller may make it (so that nobody can
    /// spend another person's limit).
    pub limits: &'a CallerLimits,
}

impl Suggestions<'_> {
    fn goal(&self, goal: Option<&str>) -> Result<Option<String>, ApiError> {
        let Some(goal) = goal else { return Ok(None) };
        let goals = self.people.reference.taxonomy.vocabulary(VocabularyKind::Goals);
        Ok(Some(goals.resolve("goal", goal).map_err(|error| ApiError::Validation(vec![error]))?.to_owned()))
    }

    fn now(&self) -> DateTime<Utc> {
        self.people.now
    }

    /// `GET /v1/people/{id}/suggestions`: ranked cards. `goal` takes an id,
    /// label or synonym.
    pub async fn pairs(
        &self,
        caller: &Caller,
        id: Uuid,
        limit: Option<PageLimit>,
        goal: Option<&str>,
    ) -> Result<SuggestionList<Card>, ApiError> {
        self.people.authorize_from_indexes(caller, id).await?;
        self.limits.check_lookup(caller.subject, id, caller.is_on_the_side_of(id))?;
        let limit = page_limit(limit, DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS)?;
        let goal = self.goal(goal)?;
        // Blocks either way, open introductions, recent declines.
        let excluded = self.people.indexes.excluded_for(id, self.now())?;
        let query = Query { seeker: id, limit, goal: goal.as_deref(), excluded: &excluded };
        Ok(self.people.indexes.read(|population| {
            let cards = population.suggest(&query).iter().filter_map(|found| population.card(id, found)).collect();
            SuggestionList::of(cards, || pairs_empty(population, id, goal.is_some()))
        })?)
    }

    /// `GET /v1/people/{id}/group-suggestions`: whole groups of `size`
    /// (the seeker included), each with the other members' cards, the group
    /// score and reasons about the group.
    pub async fn groups(
        &self,
        caller: &Caller,
        id: Uuid,
        size: Option<WholeNumber>,
        limit: Option<PageLimit>,
        goal: Option<&str>,
    ) -> Result<SuggestionList<GroupCard>, ApiError> {
        self.people.authorize_from_indexes(caller, id).await?;
        self.limits.check_lookup(caller.subject, id, caller.is_on_the_side_of(id))?;
        let size = group_size(size)?;
        let limit = page_limit(limit, DEFAULT_GROUPS, MAX_GROUPS)?;
        let goal = self.goal(goal)?;
        let excluded = self.people.indexes.excluded_for(id, self.now())?;
        let (indexes, now) = (self.indexes.clone(), self.now());
        // Milliseconds of work as a rule, up to its budget at worst: off the
        // request threads.
        let search = move || {
            indexes.read_with_apart(now, |population, apart| {
                let query = GroupQuery { seeker: id, size, limit, goal: goal.as_deref(), excluded: &excluded, apart };
                let answer = population.suggest_groups(&query);
                if answer.stopped_early {
                    tracing::warn!(size, candidates = answer.candidates, "group search stopped at its work budget");
                }
                let cards = answer.groups.iter().filter_map(|group| population.group_card(id, group)).collect();
                SuggestionList::of(cards, || groups_empty(population, id, size, answer.empty))
            })
        };
        let list = actix_web::web::block(search).await.map_err(|error| {
            tracing::error!(error = %error, "the group search thread failed");
            ApiError::Internal
        })??;
        Ok(list)
    }
}

/// The `size` of a group request: 3 to 6 people, the seeker included.
fn group_size(size: Option<WholeNumber>) -> Result<usize, ApiError> {
    let Some(WholeNumber(size)) = size else { return Ok(DEFAULT_GROUP_SIZE) };
    match usize::try_from(size) {
        Ok(size) if (MIN_GROUP_SIZE..=MAX_GROUP_SIZE).contains(&size) => Ok(size),
        _ => Err(ApiError::Validation(vec![FieldError::new(
            "size",
            FieldCode::OutOfRange,
            "Must be from 3 to 6 (you and 2 to 5 others).",
        )])),
    }
}

fn travel_km(population: &Population, id: Uuid) -> Option<f32> {
    population.profile(id).filter(|profile| profile.core.visible).map(|profile| profile.core.travel_km)
}

/// Why a pair list is empty.
fn pairs_empty(population: &Population, id: Uuid, with_goal: bool) -> Empty {
    let Some(km) = travel_km(population, id) else { return not_findable() };
    if with_goal {
        Empty {
            code: "nobody_with_this_goal",
            message: "Nobody near you who fits has chosen this goal yet. You could look without a goal, or ask your \
                      broker."
                .into(),
        }
    } else {
        Empty {
            code: "few_people_near",
            message: format!("Not many people near you have joined yet. {}", further_or_broker(km)),
        }
    }
}

/// Why a group list is empty.
fn groups_empty(population: &Population, id: Uuid, size: usize, why: Option<NoGroups>) -> Empty {
    let Some(km) = travel_km(population, id) else { return not_findable() };
    let smaller = if size > MIN_GROUP_SIZE { "You could try a smaller group, or ask your broker." } else { "" };
    match why {
        Some(NoGroups::LargerThanYouWant { most }) => Empty {
            code: "group_larger_than_you_want",
            message: format!(
                "You said you want groups of up to {most}. You could ask for a smaller group, or change this in your \
                 profile."
            ),
        },
        Some(NoGroups::NotYourGoal) => Empty {
            code: "goal_not_chosen",
            message: "This goal is not on your profile. You could add it, or look without a goal.".into(),
        },
        Some(NoGroups::NoGroupFits) => Empty {
            code: "no_group_fits",
            message: format!(
                "We could not find a group of {size} in which everyone fits everyone yet. {}",
                if smaller.is_empty() { "Your broker may know people: ask them." } else { smaller }
            ),
        },
        Some(NoGroups::Unfinished) => Empty {
            code: "search_unfinished",
            message: "We could not finish looking this time. Please try again later, or ask your broker.".into(),
        },
        Some(NoGroups::FewPeople) | None => Empty {
            code: "few_people_near",
            message: format!(
                "Not enough people near you could make a group of {size} yet. {}",
                if smaller.is_empty() { further_or_broker(km) } else { smaller.to_owned() }
            ),
        },
    }
}
