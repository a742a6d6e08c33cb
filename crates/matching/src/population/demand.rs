//! Who is looking in an area, for the brokers' insights (DESIGN §5
//! "Outcomes for brokers"): every findable person in some districts, with
//! their goals and interests, read from the districts' packed lists.
//! Counting and suppression are the caller's.

use uuid::Uuid;

use super::Population;

/// One findable person in the area asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Looking {
    /// Their id (for the caller's own suggestion check; never published).
    pub id: Uuid,
    /// Their district.
    pub outcode: String,
    /// Their goal ids.
    pub goals: Vec<String>,
    /// Their interest ids.
    pub interests: Vec<String>,
}

impl Population {
    /// Every findable person whose district is one of `outcodes`.
    pub fn looking_in<'a>(&self, outcodes: impl IntoIterator<Item = &'a str>) -> Vec<Looking> {
        let mut found = Vec::new();
        for outcode in outcodes {
            let Some(district) = self.districts.index(outcode) else { continue };
            for packed in &self.by_district[usize::from(district)] {
                let Some(profile) = self.slots[packed.slot as usize].as_ref() else { continue };
                found.push(Looking {
                    id: profile.id,
                    outcode: outcode.to_owned(),
                    goals: self.codebook.goals.ids_of(profile.core.goals),
                    interests: profile
                        .interests
                        .iter()
                        .map(|&index| self.codebook.interests.id(index).to_owned())
                        .collect(),
                });
            }
        }
        found
    }
}
