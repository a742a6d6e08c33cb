//! `GET /v1/search`: free text and filters over the search index, with cards
//! from the matcher. Members search around their own area only; the scope
//! comes from the token and the profile, never from the query.

use friends_domain::policy::{self, Forbidden, Refusal, Rule, SearchScope};
use friends_domain::taxonomy::VocabularyKind;
use friends_domain::{FieldCode, FieldError};
use friends_matching::Card;
use friends_search::SearchRequest;
use uuid::Uuid;

use crate::auth::Caller;
use crate::cursor::CursorKey;
use crate::errors::{ApiError, page_limit, refused};
use crate::indexes::Indexes;
use crate::reference::Reference;

/// Hits per page when no `limit` is given.
pub const DEFAULT_SEARCH_LIMIT: usize = 20;
/// Most hits per page.
pub const MAX_SEARCH_LIMIT: usize = 50;
/// Longest free text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// The query string, as sent.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Free text.
    pub q: Option<String>,
    /// Comma-separated interests (ids, labels or synonyms).
    pub interests: Option<String>,
    /// Comma-separated goals.
    pub goals: Option<String>,
    /// ONS authority code.
    pub authority: Option<String>,
    /// Page size.
    pub limit: Option<crate::errors::PageLimit>,
    /// Opaque cursor from the previous page (bound to this caller and query).
    pub cursor: Option<String>,
}

/// One page of cards.
#[derive(Debug, serde::Serialize)]
pub struct SearchResults {
    /// Cards, best first.
    pub items: Vec<Card>,
    /// Cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

/// Free text of a search query: trimmed, `None` when empty, refused when
/// too long or unclean.
pub(crate) fn check_query_text(q: Option<&str>) -> Result<Option<&str>, ApiError> {
    let text = q.map(str::trim).filter(|text| !text.is_empty());
    if let Some(text) = text
        && (text.chars().count() > MAX_QUERY_CHARS || !friends_domain::text::is_clean(text))
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "q",
            FieldCode::InvalidText,
            format!(
                "At most {MAX_QUERY_CHARS} characters, without control, invisible or direction-changing characters."
            ),
        )]));
    }
    Ok(text)
}

/// A comma-separated list of vocabulary terms, resolved to ids.
pub(crate) fn terms(
    reference: &Reference,
    kind: VocabularyKind,
    field: &str,
    list: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let Some(list) = list else { return Ok(Vec::new()) };
    let inputs: Vec<String> =
        list.split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect();
    let mut errors = Vec::new();
    let ids = reference.taxonomy.vocabulary(kind).resolve_all(field, &inputs, 10, &mut errors);
    if errors.is_empty() { Ok(ids) } else { Err(ApiError::Validation(errors)) }
}

/// The search service.
#[derive(Debug, Clone)]
pub struct Search<'a> {
    /// This node's indexes.
    pub indexes: &'a Indexes,
    /// Signs search cursors.
    pub cursor_key: &'a CursorKey,
    /// Areas and vocabularies.
    pub reference: &'a Reference,
    /// The time of this request.
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Search<'_> {
    /// Runs a search for `caller`.
    pub fn search(&self, caller: &Caller, params: &SearchParams) -> Result<SearchResults, ApiError> {
        let text = check_query_text(params.q.as_deref())?;
        let interests = terms(self.reference, VocabularyKind::Interests, "interests", params.interests.as_deref())?;
        let goals = terms(self.reference, VocabularyKind::Goals, "goals", params.goals.as_deref())?;
        let authority = match params.authority.as_deref() {
            None => None,
            Some(code) if self.reference.areas.authority_name(code).is_some() => Some(code.to_owned()),
            Some(_) => {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "authority",
                    FieldCode::UnknownAuthority,
                    "Not an ONS local authority code, like E09000027.",
                )]));
            }
        };
        let limit = page_limit(params.limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)?;
        // A cursor is good for the caller and the query it came from only.
        let binding = serde_json::to_vec(&(
            caller.subject,
            format!("{:?}", caller.role),
            text,
            &interests,
            &goals,
            authority.as_deref(),
        ))
        .unwrap_or_default();
        let after = match params.cursor.as_deref() {
            None => None,
            Some(text) => Some(self.cursor_key.open(&binding, text).ok_or(ApiError::InvalidCursor)?),
        };
        // Scope from the caller, never from the query: a member sees only
        // people within their own travel limit, and never themselves.
        let (viewer, outcodes): (Option<Uuid>, Option<Vec<String>>) = match policy::search_scope(caller.actor()) {
            SearchScope::AroundMember(member) => {
                let area = self.indexes.read(|population| population.travel_area(member))?;
                let Some(area) = area else {
                    return Err(refused(Refusal::Forbidden(Forbidden::ProfileRequired), Rule::Search));
                };
                (Some(member), Some(area))
            }
            SearchScope::Everyone => (None, None),
        };
        let request = SearchRequest {
            text: text.map(str::to_owned),
            interests,
            goals,
            authority,
            outcodes,
            excluded: std::iter::once(caller.subject)
                .chain(self.indexes.excluded_for(caller.subject, self.now)?)
                .collect(),
            limit,
            after,
        };
        let page = self.indexes.search().search(&request).map_err(|error| {
            tracing::error!(error = %error, "search failed");
            ApiError::Internal
        })?;
        let items = self.indexes.read(|population| {
            page.hits.iter().filter_map(|hit| population.search_card(viewer, hit.id, f64::from(hit.score))).collect()
        })?;
        Ok(SearchResults { items, next_cursor: page.next.map(|cursor| self.cursor_key.seal(&binding, &cursor)) })
    }
}
