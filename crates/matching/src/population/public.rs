//! The public card of a listed person (the council embed, DESIGN §7) and
//! the facet counts over such cards, read in place from the matcher.

use friends_domain::bands::AgeBand;
use uuid::Uuid;

use super::Population;
use crate::codebook::{Codebook, Terms};
use crate::profile::Core;

/// A listed person's public card (the council embed), borrowed from the
/// matcher: what DESIGN §7 allows and nothing else. A public search reads
/// every listed match of an authority (a thousand in a large one), so the
/// terms are read in place and copied only for the page shown.
#[derive(Debug, Clone, Copy)]
pub struct PublicProfile<'a> {
    /// Their age band.
    pub age_band: AgeBand,
    core: &'a Core,
    interests: &'a [u16],
    codebook: &'a Codebook,
}

impl<'a> PublicProfile<'a> {
    /// Their interest ids.
    pub fn interests(&self) -> impl Iterator<Item = &'a str> + 'a {
        let codebook = self.codebook;
        self.interests.iter().map(move |&interest| codebook.interests.id(interest))
    }

    /// Their goal ids.
    pub fn goals(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.codebook.goals.ids_in(self.core.goals)
    }

    /// When they are free (slot ids).
    pub fn availability(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.codebook.availability.ids_in(self.core.availability)
    }
}

/// Counts of interests and goals over public cards: the facets of a public
/// search, counted by term index rather than by text.
#[derive(Debug, Clone)]
pub struct PublicFacets<'a> {
    codebook: &'a Codebook,
    interests: Vec<usize>,
    goals: Vec<usize>,
}

impl<'a> PublicFacets<'a> {
    /// Counts `card`'s interests and goals.
    pub fn add(&mut self, card: &PublicProfile<'_>) {
        for &interest in card.interests {
            if let Some(count) = self.interests.get_mut(usize::from(interest)) {
                *count += 1;
            }
        }
        let mut goals = card.core.goals;
        while goals != 0 {
            if let Some(count) = self.goals.get_mut(goals.trailing_zeros() as usize) {
                *count += 1;
            }
            goals &= goals - 1;
        }
    }

    /// Each interest id met, with its count, in vocabulary order.
    pub fn interests(&self) -> impl Iterator<Item = (&'a str, usize)> + '_ {
        met(&self.interests, &self.codebook.interests)
    }

    /// Each goal id met, with its count, in vocabulary order.
    pub fn goals(&self) -> impl Iterator<Item = (&'a str, usize)> + '_ {
        met(&self.goals, &self.codebook.goals)
    }
}

/// The terms of `vocabulary` with a count above zero.
fn met<'c, 'v: 'c>(counts: &'c [usize], vocabulary: &'v Terms) -> impl Iterator<Item = (&'v str, usize)> + 'c {
    counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(move |(index, count)| (vocabulary.id(index as u16), *count))
}

impl Population {
    /// The public card of a listed person (the council embed). `None`
    /// unless they are findable and chose a public listing.
    pub fn public_profile(&self, id: Uuid) -> Option<PublicProfile<'_>> {
        // Only findable people with a listing are in `listed`.
        let packed = self.listed.get(&id)?;
        let interests = self.interests_of(packed)?;
        Some(PublicProfile {
            age_band: AgeBand::of(packed.core.birth_year, self.current_year),
            core: &packed.core,
            interests,
            codebook: &self.codebook,
        })
    }

    /// Empty facet counts, to [`PublicFacets::add`] public cards to.
    pub fn public_facets(&self) -> PublicFacets<'_> {
        PublicFacets {
            codebook: &self.codebook,
            interests: vec![0; self.codebook.interests.len()],
            goals: vec![0; self.codebook.goals.len().min(32)],
        }
    }
}
