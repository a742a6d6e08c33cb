//! The compact per-person records the matcher works on.

use friends_domain::person::{PersonRecord, ProfileStatus};
use uuid::Uuid;

use crate::codebook::Codebook;
use crate::districts::DistrictTable;

/// Everything the hard filters and the score read of a person, except their
/// interests: small, `Copy`, and stored inline in the district scans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Core {
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
    /// Goals.
    pub goals: u32,
    /// Availability slots.
    pub availability: u32,
    /// Weekly contribution range in pounds.
    pub contribution: Option<(u32, u32)>,
    /// Largest group they want to be in (255: no limit given).
    pub group_size_max: u8,
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
    /// Bit `i % 64` set for every interest index `i`: a bound on how many
    /// interests two people share, read without their lists (see
    /// `InterestCap` in the population).
    pub interest_signature: u64,
}

/// The interest signature of a sorted interest list (see
/// [`Core::interest_signature`]).
pub(crate) fn interest_signature(interests: &[u16]) -> u64 {
    interests.iter().fold(0, |bits, &interest| bits | 1u64 << (interest % 64))
}

impl Core {
    /// Age this year (reckoned by year of birth).
    pub fn age(&self, current_year: i32) -> i32 {
        current_year - self.birth_year
    }
}

/// One person as the matcher holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchProfile {
    /// Person id.
    pub id: Uuid,
    /// Filter and score fields.
    pub core: Core,
    /// Interest indexes, sorted.
    pub interests: Box<[u16]>,
    /// Shown on cards.
    pub display_name: Box<str>,
    /// They chose a public listing (the council embed).
    pub public_listing: bool,
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
            core: Core {
                district,
                travel_km: f32::from(record.travel_km),
                birth_year: record.birth_year,
                gender,
                age_min: record.preferences.age_min.unwrap_or(0),
                age_max: record.preferences.age_max.unwrap_or(u8::MAX),
                genders_wanted: codebook.genders.bits(&record.preferences.genders),
                communication: codebook.communication.bits(&record.communication),
                goals: codebook.goals.bits(&record.goals),
                availability: codebook.availability.bits(&record.availability),
                contribution: record.contribution_gbp_week.map(|range| (range.min, range.max)),
                group_size_max: record.preferences.group_size_max.unwrap_or(u8::MAX),
                support_needs: codebook.support_needs.bits(&record.support_needs),
                access_needs: codebook.access_needs.bits(&record.access_needs),
                similar_needs: record.preferences.similar_needs,
                share_needs: record.share_needs_with_matches,
                visible: record.status == ProfileStatus::Active && record.discoverable,
                interest_signature: interest_signature(&interests),
            },
            interests: interests.into_boxed_slice(),
            display_name: record.display_name.clone().into_boxed_str(),
            public_listing: record.public_listing,
        })
    }
}

/// Interests kept inline in a district scan entry; people with more are
/// read from their full profile instead.
pub(crate) const INLINE_INTERESTS: usize = 14;

/// One entry of a district's scan list: the core and the interests inline,
/// so that scanning a district reads memory in order, and the slot of the
/// full profile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packed {
    pub core: Core,
    pub slot: u32,
    interest_count: u8,
    interests: [u16; INLINE_INTERESTS],
}

impl Packed {
    pub fn new(profile: &MatchProfile, slot: u32) -> Self {
        let mut interests = [0u16; INLINE_INTERESTS];
        let inline = profile.interests.len() <= INLINE_INTERESTS;
        if inline {
            interests[..profile.interests.len()].copy_from_slice(&profile.interests);
        }
        Self {
            core: profile.core,
            slot,
            interest_count: if inline { profile.interests.len() as u8 } else { u8::MAX },
            interests,
        }
    }

    /// The interests, when they fit inline.
    pub fn interests(&self) -> Option<&[u16]> {
        let count = usize::from(self.interest_count);
        (count <= INLINE_INTERESTS).then(|| &self.interests[..count])
    }
}
