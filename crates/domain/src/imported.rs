//! What a bulk import may change (DESIGN §6, §7). A council's file is the
//! council's view of a person; the profile is the person's. So:
//!
//! - The person's own choices ([`PERSON_OWNED`]: to be found, to be listed
//!   on council sites, to pause, to share their support needs) are set by
//!   the line that creates them (hidden) and never by a later line.
//! - Every other field is a three-way merge: a later line changes it only if
//!   it still holds what the last import wrote. A field the person (or
//!   someone helping them) changed since keeps their value, so a move or a
//!   new interest is never undone by the council's next nightly file.
//!
//! To tell, the store keeps a digest of each field as last imported
//! ([`field_digests`]), never a second copy of the values.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::person::PersonRecord;

/// The digest of each imported field as the last import wrote it.
pub type FieldDigests = BTreeMap<String, String>;

/// The fields the person owns: an import never changes them after it
/// created the person.
pub const PERSON_OWNED: &[&str] = &["discoverable", "public_listing", "status", "share_needs_with_matches"];

/// Applies `$apply!(name)` to every field an import may change. The
/// district's authority follows `outcode` (it is derived from it).
macro_rules! imported_fields {
    ($apply:ident) => {
        $apply!(display_name);
        $apply!(about);
        $apply!(birth_year);
        $apply!(gender);
        $apply!(outcode);
        $apply!(travel_km);
        $apply!(travel);
        $apply!(interests);
        $apply!(goals);
        $apply!(support_needs);
        $apply!(communication);
        $apply!(access_needs);
        $apply!(availability);
        $apply!(contribution_gbp_week);
        $apply!(preferences);
        $apply!(contact);
    };
}

fn digest(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    Sha256::digest(&bytes).iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// The digest of each field of `record` an import may change.
pub fn field_digests(record: &PersonRecord) -> FieldDigests {
    let mut digests = FieldDigests::new();
    macro_rules! put {
        ($field:ident) => {
            digests.insert(stringify!($field).to_owned(), digest(&record.$field));
        };
    }
    imported_fields!(put);
    digests
}

/// A digest of the whole line as imported (fields in a fixed order, lists
/// as given), to tell a line that did not change since the last import.
pub fn fingerprint(record: &PersonRecord) -> String {
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The digest kept of an erased person's reference (their line in a later
/// import is refused; the reference itself is not kept).
pub fn ref_digest(authority: &str, external_ref: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(authority.as_bytes());
    hasher.update([0]);
    hasher.update(external_ref.as_bytes());
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The person after a changed `line`: `current` with each field that still
/// holds what the last import wrote (`last`) replaced by the line's value.
pub fn merge(current: &PersonRecord, line: &PersonRecord, last: &FieldDigests) -> PersonRecord {
    let mut merged = current.clone();
    macro_rules! take {
        ($field:ident) => {
            if last.get(stringify!($field)).is_some_and(|last| *last == digest(&current.$field)) {
                merged.$field = line.$field.clone();
            }
        };
    }
    imported_fields!(take);
    if merged.outcode != current.outcode {
        merged.authority_code = line.authority_code.clone();
    }
    merged
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::person::{Contact, ProfileStatus};

    fn record(seed: u8) -> PersonRecord {
        PersonRecord {
            display_name: format!("Person {seed}"),
            about: format!("About {seed}"),
            birth_year: 1960 + i32::from(seed % 40),
            gender: (seed.is_multiple_of(2)).then(|| "woman".to_owned()),
            outcode: format!("ZZ{}", seed % 9),
            authority_code: format!("E0{}", seed % 9),
            travel_km: u16::from(seed % 30),
            travel: None,
            interests: vec![format!("interest-{}", seed % 5)],
            goals: Vec::new(),
            support_needs: vec![format!("need-{}", seed % 3)],
            communication: Vec::new(),
            access_needs: Vec::new(),
            availability: Vec::new(),
            contribution_gbp_week: None,
            preferences: crate::person::Preferences::default(),
            contact: Contact::default(),
            share_needs_with_matches: seed % 2 == 1,
            discoverable: seed.is_multiple_of(3),
            public_listing: seed.is_multiple_of(5),
            status: if seed.is_multiple_of(2) { ProfileStatus::Active } else { ProfileStatus::Paused },
        }
    }

    #[test]
    fn every_field_is_imported_or_owned_by_the_person() {
        let value = serde_json::to_value(record(1)).unwrap_or_default();
        let mut fields: Vec<String> =
            value.as_object().map(|object| object.keys().cloned().collect()).unwrap_or_default();
        fields.sort();
        let mut named: Vec<String> = field_digests(&record(1)).into_keys().collect();
        named.extend(PERSON_OWNED.iter().map(|field| (*field).to_owned()));
        named.sort();
        assert_eq!(fields, named, "a new field must be listed as imported or as the person's own");
    }

    proptest! {
        /// Field by field: the person's own choices always stay; anything
        /// else takes the line's value exactly when it still holds what the
        /// last import wrote.
        #[test]
        fn a_line_changes_only_what_still_holds_the_last_import(
            imported in any::<u8>(), edited in any::<u8>(), line in any::<u8>(), touched in any::<u16>(),
        ) {
            let imported = record(imported);
            let last = field_digests(&imported);
            // The person edits some fields (one bit of `touched` each).
            let mut current = imported.clone();
            let other = record(edited);
            let bit = |n: u16| touched & (1 << n) != 0;
            if bit(0) { current.display_name = other.display_name.clone(); }
            if bit(1) { current.outcode = other.outcode.clone(); current.authority_code = other.authority_code.clone(); }
            if bit(2) { current.interests = other.interests.clone(); }
            if bit(3) { current.support_needs = other.support_needs.clone(); }
            if bit(4) { current.about = other.about.clone(); }
            current.status = other.status;
            current.discoverable = other.discoverable;
            current.public_listing = other.public_listing;
            current.share_needs_with_matches = other.share_needs_with_matches;
            let line = record(line);
            let merged = merge(&current, &line, &last);
            prop_assert_eq!(merged.status, current.status);
            prop_assert_eq!(merged.discoverable, current.discoverable);
            prop_assert_eq!(merged.public_listing, current.public_listing);
            prop_assert_eq!(merged.share_needs_with_matches, current.share_needs_with_matches);
            // Each field: the line's value if the person left it as imported.
            let expect = |left: bool, line: &str, current: &str| if left { line.to_owned() } else { current.to_owned() };
            prop_assert_eq!(&merged.display_name, &expect(current.display_name == imported.display_name, &line.display_name, &current.display_name));
            prop_assert_eq!(&merged.about, &expect(current.about == imported.about, &line.about, &current.about));
            let stayed = current.outcode == imported.outcode;
            prop_assert_eq!(&merged.outcode, &expect(stayed, &line.outcode, &current.outcode));
            prop_assert_eq!(&merged.authority_code, &expect(stayed, &line.authority_code, &current.authority_code), "the authority follows the district");
            prop_assert_eq!(&merged.interests, if current.interests == imported.interests { &line.interests } else { &current.interests });
            prop_assert_eq!(&merged.support_needs, if current.support_needs == imported.support_needs { &line.support_needs } else { &current.support_needs });
            prop_assert_eq!(merged.birth_year, line.birth_year, "untouched fields follow the line");
        }
    }
}
