//! The vendored open data (`data/`), compiled into the binary so that a
//! fresh clone runs anywhere, and parsed once at start.

use friends_domain::areas::{Areas, AreasError};
use friends_domain::taxonomy::{Taxonomy, TaxonomyError};

/// Attribution required by the Open Government Licence for the area data.
pub const AREAS_ATTRIBUTION: &str = "Contains OS data © Crown copyright and database right 2025. \
Contains Royal Mail data © Royal Mail copyright and database right 2025. \
Contains National Statistics data © Crown copyright and database right 2025. \
Source: Office for National Statistics licensed under the Open Government Licence v.3.0.";

/// Attribution and licence of the vocabularies.
pub const TAXONOMY_ATTRIBUTION: &str = "Interests and other vocabularies written for Finding Friends (CC0). \
Support needs follow the NHS Digital SALT primary support reasons (Open Government Licence v3).";

const OUTCODES_CSV: &str = include_str!("../../../data/uk_outcodes_gb.csv");
const AUTHORITIES_CSV: &str = include_str!("../../../data/lad_uk_codes_names.csv");
const TAXONOMY_JSON: &str = include_str!("../../../data/taxonomy.json");

/// Areas and vocabularies.
#[derive(Debug)]
pub struct Reference {
    /// Postcode districts and authorities.
    pub areas: Areas,
    /// Vocabularies.
    pub taxonomy: Taxonomy,
}

/// The shipped data does not parse: a build defect.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// Area files.
    #[error(transparent)]
    Areas(#[from] AreasError),
    /// Taxonomy file.
    #[error(transparent)]
    Taxonomy(#[from] TaxonomyError),
}

impl Reference {
    /// Parses the shipped data.
    pub fn load() -> Result<Self, ReferenceError> {
        Ok(Self {
            areas: Areas::from_csv(OUTCODES_CSV, AUTHORITIES_CSV)?,
            taxonomy: Taxonomy::from_json(TAXONOMY_JSON)?,
        })
    }
}
