//! Vocabulary ids as small integers and bit positions.

use std::collections::HashMap;

use friends_domain::taxonomy::{Taxonomy, VocabularyKind};

/// One vocabulary's ids, indexed.
#[derive(Debug, Clone)]
pub struct Terms {
    ids: Vec<String>,
    labels: Vec<String>,
    index: HashMap<String, u16>,
}

impl Terms {
    fn new(taxonomy: &Taxonomy, kind: VocabularyKind) -> Self {
        let terms = taxonomy.vocabulary(kind).terms();
        let ids: Vec<String> = terms.iter().map(|term| term.id.clone()).collect();
        let labels = terms.iter().map(|term| term.label.clone()).collect();
        let index = ids.iter().enumerate().map(|(position, id)| (id.clone(), position as u16)).collect();
        Self { ids, labels, index }
    }

    /// The index of an id.
    pub fn index(&self, id: &str) -> Option<u16> {
        self.index.get(id).copied()
    }

    /// The id at an index.
    pub fn id(&self, index: u16) -> &str {
        &self.ids[usize::from(index)]
    }

    /// The label at an index.
    pub fn label(&self, index: u16) -> &str {
        &self.labels[usize::from(index)]
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// A bit set of the given ids (unknown ids are ignored: records are
    /// validated before they get here).
    pub fn bits(&self, ids: &[String]) -> u32 {
        ids.iter()
            .filter_map(|id| self.index(id))
            .filter(|&index| index < 32)
            .fold(0, |bits, index| bits | (1 << index))
    }

    /// The ids in a bit set, in vocabulary order.
    pub fn ids_of(&self, bits: u32) -> Vec<String> {
        self.ids_in(bits).map(str::to_owned).collect()
    }

    /// The ids of the bits set in `bits`, in index order, borrowed.
    pub fn ids_in(&self, bits: u32) -> impl Iterator<Item = &str> + '_ {
        (0..self.len().min(32) as u16).filter(move |&index| bits & (1 << index) != 0).map(|index| self.id(index))
    }
}

/// Every vocabulary the matcher uses.
#[derive(Debug, Clone)]
pub struct Codebook {
    /// Interests (indexes, not bits: there are hundreds).
    pub interests: Terms,
    /// Goals (bits).
    pub goals: Terms,
    /// Availability slots (bits).
    pub availability: Terms,
    /// Communication methods (bits).
    pub communication: Terms,
    /// Support needs (bits).
    pub support_needs: Terms,
    /// Access needs (bits).
    pub access_needs: Terms,
    /// Genders (bits).
    pub genders: Terms,
}

impl Codebook {
    /// Indexes the taxonomy.
    pub fn new(taxonomy: &Taxonomy) -> Self {
        Self {
            interests: Terms::new(taxonomy, VocabularyKind::Interests),
            goals: Terms::new(taxonomy, VocabularyKind::Goals),
            availability: Terms::new(taxonomy, VocabularyKind::Availability),
            communication: Terms::new(taxonomy, VocabularyKind::Communication),
            support_needs: Terms::new(taxonomy, VocabularyKind::SupportNeeds),
            access_needs: Terms::new(taxonomy, VocabularyKind::AccessNeeds),
            genders: Terms::new(taxonomy, VocabularyKind::Genders),
        }
    }
}
