//! Turning a search request into tantivy queries, and keyset pagination.

use std::cmp::Reverse;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;
use tantivy::{DocId, Score, SegmentReader, Term};
use uuid::Uuid;

use crate::index::{IndexError, SearchIndex};

/// Most words of free text used from one query.
const MAX_QUERY_TERMS: usize = 12;

/// Where the previous page ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    /// Score of the last hit.
    pub score: f32,
    /// Id of the last hit.
    pub id: Uuid,
}

impl Cursor {
    /// The opaque text form (`score bits` and id, hex).
    pub fn encode(&self) -> String {
        format!("{:08x}{}", self.score.to_bits(), self.id.simple())
    }

    /// Parses [`Cursor::encode`]'s form.
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() != 40 || !text.is_ascii() {
            return None;
        }
        let score = f32::from_bits(u32::from_str_radix(&text[..8], 16).ok()?);
        let id = Uuid::parse_str(&text[8..]).ok()?;
        score.is_finite().then_some(Self { score, id })
    }
}

/// A search, already authorised and resolved to ids by the caller.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Free text (any words; never parsed for syntax).
    pub text: Option<String>,
    /// Every one of these interest ids.
    pub interests: Vec<String>,
    /// Every one of these goal ids.
    pub goals: Vec<String>,
    /// Only people whose district touches this authority.
    pub authority: Option<String>,
    /// Only people in these districts (a member's travel area).
    pub outcodes: Option<Vec<String>>,
    /// Never these people (the caller, blocks).
    pub excluded: Vec<Uuid>,
    /// Page size.
    pub limit: usize,
    /// Continue after this hit.
    pub after: Option<Cursor>,
}

/// One hit.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Person id.
    pub id: Uuid,
    /// Relevance (1 for filter-only searches).
    pub score: f32,
}

/// One page of hits.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
}

/// Sort key: after the cursor or not, then score, then id ascending.
type SortKey = (bool, Score, Reverse<(u64, u64)>);

impl SearchIndex {
    pub(crate) fn text_query(&self, field: tantivy::schema::Field, text: &str) -> Option<Box<dyn Query>> {
        let mut analyzer = self.index.tokenizers().get(crate::index::ANALYZER)?;
        let mut stream = analyzer.token_stream(text);
        let mut words: Vec<String> = Vec::new();
        while stream.advance() {
            let word = stream.token().text.clone();
            if !word.is_empty() && !words.contains(&word) && words.len() < MAX_QUERY_TERMS {
                words.push(word);
            }
        }
        if words.is_empty() {
            return None;
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .into_iter()
            .map(|word| {
                let term = Term::from_field_text(field, &word);
                let exact: Box<dyn Query> = Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                    2.0,
                ));
                // Typo tolerance only for words the index does not know:
                // a fuzzy term walks the whole dictionary, an exact one is a
                // lookup.
                let known = self.knows(&term);
                let distance = match word.chars().count() {
                    _ if known => 0,
                    0..=3 => 0,
                    4..=7 => 1,
                    _ => 2,
                };
                let word_query: Box<dyn Query> = if distance == 0 {
                    exact
                } else {
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Should, exact),
                        (Occur::Should, Box::new(FuzzyTermQuery::new(term, distance, true))),
                    ]))
                };
                (Occur::Should, word_query)
            })
            .collect();
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// Whether any segment's dictionary holds `term`.
    fn knows(&self, term: &Term) -> bool {
        let searcher = self.reader.searcher();
        searcher.segment_readers().iter().any(|segment| {
            segment
                .inverted_index(term.field())
                .ok()
                .and_then(|index| index.terms().get(term.serialized_value_bytes()).ok().flatten())
                .is_some()
        })
    }

    pub(crate) fn exact(&self, field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
    }

    /// Runs a search.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchPage, IndexError> {
        let fields = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let text_query = request.text.as_deref().and_then(|text| self.text_query(fields.text, text));
        let has_text = text_query.is_some();
        if let Some(query) = text_query {
            clauses.push((Occur::Must, query));
        } else if request.text.as_deref().is_some_and(|text| !text.trim().is_empty()) {
            // Words that analyse to nothing (only stop words) match nobody.
            return Ok(SearchPage { hits: Vec::new(), next: None });
        }
        for interest in &request.interests {
            clauses.push((Occur::Must, self.exact(fields.interests, interest)));
        }
        for goal in &request.goals {
            clauses.push((Occur::Must, self.exact(fields.goals, goal)));
        }
        if let Some(authority) = &request.authority {
            clauses.push((Occur::Must, self.exact(fields.authorities, authority)));
        }
        if let Some(outcodes) = &request.outcodes {
            let terms = outcodes.iter().map(|outcode| Term::from_field_text(fields.outcode, outcode));
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
        }
        for id in &request.excluded {
            clauses.push((Occur::MustNot, self.exact(fields.id, &id.simple().to_string())));
        }
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            clauses.push((Occur::Must, Box::new(tantivy::query::AllQuery)));
        }
        let query = BooleanQuery::new(clauses);

        let after = request.after.map(|cursor| (cursor.score, Reverse(cursor.id.as_u64_pair())));
        let limit = request.limit.max(1);
        let collector = TopDocs::with_limit(limit + 1).tweak_score(move |segment: &SegmentReader| {
            let high = segment.fast_fields().u64("id_high").ok().map(|column| column.first_or_default_col(0));
            let low = segment.fast_fields().u64("id_low").ok().map(|column| column.first_or_default_col(0));
            move |doc: DocId, score: Score| -> SortKey {
                let id = (high.as_ref().map_or(0, |c| c.get_val(doc)), low.as_ref().map_or(0, |c| c.get_val(doc)));
                let score = if has_text { score } else { 1.0 };
                let key = (score, Reverse(id));
                // Hits at or before the cursor sort below every hit after it.
                let is_after = after.is_none_or(|cursor| key < cursor);
                (is_after, score, Reverse(id))
            }
        });
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &collector)?;
        let mut hits: Vec<SearchHit> = top
            .into_iter()
            .filter(|((is_after, _, _), _)| *is_after)
            .map(|((_, score, Reverse((high, low))), _)| SearchHit { id: Uuid::from_u64_pair(high, low), score })
            .collect();
        let next = if hits.len() > limit {
            hits.truncate(limit);
            hits.last().map(|hit| Cursor { score: hit.score, id: hit.id })
        } else {
            None
        };
        Ok(SearchPage { hits, next })
    }
}
