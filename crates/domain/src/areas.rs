//! Postcode districts and local authorities, from the vendored open data.
//!
//! A person's location is a postcode district (outcode) and its centroid.
//! Full postcodes are accepted as input and reduced to their district here,
//! at the edge; nothing past [`Areas::resolve`] ever sees the inward code.

use crate::FieldCode;
use std::collections::HashMap;

use geo::{Distance, Haversine, Point};
use serde::Deserialize;

/// A postcode district with its centroid and local authority.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Outward code, upper case (`TW9`).
    pub outcode: String,
    /// Centroid latitude (WGS84).
    pub latitude: f64,
    /// Centroid longitude (WGS84).
    pub longitude: f64,
    /// ONS code of the authority most of the district lies in.
    pub authority_code: String,
    /// Name of that authority.
    pub authority_name: String,
    /// Every authority the district touches (its `lad_breakdown`).
    pub touches_authorities: Vec<String>,
    /// Number of postcode units: a proxy for population.
    pub postcode_count: u32,
}

impl District {
    /// Great-circle distance between two districts' centroids, in km.
    pub fn distance_km(&self, other: &District) -> f64 {
        let here = Point::new(self.longitude, self.latitude);
        let there = Point::new(other.longitude, other.latitude);
        Haversine.distance(here, there) / 1000.0
    }
}

#[derive(Deserialize)]
struct OutcodeRow {
    outcode: String,
    latitude: f64,
    longitude: f64,
    lad_code: String,
    lad_name: String,
    postcode_count: u32,
    lad_breakdown: String,
}

#[derive(Deserialize)]
struct AuthorityRow {
    lad25cd: String,
    name: String,
}

/// Errors in the shipped area files.
#[derive(Debug, thiserror::Error)]
pub enum AreasError {
    /// A row could not be read.
    #[error("area data is malformed: {0}")]
    Malformed(#[from] csv::Error),
    /// The file had no rows.
    #[error("area data is empty")]
    Empty,
}

/// Why an outcode input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcodeError {
    /// Not shaped like a UK postcode or district.
    Malformed,
    /// Well formed, but no such district in Great Britain. Carries the
    /// district (never the full postcode) and close matches.
    Unknown {
        /// The district part of the input.
        district: String,
        /// Up to five known districts that look alike.
        nearest: Vec<String>,
    },
}

impl OutcodeError {
    /// The field error reported for `field`: names the district and close
    /// matches, never the inward code of a full postcode.
    pub fn into_field_error(self, field: &str) -> crate::FieldError {
        match self {
            Self::Malformed => crate::FieldError::new(
                field,
                FieldCode::InvalidOutcode,
                "Must be a postcode district like TW9, or a full postcode.",
            ),
            Self::Unknown { district, nearest } => crate::FieldError::new(
                field,
                FieldCode::UnknownOutcode,
                format!(
                    "{district} is not a postcode district in Great Britain. Close matches: {}.",
                    nearest.join(", ")
                ),
            ),
        }
    }
}

/// Every district and authority, loaded once at start.
#[derive(Debug, Clone)]
pub struct Areas {
    districts: HashMap<String, District>,
    authority_names: HashMap<String, String>,
}

impl Areas {
    /// Parses `uk_outcodes_gb.csv` and `lad_uk_codes_names.csv`.
    pub fn from_csv(outcodes_csv: &str, authorities_csv: &str) -> Result<Self, AreasError> {
        let mut authority_names = HashMap::new();
        for row in csv::Reader::from_reader(authorities_csv.as_bytes()).deserialize() {
            let row: AuthorityRow = row?;
            authority_names.insert(row.lad25cd, row.name);
        }
        let mut districts = HashMap::new();
        for row in csv::Reader::from_reader(outcodes_csv.as_bytes()).deserialize() {
            let row: OutcodeRow = row?;
            let touches_authorities = row
                .lad_breakdown
                .split(';')
                .filter_map(|part| part.split_once(':').map(|(code, _)| code.to_owned()))
                .collect();
            authority_names.entry(row.lad_code.clone()).or_insert_with(|| row.lad_name.clone());
            districts.insert(
                row.outcode.clone(),
                District {
                    outcode: row.outcode,
                    latitude: row.latitude,
                    longitude: row.longitude,
                    authority_code: row.lad_code,
                    authority_name: row.lad_name,
                    touches_authorities,
                    postcode_count: row.postcode_count,
                },
            );
        }
        if districts.is_empty() {
            return Err(AreasError::Empty);
        }
        Ok(Self { districts, authority_names })
    }

    /// Number of districts.
    pub fn len(&self) -> usize {
        self.districts.len()
    }

    /// Whether there are no districts (never true for loaded data).
    pub fn is_empty(&self) -> bool {
        self.districts.is_empty()
    }

    /// Every district, in no particular order.
    pub fn districts(&self) -> impl Iterator<Item = &District> {
        self.districts.values()
    }

    /// The district with this exact outcode (already normalised).
    pub fn district(&self, outcode: &str) -> Option<&District> {
        self.districts.get(outcode)
    }

    /// The name of an ONS authority code.
    pub fn authority_name(&self, code: &str) -> Option<&str> {
        self.authority_names.get(code).map(String::as_str)
    }

    /// Resolves a district or a full postcode (any case, any spacing) to its
    /// district. The inward code of a full postcode is dropped here.
    pub fn resolve(&self, input: &str) -> Result<&District, OutcodeError> {
        let district = outward_code(input).ok_or(OutcodeError::Malformed)?;
        match self.districts.get(&district) {
            Some(found) => Ok(found),
            None => {
                let nearest = self.nearest(&district, 5);
                Err(OutcodeError::Unknown { district, nearest })
            }
        }
    }

    fn nearest(&self, district: &str, limit: usize) -> Vec<String> {
        let mut scored: Vec<(usize, bool, &str)> = self
            .districts
            .keys()
            .map(|known| {
                let same_area = area_letters(known) == area_letters(district);
                (strsim::levenshtein(district, known), !same_area, known.as_str())
            })
            .collect();
        scored.sort_unstable();
        scored.into_iter().take(limit).map(|(_, _, known)| known.to_owned()).collect()
    }
}

fn area_letters(district: &str) -> &str {
    let end = district.find(|c: char| c.is_ascii_digit()).unwrap_or(district.len());
    &district[..end]
}

/// The outward code of a district or full postcode, upper case, or `None`
/// when the input is not shaped like either.
pub fn outward_code(input: &str) -> Option<String> {
    // Postcodes are ASCII. Refusing anything else first also keeps the byte
    // slicing below on character boundaries (a multi-byte letter once made
    // it panic, and the panic message carried the input).
    let upper = input.trim().to_ascii_uppercase();
    if !upper.is_ascii() {
        return None;
    }
    let parts: Vec<&str> = upper.split_whitespace().collect();
    let outward = match parts.as_slice() {
        [single] if single.len() >= 5 && is_inward_code(&single[single.len() - 3..]) => &single[..single.len() - 3],
        [single] => single,
        [outward, inward] if is_inward_code(inward) => outward,
        _ => return None,
    };
    is_outward_code(outward).then(|| outward.to_owned())
}

fn is_inward_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 3 && bytes[0].is_ascii_digit() && bytes[1].is_ascii_uppercase() && bytes[2].is_ascii_uppercase()
}

fn is_outward_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) || bytes.len() < letters + 1 || bytes.len() > letters + 2 {
        return false;
    }
    let rest = &bytes[letters..];
    rest[0].is_ascii_digit() && rest[1..].iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn areas() -> Areas {
        let loaded = Areas::from_csv(
            include_str!("../../../data/uk_outcodes_gb.csv"),
            include_str!("../../../data/lad_uk_codes_names.csv"),
        );
        match loaded {
            Ok(areas) => areas,
            Err(error) => panic!("shipped area data must parse: {error}"),
        }
    }

    #[test]
    fn full_postcodes_are_reduced_to_their_district() {
        for input in ["TW9 1AB", "tw9 1ab", "TW91AB", "  tw9   1ab ", "TW9"] {
            assert_eq!(outward_code(input).as_deref(), Some("TW9"), "{input}");
        }
        assert_eq!(outward_code("SW1A 1AA").as_deref(), Some("SW1A"));
        assert_eq!(outward_code("sw1a1aa").as_deref(), Some("SW1A"));
        assert_eq!(outward_code("M1").as_deref(), Some("M1"));
    }

    #[test]
    fn malformed_inputs_have_no_district() {
        for input in ["", "12345", "TW9 1AB 2", "T", "TWW9", "TW9!", "TW9 ABC"] {
            assert_eq!(outward_code(input), None, "{input}");
        }
    }

    #[test]
    fn the_shipped_checks_hold() {
        let areas = areas();
        let check = |outcode: &str| areas.resolve(outcode).map(|d| d.authority_code.clone());
        assert_eq!(check("TW9"), Ok("E09000027".to_owned()));
        assert_eq!(check("M1"), Ok("E08000003".to_owned()));
        assert_eq!(check("EH1"), Ok("S12000036".to_owned()));
        assert_eq!(check("SW1A"), Ok("E09000033".to_owned()));
        assert_eq!(check("CF10"), Ok("W06000015".to_owned()));
        assert!(areas.len() > 2800);
    }

    #[test]
    fn unknown_districts_name_close_matches_but_never_the_inward_code() {
        let areas = areas();
        match areas.resolve("TW99 1AB") {
            Err(OutcodeError::Unknown { district, nearest }) => {
                assert_eq!(district, "TW99");
                assert!(nearest.iter().any(|n| n == "TW9"), "{nearest:?}");
            }
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    #[test]
    fn distances_between_neighbours_are_plausible() {
        let areas = areas();
        let (Some(richmond), Some(westminster)) = (areas.district("TW9"), areas.district("SW1A")) else {
            panic!("TW9 and SW1A are shipped");
        };
        let km = richmond.distance_km(westminster);
        assert!((11.0..14.0).contains(&km), "{km}");
    }

    proptest! {
        #[test]
        fn any_postcode_built_from_a_district_reduces_to_that_district(
            letters in "[A-Z]{1,2}", digit in 0u8..10, tail in proptest::option::of("[A-Z0-9]"),
            inward_digit in 0u8..10, inward in "[A-Z]{2}", spaced in any::<bool>(), lower in any::<bool>(),
        ) {
            let district = format!("{letters}{digit}{}", tail.unwrap_or_default());
            let postcode = format!("{district}{}{inward_digit}{inward}", if spaced { " " } else { "" });
            let postcode = if lower { postcode.to_lowercase() } else { postcode };
            prop_assert_eq!(outward_code(&postcode), Some(district));
        }

        /// No text panics the parser, and what it accepts is an outcode.
        #[test]
        fn arbitrary_unicode_never_panics(input in "\\PC{0,12}|[A-Za-z0-9 é\u{301}\u{1F600}]{0,10}") {
            if let Some(district) = outward_code(&input) {
                prop_assert!(is_outward_code(&district));
            }
        }
    }

    #[test]
    fn multi_byte_input_is_malformed_not_a_panic() {
        for input in ["ééé", "SW1Aé1B", "TW9 1Aé", "é1AB", "TW9 1A\u{301}B", "\u{1F600}\u{1F600}"] {
            assert_eq!(outward_code(input), None, "{input}");
        }
    }
}
