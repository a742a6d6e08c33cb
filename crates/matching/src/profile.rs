//! The compact per-person record the matcher works on.

use friends_domain::person::{PersonRecord, ProfileStatus};
use uuid::Uuid;

use crate::codebook::Codebook;
use crate::districts::DistrictTable;

/// What matching needs of one person: ids as bits and small integers, the
/// district as an index. Display fields for cards are kept beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchProfile {
    /// Person id.
    pub id: Uuid,
    /// District index.
    pub district: u16,
    /// Travel limit in km.
    pub travel_km: f32,
    /// Year of birth.
    pub birth_year: i32,
    /// Gender bit (0 when not given).
    pub gender: u32,
    /// Youngest age wanted (0: any).
    pub age_min: u8,
    /// Oldest age wanted (255: any).
    pub age_max: u8,
    /// Genders wanted (0: anyone).
    pub genders_wanted: u32,
    /// Communication methods.
    pub communication: u32,
    /// Interest indexes, sorted.
    pub interests: Box<[u16]>,
    /// Goals.
    pub goals: u32,
    /// Availability slots.
    pub availability: u32,
    /// Weekly contribution range in pounds.
    pub contribution: Option<(u32, u32)>,
    /// Support needs.
    pub support_needs: u32,
    /// Access needs.
    pub access_needs: u32,
    /// Wants shared support needs to count.
    pub similar_needs: bool,
    /// Lets matches see their support needs.
    pub share_needs: bool,
    /// Active and discoverable.
    pub visible: bool,
    /// Shown on cards.
    pub display_name: Box<str>,
}

impl MatchProfile {
    /// The compact form of a validated record; `None` if its district is
    /// unknown to the table (it cannot be: records are validated against the
    /// same data).
    pub fn from_record(
        id: Uuid,
        record: &PersonRecord,
        codebook: &Codebook,
        districts: &DistrictTable,
    ) -> Option<Self> {
        let district = districts.index(&record.outcode)?;
        let mut interests: Vec<u16> = record.interests.iter().filter_map(|id| codebook.interests.index(id)).collect();
        interests.sort_unstable();
        interests.dedup();
        let gender = record.gender.as_ref().map_or(0, |gender| codebook.genders.bits(std::slice::from_ref(gender)));
        Some(Self {
            id,
            district,
            travel_km: f32::from(record.travel_km),
            birth_year: record.birth_year,
            gender,
            age_min: record.preferences.age_min.unwrap_or(0),
            age_max: record.preferences.age_max.unwrap_or(u8::MAX),
            genders_wanted: codebook.genders.bits(&record.preferences.genders),
            communication: codebook.communication.bits(&record.communication),
            interests: interests.into_boxed_slice(),
            goals: codebook.goals.bits(&record.goals),
            availability: codebook.availability.bits(&record.availability),
            contribution: record.contribution_gbp_week.map(|range| (range.min, range.max)),
            support_needs: codebook.support_needs.bits(&record.support_needs),
            access_needs: codebook.access_needs.bits(&record.access_needs),
            similar_needs: record.preferences.similar_needs,
            share_needs: record.share_needs_with_matches,
            visible: record.status == ProfileStatus::Active && record.discoverable,
            display_name: record.display_name.clone().into_boxed_str(),
        })
    }

    /// Age this year (reckoned by year of birth).
    pub fn age(&self, current_year: i32) -> i32 {
        current_year - self.birth_year
    }
}
