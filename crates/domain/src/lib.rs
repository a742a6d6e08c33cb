//! Finding Friends domain: the types every other crate trusts.
//!
//! This crate is pure: no I/O, no async, no clock. Callers hand it text (the
//! vendored open data, request bodies) and the current date; it hands back
//! validated types or precise, field-level errors.
//!
//! Invariants that hold for every value built here:
//! - a [`person::PersonRecord`] has passed every rule of DESIGN §7: text within
//!   limits and free of control characters, vocabulary terms stored as ids,
//!   numbers within bounds;
//! - a location is a postcode **district** ([`areas::District`]), never a full
//!   postcode: [`areas::Areas::resolve`] reduces `"TW9 1AB"` to `TW9` and the
//!   inward part is dropped before anything else sees it.
//!
//! ```
//! use friends_domain::areas::Areas;
//! let outcodes = "outcode,latitude,longitude,easting,northing,lad_code,lad_name,lad_share,country,postcode_count,radius_p90_km,lad_breakdown\n\
//!                 TW9,51.46959,-0.29245,518701,175897,E09000027,Richmond upon Thames,1.0,England,601,1.54,E09000027:601\n";
//! let authorities = "lad23cd,lad25cd,name,name_welsh,nation,label_lat,label_lon\n\
//!                    E09000027,E09000027,Richmond upon Thames,,England,51.44,-0.31\n";
//! let areas = Areas::from_csv(outcodes, authorities).unwrap();
//! let district = areas.resolve("tw9 1ab").unwrap();
//! assert_eq!(district.outcode, "TW9");
//! assert_eq!(district.authority_code, "E09000027");
//! ```

pub mod agreement;
pub mod areas;
pub mod bands;
pub mod check_ins;
pub mod demo;
pub mod errors;
pub mod imported;
pub mod introduction;
pub mod money;
pub mod objects;
pub mod person;
pub mod policy;
pub mod suppression;
pub mod taxonomy;
pub mod text;

pub use errors::{FieldCode, FieldError};
