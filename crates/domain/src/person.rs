//! A person's profile: the request shape, its validation, and the record the
//! store keeps.
//!
//! [`PersonInput`] is exactly what a client may send (unknown fields are
//! refused, so `id`, `version` or `role` can never be mass-assigned).
//! [`PersonInput::validate`] turns it into a [`PersonRecord`]: vocabulary
//! words become ids, the postcode becomes its district, text is trimmed and
//! bounded. A PATCH is an RFC 7396 merge of the body into the record's own
//! request shape, validated again as a whole ([`merge_patch`]).

use serde::{Deserialize, Serialize};

use crate::areas::Areas;
use crate::taxonomy::{Taxonomy, VocabularyKind};
use crate::text::{About, DisplayName, Email, Phone, check_text};
use crate::{FieldCode, FieldError};

/// Youngest age the service is for.
pub const MIN_AGE: i32 = 16;
/// Oldest plausible age.
pub const MAX_AGE: i32 = 110;
/// Largest weekly contribution, in pounds.
pub const MAX_CONTRIBUTION_GBP: u32 = 2000;

/// Whether a profile takes part in matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileStatus {
    /// Visible to matching (if also discoverable).
    #[default]
    Active,
    /// Taking a break: never suggested or found.
    Paused,
}

impl ProfileStatus {
    /// The stored and returned word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    /// Parses the stored word.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
}

/// Weekly contribution range, in whole pounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribution {
    /// Least the person can put in.
    pub min: u32,
    /// Most the person can put in.
    pub max: u32,
}

/// What a person wants in the people they meet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Youngest age they want to meet.
    #[serde(default)]
    pub age_min: Option<u8>,
    /// Oldest age they want to meet.
    #[serde(default)]
    pub age_max: Option<u8>,
    /// Genders they want to meet (empty: anyone).
    #[serde(default)]
    pub genders: Vec<String>,
    /// Largest group they want to be part of.
    #[serde(default)]
    pub group_size_max: Option<u8>,
    /// Whether shared support needs should count in matching.
    #[serde(default)]
    pub similar_needs: bool,
}

/// Contact details: shown only to people they are introduced to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// How they like to be contacted ("Text me first").
    #[serde(default)]
    pub note: Option<String>,
}

/// The request body of `POST /v1/people`, and the merged shape of a PATCH.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Name shown to others.
    pub display_name: String,
    /// Free text about themselves.
    #[serde(default)]
    pub about: Option<String>,
    /// Year of birth (gives the age band).
    pub birth_year: i32,
    /// A `genders` term.
    #[serde(default)]
    pub gender: Option<String>,
    /// Postcode district or full postcode (reduced to the district).
    pub outcode: String,
    /// How far they will travel, 1 to 100 km.
    pub travel_km: u16,
    /// A `travel` term.
    #[serde(default)]
    pub travel: Option<String>,
    /// `interests` terms.
    #[serde(default)]
    pub interests: Vec<String>,
    /// `goals` terms.
    #[serde(default)]
    pub goals: Vec<String>,
    /// `support_needs` terms (health data).
    #[serde(default)]
    pub support_needs: Vec<String>,
    /// `communication` terms; at least one.
    #[serde(default)]
    pub communication: Vec<String>,
    /// `access_needs` terms.
    #[serde(default)]
    pub access_needs: Vec<String>,
    /// `availability` terms.
    #[serde(default)]
    pub availability: Vec<String>,
    /// Weekly contribution range.
    #[serde(default, deserialize_with = "crate::objects::optional_object")]
    pub contribution_gbp_week: Option<Contribution>,
    /// Matching preferences.
    #[serde(default, deserialize_with = "crate::objects::object")]
    pub preferences: Preferences,
    /// Contact details.
    #[serde(default, deserialize_with = "crate::objects::object")]
    pub contact: Contact,
    /// Whether matches may see their support needs.
    #[serde(default)]
    pub share_needs_with_matches: bool,
    /// Whether they appear in suggestions and search.
    #[serde(default = "default_true")]
    pub discoverable: bool,
    /// Whether they may appear, anonymised, on council sites.
    #[serde(default)]
    pub public_listing: bool,
    /// `active` or `paused`.
    #[serde(default)]
    pub status: ProfileStatus,
}

fn default_true() -> bool {
    true
}

/// What validation needs from the outside world.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The vocabularies.
    pub taxonomy: &'a Taxonomy,
    /// The districts.
    pub areas: &'a Areas,
    /// This year, for age bounds.
    pub current_year: i32,
}

/// A validated profile, as stored. Built only by [`PersonInput::validate`]
/// (or read back from the store, which only ever holds validated records).
///
/// Serialises to the request shape (ids for vocabulary terms), without the
/// derived `authority_code`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRecord {
    /// Name shown to others.
    pub display_name: String,
    /// Free text (may be empty).
    pub about: String,
    /// Year of birth.
    pub birth_year: i32,
    /// Gender id.
    pub gender: Option<String>,
    /// Postcode district, upper case. Never a full postcode.
    pub outcode: String,
    /// ONS code of the district's authority.
    #[serde(skip)]
    pub authority_code: String,
    /// Travel limit in km.
    pub travel_km: u16,
    /// Travel id.
    pub travel: Option<String>,
    /// Interest ids.
    pub interests: Vec<String>,
    /// Goal ids.
    pub goals: Vec<String>,
    /// Support need ids.
    pub support_needs: Vec<String>,
    /// Communication ids.
    pub communication: Vec<String>,
    /// Access need ids.
    pub access_needs: Vec<String>,
    /// Availability ids.
    pub availability: Vec<String>,
    /// Weekly contribution range.
    pub contribution_gbp_week: Option<Contribution>,
    /// Matching preferences, with gender ids.
    pub preferences: Preferences,
    /// Contact details.
    pub contact: Contact,
    /// Whether matches may see support needs.
    pub share_needs_with_matches: bool,
    /// Whether they appear in suggestions and search.
    pub discoverable: bool,
    /// Whether they may appear on council sites.
    pub public_listing: bool,
    /// Active or paused.
    pub status: ProfileStatus,
}

const MAX_INTERESTS: usize = 40;
const MAX_LIST: usize = 20;

impl PersonInput {
    /// Validates every field, collecting every problem rather than the first.
    pub fn validate(self, context: ValidationContext<'_>) -> Result<PersonRecord, Vec<FieldError>> {
        let mut errors = Vec::new();
        let taxonomy = context.taxonomy;

        let display_name = DisplayName::parse("display_name", &self.display_name)
            .map(|name| name.as_str().to_owned())
            .unwrap_or_else(|error| push(&mut errors, error));
        let about = About::parse("about", self.about.as_deref().unwrap_or(""))
            .map(|about| about.as_str().to_owned())
            .unwrap_or_else(|error| push(&mut errors, error));

        let oldest_year = context.current_year - MAX_AGE;
        let youngest_year = context.current_year - MIN_AGE;
        if !(oldest_year..=youngest_year).contains(&self.birth_year) {
            errors.push(FieldError::new(
                "birth_year",
                FieldCode::OutOfRange,
                format!("Must be between {oldest_year} and {youngest_year} (an age of {MIN_AGE} to {MAX_AGE})."),
            ));
        }

        let (outcode, authority_code) = match context.areas.resolve(&self.outcode) {
            Ok(district) => (district.outcode.clone(), district.authority_code.clone()),
            Err(error) => {
                errors.push(error.into_field_error("outcode"));
                Default::default()
            }
        };

        if !(1..=100).contains(&self.travel_km) {
            errors.push(FieldError::new("travel_km", FieldCode::OutOfRange, "Must be between 1 and 100."));
        }

        let single = |kind: VocabularyKind, field: &str, value: Option<&str>, errors: &mut Vec<FieldError>| {
            value.and_then(|input| match taxonomy.vocabulary(kind).resolve(field, input) {
                Ok(id) => Some(id.to_owned()),
                Err(error) => {
                    errors.push(error);
                    None
                }
            })
        };
        let gender = single(VocabularyKind::Genders, "gender", self.gender.as_deref(), &mut errors);
        let travel = single(VocabularyKind::Travel, "travel", self.travel.as_deref(), &mut errors);

        let list = |kind: VocabularyKind, field: &str, inputs: &[String], max: usize, errors: &mut Vec<FieldError>| {
            taxonomy.vocabulary(kind).resolve_all(field, inputs, max, errors)
        };
        let interests = list(VocabularyKind::Interests, "interests", &self.interests, MAX_INTERESTS, &mut errors);
        let goals = list(VocabularyKind::Goals, "goals", &self.goals, MAX_LIST, &mut errors);
        let support_needs =
            list(VocabularyKind::SupportNeeds, "support_needs", &self.support_needs, MAX_LIST, &mut errors);
        let communication =
            list(VocabularyKind::Communication, "communication", &self.communication, MAX_LIST, &mut errors);
        let access_needs = list(VocabularyKind::AccessNeeds, "access_needs", &self.access_needs, MAX_LIST, &mut errors);
        let availability = list(VocabularyKind::Availability, "availability", &self.availability, 21, &mut errors);
        if self.communication.is_empty() {
            errors.push(FieldError::new(
                "communication",
                FieldCode::Required,
                "Name at least one way of communicating, such as spoken_english or easy_read.",
            ));
        }

        if let Some(range) = self.contribution_gbp_week {
            if range.max > MAX_CONTRIBUTION_GBP {
                errors.push(FieldError::new(
                    "contribution_gbp_week.max",
                    FieldCode::OutOfRange,
                    format!("Must be at most {MAX_CONTRIBUTION_GBP}."),
                ));
            }
            if range.min > range.max {
                errors.push(FieldError::new(
                    "contribution_gbp_week.min",
                    FieldCode::OutOfRange,
                    "Must not be more than max.",
                ));
            }
        }

        let preferences = validate_preferences(self.preferences, taxonomy, &mut errors);
        let contact = validate_contact(self.contact, &mut errors);

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PersonRecord {
            display_name,
            about,
            birth_year: self.birth_year,
            gender,
            outcode,
            authority_code,
            travel_km: self.travel_km,
            travel,
            interests,
            goals,
            support_needs,
            communication,
            access_needs,
            availability,
            contribution_gbp_week: self.contribution_gbp_week,
            preferences,
            contact,
            share_needs_with_matches: self.share_needs_with_matches,
            discoverable: self.discoverable,
            public_listing: self.public_listing,
            status: self.status,
        })
    }
}

fn push(errors: &mut Vec<FieldError>, error: FieldError) -> String {
    errors.push(error);
    String::new()
}

fn validate_preferences(preferences: Preferences, taxonomy: &Taxonomy, errors: &mut Vec<FieldError>) -> Preferences {
    let age_bounds = MIN_AGE..=MAX_AGE;
    for (field, age) in [("preferences.age_min", preferences.age_min), ("preferences.age_max", preferences.age_max)] {
        if let Some(age) = age
            && !age_bounds.contains(&i32::from(age))
        {
            errors.push(FieldError::new(
                field,
                FieldCode::OutOfRange,
                format!("Must be between {MIN_AGE} and {MAX_AGE}."),
            ));
        }
    }
    if let (Some(min), Some(max)) = (preferences.age_min, preferences.age_max)
        && min > max
    {
        errors.push(FieldError::new("preferences.age_min", FieldCode::OutOfRange, "Must not be more than age_max."));
    }
    if let Some(size) = preferences.group_size_max
        && !(2..=12).contains(&size)
    {
        errors.push(FieldError::new("preferences.group_size_max", FieldCode::OutOfRange, "Must be between 2 and 12."));
    }
    let genders = taxonomy.vocabulary(VocabularyKind::Genders).resolve_all(
        "preferences.genders",
        &preferences.genders,
        8,
        errors,
    );
    Preferences { genders, ..preferences }
}

fn validate_contact(contact: Contact, errors: &mut Vec<FieldError>) -> Contact {
    let non_empty = |value: Option<String>| value.filter(|text| !text.trim().is_empty());
    let email = non_empty(contact.email).and_then(|email| match Email::parse("contact.email", &email) {
        Ok(email) => Some(email.as_str().to_owned()),
        Err(error) => {
            errors.push(error);
            None
        }
    });
    let phone = non_empty(contact.phone).and_then(|phone| match Phone::parse("contact.phone", &phone) {
        Ok(phone) => Some(phone.as_str().to_owned()),
        Err(error) => {
            errors.push(error);
            None
        }
    });
    let note = non_empty(contact.note).and_then(|note| match check_text("contact.note", &note, 1, 200, false) {
        Ok(note) => Some(note),
        Err(error) => {
            errors.push(error);
            None
        }
    });
    Contact { email, phone, note }
}

/// Applies an RFC 7396 JSON merge patch to `target`: objects merge key by
/// key, `null` removes a key, anything else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(patch_fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(target_fields) = target {
        for (key, value) in patch_fields {
            if value.is_null() {
                target_fields.remove(key);
            } else {
                merge_patch(target_fields.entry(key.clone()).or_insert(serde_json::Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reference() -> (Taxonomy, Areas) {
        static CACHED: std::sync::OnceLock<(Taxonomy, Areas)> = std::sync::OnceLock::new();
        CACHED.get_or_init(parse_reference).clone()
    }

    fn parse_reference() -> (Taxonomy, Areas) {
        let taxonomy = Taxonomy::from_json(include_str!("../../../data/taxonomy.json"));
        let areas = Areas::from_csv(
            include_str!("../../../data/uk_outcodes_gb.csv"),
            include_str!("../../../data/lad_uk_codes_names.csv"),
        );
        match (taxonomy, areas) {
            (Ok(taxonomy), Ok(areas)) => (taxonomy, areas),
            _ => panic!("shipped data must parse"),
        }
    }

    fn sam() -> serde_json::Value {
        json!({
            "display_name": "Sam", "about": "I love football and cooking.",
            "birth_year": 1994, "gender": "man",
            "outcode": "tw9 1ab", "travel_km": 10, "travel": "independent",
            "interests": ["Football", "cooking"], "goals": ["social_activities", "share_pa"],
            "support_needs": ["learning_disability"], "communication": ["spoken_english", "easy read"],
            "access_needs": ["step_free"], "availability": ["sat_afternoon", "mon_evening"],
            "contribution_gbp_week": {"min": 10, "max": 40},
            "preferences": {"age_min": 18, "age_max": 45, "genders": [], "group_size_max": 4, "similar_needs": true},
            "contact": {"email": "sam@example.org", "phone": null, "note": "Text me first"},
            "share_needs_with_matches": false, "discoverable": true, "public_listing": false, "status": "active"
        })
    }

    fn validate(body: serde_json::Value) -> Result<PersonRecord, Vec<FieldError>> {
        let (taxonomy, areas) = reference();
        let input: PersonInput = match serde_json::from_value(body) {
            Ok(input) => input,
            Err(error) => panic!("shape: {error}"),
        };
        input.validate(ValidationContext { taxonomy: &taxonomy, areas: &areas, current_year: 2026 })
    }

    #[test]
    fn the_design_example_validates_to_ids_and_a_district() {
        let record = validate(sam()).unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(record.outcode, "TW9");
        assert_eq!(record.authority_code, "E09000027");
        assert!(record.interests.iter().any(|id| id == "sport_fitness.football"));
        assert_eq!(record.communication, vec!["spoken_english", "easy_read"]);
        let shown = serde_json::to_string(&record).unwrap_or_default();
        assert!(!shown.contains("1AB"), "the inward code must not survive: {shown}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut body = sam();
        body["display_name"] = json!("");
        body["birth_year"] = json!(2020);
        body["outcode"] = json!("ZZ99");
        body["interests"] = json!(["underwater basket weaving"]);
        body["contribution_gbp_week"] = json!({"min": 50, "max": 40});
        let errors = validate(body).err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["display_name", "birth_year", "outcode", "interests[0]", "contribution_gbp_week.min"]);
    }

    #[test]
    fn unknown_fields_cannot_be_mass_assigned() {
        for field in ["id", "version", "role", "authority_code", "created_at"] {
            let mut body = sam();
            body[field] = json!("x");
            assert!(serde_json::from_value::<PersonInput>(body).is_err(), "{field}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Validation is a fixed point: a record, sent back in its own
        /// request shape, validates to itself; and any JSON merged into a
        /// valid body either validates or is refused, never panics.
        #[test]
        fn validation_is_idempotent_and_total(
            name in "\\PC{0,60}", about in "\\PC{0,40}", year in 1880i32..2030, km in 0u16..130,
            outcode in "[A-Za-z]{1,2}[0-9]{1,2}( ?[0-9][A-Za-z]{2})?",
            interests in proptest::collection::vec("[a-z ]{3,12}", 0..4),
        ) {
            let (taxonomy, areas) = reference();
            let context = ValidationContext { taxonomy: &taxonomy, areas: &areas, current_year: 2026 };
            let mut body = sam();
            merge_patch(&mut body, &json!({
                "display_name": name, "about": about, "birth_year": year, "travel_km": km,
                "outcode": outcode, "interests": interests,
            }));
            let Ok(input) = serde_json::from_value::<PersonInput>(body) else { return Ok(()) };
            if let Ok(record) = input.validate(context) {
                let again: PersonInput = serde_json::from_value(serde_json::to_value(&record).unwrap_or_default())
                    .unwrap_or_else(|error| panic!("a record must read back as input: {error}"));
                proptest::prop_assert_eq!(again.validate(context), Ok(record));
            }
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
    }
}
