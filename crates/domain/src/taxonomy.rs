//! The controlled vocabularies of `data/taxonomy.json`.
//!
//! Inputs may name a term by id, label or synonym, in any case; the term is
//! always stored and returned by id. An unknown input is reported with the
//! nearest ids, ranked by edit distance over ids, labels and synonyms.

use std::collections::HashMap;

use serde::Deserialize;

use crate::{FieldCode, FieldError};

/// The vocabularies a person's fields draw on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VocabularyKind {
    /// Things people like doing (`sport_fitness.football`).
    Interests,
    /// Health data: shown only to the person, their supporters and brokers.
    SupportNeeds,
    /// Ways of communicating (`easy_read`, `bsl`).
    Communication,
    /// Venue and support needs (`step_free`).
    AccessNeeds,
    /// What people want to pool for (`share_pa`).
    Goals,
    /// Weekly time slots (`sat_afternoon`).
    Availability,
    /// How a person travels.
    Travel,
    /// Gender, self-described from a short list.
    Genders,
}

impl VocabularyKind {
    /// Every vocabulary.
    pub const ALL: [VocabularyKind; 8] = [
        Self::Interests,
        Self::SupportNeeds,
        Self::Communication,
        Self::AccessNeeds,
        Self::Goals,
        Self::Availability,
        Self::Travel,
        Self::Genders,
    ];

    /// The key of this vocabulary in `taxonomy.json`.
    pub fn json_key(self) -> &'static str {
        match self {
            Self::Interests => "interests",
            Self::SupportNeeds => "support_needs",
            Self::Communication => "communication",
            Self::AccessNeeds => "access_needs",
            Self::Goals => "goals",
            Self::Availability => "availability",
            Self::Travel => "travel",
            Self::Genders => "genders",
        }
    }
}

/// One term of a vocabulary.
#[derive(Debug, Clone, Deserialize)]
pub struct Term {
    /// Stable id, stored and returned.
    pub id: String,
    /// Plain-words label.
    pub label: String,
    /// Other words people use for it.
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// Interest category id (interests only).
    #[serde(default)]
    pub category: Option<String>,
}

/// One vocabulary with a case-insensitive lookup over ids, labels, synonyms.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    kind: VocabularyKind,
    terms: Vec<Term>,
    by_name: HashMap<String, usize>,
}

impl Vocabulary {
    fn new(kind: VocabularyKind, terms: Vec<Term>) -> Result<Self, TaxonomyError> {
        let mut by_name = HashMap::new();
        for (index, term) in terms.iter().enumerate() {
            let names = std::iter::once(&term.id).chain(std::iter::once(&term.label)).chain(term.synonyms.iter());
            for name in names {
                let key = normalise(name);
                if let Some(previous) = by_name.insert(key.clone(), index)
                    && previous != index
                {
                    return Err(TaxonomyError::Ambiguous { vocabulary: kind.json_key(), name: key });
                }
            }
        }
        Ok(Self { kind, terms, by_name })
    }

    /// Which vocabulary this is.
    pub fn kind(&self) -> VocabularyKind {
        self.kind
    }

    /// All terms, in file order.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The term with this exact id.
    pub fn by_id(&self, id: &str) -> Option<&Term> {
        self.by_name.get(id).map(|&index| &self.terms[index]).filter(|term| term.id == id)
    }

    /// Resolves an id, label or synonym (any case) to the term's id.
    ///
    /// On failure the error names the input's position (`field`) and up to
    /// three nearest ids. The input itself is a vocabulary word, not personal
    /// text, so it may be named back to the caller.
    pub fn resolve(&self, field: &str, input: &str) -> Result<&str, FieldError> {
        let key = normalise(input);
        if let Some(&index) = self.by_name.get(&key) {
            return Ok(&self.terms[index].id);
        }
        let nearest = self.nearest_ids(&key, 3);
        let shown: String = input.chars().take(60).filter(|c| !c.is_control()).collect();
        Err(FieldError::new(
            field,
            FieldCode::UnknownTerm,
            format!("'{shown}' is not a known {} term. Nearest: {}.", self.kind.json_key(), nearest.join(", ")),
        ))
    }

    /// The `limit` ids whose names are closest to `key`.
    pub fn nearest_ids(&self, key: &str, limit: usize) -> Vec<String> {
        let mut best: Vec<(f64, usize)> =
            self.by_name.iter().map(|(name, &index)| (strsim::jaro_winkler(key, name), index)).collect();
        best.sort_by(|left, right| right.0.total_cmp(&left.0).then(left.1.cmp(&right.1)));
        let mut ids: Vec<String> = Vec::with_capacity(limit);
        for (_, index) in best {
            let id = &self.terms[index].id;
            if !ids.contains(id) {
                ids.push(id.clone());
            }
            if ids.len() == limit {
                break;
            }
        }
        ids
    }

    /// Resolves a list, dropping duplicates, refusing more than `max_items`.
    pub fn resolve_all(
        &self,
        field: &str,
        inputs: &[String],
        max_items: usize,
        errors: &mut Vec<FieldError>,
    ) -> Vec<String> {
        if inputs.len() > max_items {
            errors.push(FieldError::new(field, FieldCode::TooMany, format!("At most {max_items} items.")));
            return Vec::new();
        }
        let mut ids: Vec<String> = Vec::with_capacity(inputs.len());
        for (position, input) in inputs.iter().enumerate() {
            match self.resolve(&format!("{field}[{position}]"), input) {
                Ok(id) if !ids.iter().any(|known| known == id) => ids.push(id.to_owned()),
                Ok(_) => {}
                Err(error) => errors.push(error),
            }
        }
        ids
    }
}

fn normalise(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Errors in the vocabulary file itself (a bug in the shipped data).
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    /// The file is not the expected JSON.
    #[error("taxonomy.json is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A vocabulary is missing.
    #[error("taxonomy.json lacks the `{0}` vocabulary")]
    Missing(&'static str),
    /// Two terms share a name.
    #[error("taxonomy.json: `{name}` names two terms in `{vocabulary}`")]
    Ambiguous {
        /// The vocabulary.
        vocabulary: &'static str,
        /// The shared name.
        name: String,
    },
}

/// All vocabularies, plus the file as shipped (served by `GET /v1/taxonomy`).
#[derive(Debug, Clone)]
pub struct Taxonomy {
    vocabularies: HashMap<VocabularyKind, Vocabulary>,
    document: serde_json::Value,
}

impl Taxonomy {
    /// Parses `taxonomy.json`.
    pub fn from_json(text: &str) -> Result<Self, TaxonomyError> {
        let document: serde_json::Value = serde_json::from_str(text)?;
        let mut vocabularies = HashMap::new();
        for kind in VocabularyKind::ALL {
            let raw = document.get(kind.json_key()).ok_or(TaxonomyError::Missing(kind.json_key()))?;
            let terms: Vec<Term> = serde_json::from_value(raw.clone())?;
            vocabularies.insert(kind, Vocabulary::new(kind, terms)?);
        }
        Ok(Self { vocabularies, document })
    }

    /// One vocabulary.
    pub fn vocabulary(&self, kind: VocabularyKind) -> &Vocabulary {
        // Every kind is inserted by `from_json`; a missing one is a bug there.
        &self.vocabularies[&kind]
    }

    /// The whole file, as shipped.
    pub fn document(&self) -> &serde_json::Value {
        &self.document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        let text = include_str!("../../../data/taxonomy.json");
        match Taxonomy::from_json(text) {
            Ok(taxonomy) => taxonomy,
            Err(error) => panic!("shipped taxonomy must parse: {error}"),
        }
    }

    #[test]
    fn ids_labels_and_synonyms_resolve_case_insensitively_to_ids() {
        let interests = taxonomy();
        let interests = interests.vocabulary(VocabularyKind::Interests);
        for input in ["sport_fitness.football", "Football", "SOCCER", " soccer "] {
            assert_eq!(interests.resolve("i", input), Ok("sport_fitness.football"), "{input}");
        }
    }

    #[test]
    fn unknown_terms_name_the_nearest_ids() {
        let taxonomy = taxonomy();
        let error = taxonomy.vocabulary(VocabularyKind::Interests).resolve("interests[0]", "footbal").err();
        let error = error.as_ref().map(|e| (e.code, e.field.as_str(), e.message.contains("sport_fitness.football")));
        assert_eq!(error, Some((FieldCode::UnknownTerm, "interests[0]", true)));
    }

    #[test]
    fn lists_are_deduplicated_by_id() {
        let taxonomy = taxonomy();
        let mut errors = Vec::new();
        let ids = taxonomy.vocabulary(VocabularyKind::Interests).resolve_all(
            "interests",
            &["football".into(), "soccer".into(), "cooking".into()],
            10,
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(ids.len(), 2);
    }
}
