//! `GET /v1/public/search?key=&q=&interests=&goals=&cursor=&limit=`: the
//! listed people of the key's authority, as public cards.
//!
//! A public answer depends only on what public cards show: who chose a
//! public listing, is findable, and lives in a district of the key's own
//! authority; their age band, interests, goals and availability. Free text
//! reads interest words, never the about text; there is no filter on needs,
//! age, place or anything a card does not show. Every listed person of the
//! authority who matches is counted (facets and total over the whole result
//! set, each under 5 read "fewer than 5"); they are ordered by relevance,
//! then by a keyed order that differs from key to key (see
//! [`super::EmbedCaller::order_of`]), and only the page shown is sorted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use friends_domain::bands::AgeBand;
use friends_domain::taxonomy::VocabularyKind;
use friends_matching::Population;
use friends_search::{Cursor, PublicSearchRequest};
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::EmbedCaller;
use crate::cursor::CursorKey;
use crate::errors::{ApiError, PageLimit, page_limit};
use crate::indexes::Indexes;
use crate::reference::Reference;
use crate::search::{check_query_text, terms};

/// Cards per page when no `limit` is given.
pub const DEFAULT_PUBLIC_LIMIT: usize = 10;
/// Most cards per page.
pub const MAX_PUBLIC_LIMIT: usize = 30;
/// Counts below this read "fewer than 5".
pub const SMALLEST_COUNT_SHOWN: usize = 5;

/// The query string, as sent.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicSearchParams {
    /// The embed key (read by the gate).
    pub key: Option<String>,
    /// Free text over interest words.
    pub q: Option<String>,
    /// Comma-separated interests (ids, labels or synonyms).
    pub interests: Option<String>,
    /// Comma-separated goals.
    pub goals: Option<String>,
    /// Page size.
    pub limit: Option<PageLimit>,
    /// Opaque cursor from the previous page (bound to this key and query).
    pub cursor: Option<String>,
}

/// A count as the public reads it: the number when it is 5 or more, else
/// "fewer than 5".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub usize);

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 < SMALLEST_COUNT_SHOWN {
            serializer.serialize_str("fewer than 5")
        } else {
            serializer.serialize_u64(self.0 as u64)
        }
    }
}

/// A public card (DESIGN §7): no name, about text, needs, contact,
/// district, score or distance.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCard {
    /// Opaque, stable under this key, different under another.
    pub listing_id: Uuid,
    /// Their age band.
    pub age_band: AgeBand,
    /// The key's authority.
    pub area_name: String,
    /// Interest ids.
    pub interests: Vec<String>,
    /// Goal ids.
    pub goals: Vec<String>,
    /// Availability slot ids.
    pub availability: Vec<String>,
}

/// Counts per term in the whole result set.
#[derive(Debug, Clone, Serialize)]
pub struct Facets {
    /// Per interest id.
    pub interests: BTreeMap<String, Count>,
    /// Per goal id.
    pub goals: BTreeMap<String, Count>,
}

/// One page of public cards.
#[derive(Debug, Clone, Serialize)]
pub struct PublicResults {
    /// Cards, best first.
    pub items: Vec<PublicCard>,
    /// Counts over the whole result set.
    pub facets: Facets,
    /// How many match in all.
    pub total: Count,
    /// Cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

/// The public search service.
#[derive(Debug, Clone)]
pub struct PublicSearch<'a> {
    /// This node's indexes.
    pub indexes: &'a Indexes,
    /// Signs cursors.
    pub cursor_key: &'a CursorKey,
    /// Areas and vocabularies.
    pub reference: &'a Reference,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

/// A listed person who matched, before paging (borrowed from the matcher).
struct Listed<'a> {
    person: Uuid,
    score: f32,
    /// Their place among equally relevant listings under this key.
    order: u128,
    card: friends_matching::PublicProfile<'a>,
}

impl Listed<'_> {
    /// Best first: higher relevance, then the key's order.
    fn rank(&self, other: &Self) -> std::cmp::Ordering {
        other.score.total_cmp(&self.score).then(self.order.cmp(&other.order))
    }

    /// Whether this comes after `cursor` in rank order.
    fn after(&self, cursor: &Cursor) -> bool {
        let order = cursor.id.as_u128();
        self.score < cursor.score || (self.score == cursor.score && self.order > order)
    }
}

impl PublicSearch<'_> {
    /// Every listed person of `caller`'s authority who matches, in no
    /// particular order, handed to `then` inside one read of the matcher,
    /// so that nothing is copied but what `then` keeps.
    fn matching<T>(
        &self,
        caller: &EmbedCaller,
        request: &PublicSearchRequest,
        then: impl FnOnce(&Population, Vec<Listed<'_>>) -> T,
    ) -> Result<T, ApiError> {
        let hits = self.indexes.search().public_search(request).map_err(|error| {
            tracing::error!(error = %error, "public search failed");
            ApiError::Internal
        })?;
        // The matcher is asked too: it is current with this node's writes
        // and answers only for findable, listed people.
        Ok(self.indexes.read(|population| {
            let mut listed = Vec::with_capacity(hits.len());
            listed.extend(hits.iter().filter_map(|hit| {
                let card = population.public_profile(hit.id)?;
                Some(Listed { person: hit.id, score: hit.score, order: caller.order_of(hit.id), card })
            }));
            then(population, listed)
        })?)
    }

    /// The person listed as `listing_id` under `caller`'s key, if they are
    /// listed now.
    pub fn person_of(&self, caller: &EmbedCaller, listing_id: Uuid) -> Result<Option<Uuid>, ApiError> {
        let request = PublicSearchRequest { authority: caller.authority.clone(), ..PublicSearchRequest::default() };
        self.matching(caller, &request, |_, listed| {
            listed.iter().map(|listed| listed.person).find(|&person| caller.listing_id(person) == listing_id)
        })
    }

    /// Runs a public search for `caller`.
    pub fn search(&self, caller: &EmbedCaller, params: &PublicSearchParams) -> Result<PublicResults, ApiError> {
        let text = check_query_text(params.q.as_deref())?;
        let interests = terms(self.reference, VocabularyKind::Interests, "interests", params.interests.as_deref())?;
        let goals = terms(self.reference, VocabularyKind::Goals, "goals", params.goals.as_deref())?;
        let limit = page_limit(params.limit, DEFAULT_PUBLIC_LIMIT, MAX_PUBLIC_LIMIT)?;
        // A cursor is good for this key and this query only.
        let binding = serde_json::to_vec(&("public", caller.key_id, text, &interests, &goals)).unwrap_or_default();
        let after = match params.cursor.as_deref() {
            None => None,
            Some(cursor) => Some(self.cursor_key.open(&binding, cursor).ok_or(ApiError::InvalidCursor)?),
        };
        let request = PublicSearchRequest {
            authority: caller.authority.clone(),
            text: text.map(str::to_owned),
            interests,
            goals,
        };
        let area_name = self.reference.areas.authority_name(&caller.authority).unwrap_or_default().to_owned();
        self.matching(caller, &request, |population, listed| {
            let mut counts = population.public_facets();
            for person in &listed {
                counts.add(&person.card);
            }
            let owned = |terms: &mut dyn Iterator<Item = (&str, usize)>| -> BTreeMap<String, Count> {
                terms.map(|(term, count)| (term.to_owned(), Count(count))).collect()
            };
            let facets = Facets { interests: owned(&mut counts.interests()), goals: owned(&mut counts.goals()) };
            let total = Count(listed.len());
            // Only the page is put in order: the rest of the result set is
            // counted above and never shown.
            let mut page: Vec<Listed<'_>> = match after {
                None => listed,
                Some(cursor) => listed.into_iter().filter(|person| person.after(&cursor)).collect(),
            };
            if page.len() > limit + 1 {
                page.select_nth_unstable_by(limit, Listed::rank);
                page.truncate(limit + 1);
            }
            page.sort_unstable_by(Listed::rank);
            let next_cursor = (page.len() > limit).then(|| page.get(limit - 1)).flatten().map(|last| {
                self.cursor_key.seal(&binding, &Cursor { score: last.score, id: Uuid::from_u128(last.order) })
            });
            let items = page
                .into_iter()
                .take(limit)
                .map(|person| PublicCard {
                    listing_id: caller.listing_id(person.person),
                    age_band: person.card.age_band,
                    area_name: area_name.clone(),
                    interests: person.card.interests().map(str::to_owned).collect(),
                    goals: person.card.goals().map(str::to_owned).collect(),
                    availability: person.card.availability().map(str::to_owned).collect(),
                })
                .collect();
            PublicResults { items, facets, total, next_cursor }
        })
    }
}
