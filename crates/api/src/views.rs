//! Response bodies.

use chrono::{DateTime, Datelike, Utc};
use friends_domain::areas::Areas;
use friends_domain::bands::AgeBand;
use friends_domain::person::PersonRecord;
use friends_store::{ChangeRecord, StoredPerson};
use serde::Serialize;
use uuid::Uuid;

/// `{outcode, authority_code, authority_name}`.
#[derive(Debug, Serialize)]
pub struct AreaView {
    /// Postcode district.
    pub outcode: String,
    /// ONS code of the authority.
    pub authority_code: String,
    /// Name of the authority.
    pub authority_name: String,
}

impl AreaView {
    /// The area of a district (as stored).
    pub fn of(areas: &Areas, outcode: &str, authority_code: &str) -> Self {
        Self {
            outcode: outcode.to_owned(),
            authority_code: authority_code.to_owned(),
            authority_name: areas.authority_name(authority_code).unwrap_or_default().to_owned(),
        }
    }
}

/// A full profile, for the person and those who manage it.
#[derive(Debug, Serialize)]
pub struct PersonView<'a> {
    /// Id.
    pub id: Uuid,
    /// Every request field, vocabulary terms as ids.
    #[serde(flatten)]
    pub record: &'a PersonRecord,
    /// Age band.
    pub age_band: AgeBand,
    /// Area.
    pub area: AreaView,
    /// Version (also the ETag).
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl<'a> PersonView<'a> {
    /// The view of a stored person.
    pub fn of(person: &'a StoredPerson, areas: &Areas, now: DateTime<Utc>) -> Self {
        Self {
            id: person.id,
            record: &person.record,
            age_band: AgeBand::of(person.record.birth_year, now.year()),
            area: AreaView::of(areas, &person.record.outcode, &person.record.authority_code),
            version: person.version,
            created_at: person.created_at,
            updated_at: person.updated_at,
        }
    }
}

/// `GET /v1/people/{id}/export`: everything held about a person.
#[derive(Debug, Serialize)]
pub struct ExportView<'a> {
    /// When this export was made.
    pub exported_at: DateTime<Utc>,
    /// The profile.
    pub person: PersonView<'a>,
    /// Every recorded change to the profile.
    pub changes: Vec<ChangeRecord>,
    /// Every introduction the person can see, with its events, as they see
    /// them.
    pub introductions: Vec<crate::introductions::ExportedIntroduction>,
    /// Safeguarding reports the person raised (reports about a person are
    /// for brokers only).
    pub reports: Vec<crate::reports::ReportView>,
    /// The person's check-ins that fell due, with their answers.
    pub check_ins: Vec<crate::aftercare::CheckInView>,
    /// The pooling agreements of the introductions they are in now.
    pub agreements: Vec<crate::aftercare::AgreementView>,
    /// Their references in councils' own systems (bulk imports).
    pub external_refs: Vec<ExternalRefView>,
}

/// A person's reference in a council's system, in their export.
#[derive(Debug, Serialize)]
pub struct ExternalRefView {
    /// The importing authority.
    pub authority: String,
    /// Their reference there.
    pub external_ref: String,
    /// When an import last wrote it.
    pub imported_at: DateTime<Utc>,
}

impl From<friends_store::ExternalRef> for ExternalRefView {
    fn from(reference: friends_store::ExternalRef) -> Self {
        Self {
            authority: reference.authority,
            external_ref: reference.external_ref,
            imported_at: reference.imported_at,
        }
    }
}
