//! Public search (the council embed): every listed person of one authority
//! who matches, with their relevance, so that the caller can count facets
//! and a total over the whole result set and order it by its own key.
//!
//! Only people with a public listing carry a `listed_in` term (their
//! district's own authority), and public free text runs on `public_text`
//! (interest labels and synonyms), never on the about text: a public answer
//! can depend on nothing a public card does not show.

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::ColumnValues;
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};
use uuid::Uuid;

use crate::index::{IndexError, SearchIndex};

/// A public search, already resolved to ids by the caller.
#[derive(Debug, Clone, Default)]
pub struct PublicSearchRequest {
    /// The embed key's authority (ONS code).
    pub authority: String,
    /// Free text over interest words (never parsed for syntax).
    pub text: Option<String>,
    /// Every one of these interest ids.
    pub interests: Vec<String>,
    /// Every one of these goal ids.
    pub goals: Vec<String>,
}

/// One listed person who matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicHit {
    /// Person id (never shown: the caller turns it into a listing id).
    pub id: Uuid,
    /// Relevance (1 when there is no free text).
    pub score: f32,
}

impl SearchIndex {
    /// Every listed person of `request.authority` who matches, in no
    /// particular order.
    pub fn public_search(&self, request: &PublicSearchRequest) -> Result<Vec<PublicHit>, IndexError> {
        let fields = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, self.exact(fields.listed_in, &request.authority))];
        let has_text = match request.text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => false,
            Some(text) => match self.text_query(fields.public_text, text) {
                Some(query) => {
                    clauses.push((Occur::Must, query));
                    true
                }
                // Words that analyse to nothing (only stop words) match nobody.
                None => return Ok(Vec::new()),
            },
        };
        for interest in &request.interests {
            clauses.push((Occur::Must, self.exact(fields.interests, interest)));
        }
        for goal in &request.goals {
            clauses.push((Occur::Must, self.exact(fields.goals, goal)));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let mut hits = searcher.search(&query, &EveryHit { scored: has_text })?;
        if !has_text {
            for hit in &mut hits {
                hit.score = 1.0;
            }
        }
        Ok(hits)
    }
}

/// Collects every matching document's id and score.
struct EveryHit {
    scored: bool,
}

struct SegmentHits {
    high: Arc<dyn ColumnValues<u64>>,
    low: Arc<dyn ColumnValues<u64>>,
    hits: Vec<PublicHit>,
}

impl Collector for EveryHit {
    type Fruit = Vec<PublicHit>;
    type Child = SegmentHits;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentHits> {
        let fast = segment.fast_fields();
        Ok(SegmentHits {
            high: fast.u64("id_high")?.first_or_default_col(0),
            low: fast.u64("id_low")?.first_or_default_col(0),
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scored
    }

    fn merge_fruits(&self, fruits: Vec<Vec<PublicHit>>) -> tantivy::Result<Vec<PublicHit>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentHits {
    type Fruit = Vec<PublicHit>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let id = Uuid::from_u64_pair(self.high.get_val(doc), self.low.get_val(doc));
        self.hits.push(PublicHit { id, score });
    }

    fn harvest(self) -> Vec<PublicHit> {
        self.hits
    }
}
