//! What a person sees of someone suggested to them or found by a search
//! (DESIGN §7): a distance band, never a distance; support needs only when
//! that person shares them; reasons from the viewer's side.

use friends_domain::bands::{AgeBand, DistanceBand};
use serde::Serialize;
use uuid::Uuid;

use super::{Population, Suggestion};
use crate::profile::MatchProfile;
use crate::reasons::reasons;

/// What a person sees of someone suggested to them (DESIGN §7).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// The candidate's id.
    pub person_id: Uuid,
    /// Their display name.
    pub display_name: String,
    /// Their age band.
    pub age_band: AgeBand,
    /// Their authority's name.
    pub area_name: String,
    /// How far apart, as a band only (absent when the viewer has no
    /// profile to measure from, e.g. a broker searching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_band: Option<DistanceBand>,
    /// Their interest ids.
    pub interests: Vec<String>,
    /// Their goal ids.
    pub goals: Vec<String>,
    /// The pair's score, rounded to three places.
    pub score: f64,
    /// Why, in plain words.
    pub reasons: Vec<String>,
    /// Their support needs, only if they share them with matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_needs: Option<Vec<String>>,
}

impl Population {
    /// The card of a suggestion, for the seeker.
    pub fn card(&self, seeker: Uuid, suggestion: &Suggestion) -> Option<Card> {
        let (seeker, other) = (self.profile(seeker)?, self.profile(suggestion.id)?);
        Some(self.card_of(other, Some((seeker, suggestion.distance_km)), suggestion.score))
    }

    /// A card of `other`, measured from a viewer's profile when there is
    /// one (distance band and reasons), plain otherwise.
    fn card_of(&self, other: &MatchProfile, viewer: Option<(&MatchProfile, f32)>, score: f64) -> Card {
        let codebook = &self.codebook;
        Card {
            person_id: other.id,
            display_name: other.display_name.to_string(),
            age_band: AgeBand::of(other.core.birth_year, self.current_year),
            area_name: self.districts.authority_name(other.core.district).to_owned(),
            distance_band: viewer.map(|(_, km)| DistanceBand::of(f64::from(km))),
            interests: other.interests.iter().map(|&interest| codebook.interests.id(interest).to_owned()).collect(),
            goals: codebook.goals.ids_of(other.core.goals),
            score: shown_score(score),
            reasons: viewer.map_or_else(Vec::new, |(viewer, km)| {
                reasons(codebook, &self.idf, viewer, other, km, other.core.share_needs)
            }),
            support_needs: other.core.share_needs.then(|| codebook.support_needs.ids_of(other.core.support_needs)),
        }
    }

    /// The card of a search hit: measured from `viewer`'s profile when there
    /// is one (distance band, reasons), plain otherwise. `None` when the
    /// person is not findable here.
    pub fn search_card(&self, viewer: Option<Uuid>, id: Uuid, score: f64) -> Option<Card> {
        let other = self.profile(id)?;
        if !other.core.visible {
            return None;
        }
        let viewer = viewer
            .and_then(|viewer| self.profile(viewer))
            .map(|viewer| (viewer, self.districts.distance_km(viewer.core.district, other.core.district)));
        Some(self.card_of(other, viewer, score))
    }
}

/// A score as cards show it: rounded to three places.
pub(crate) fn shown_score(score: f64) -> f64 {
    (score * 1000.0).round() / 1000.0
}
