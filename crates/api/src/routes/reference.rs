//! Vocabularies and areas: public reference data.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::errors::ApiError;
use crate::reference::{AREAS_ATTRIBUTION, TAXONOMY_ATTRIBUTION};
use crate::state::AppState;
use crate::views::AreaView;

/// `GET /v1/taxonomy`: every vocabulary with labels and synonyms.
pub async fn taxonomy(state: web::Data<AppState>) -> HttpResponse {
    let mut document = state.reference.taxonomy.document().clone();
    if let Some(fields) = document.as_object_mut() {
        fields.insert("attribution".into(), json!(TAXONOMY_ATTRIBUTION));
    }
    HttpResponse::Ok().insert_header(("cache-control", "public, max-age=3600")).json(document)
}

/// `GET /v1/areas/outcodes/{outcode}`: the district of a district or full
/// postcode, with its authority.
pub async fn outcode(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let district = state
        .reference
        .areas
        .resolve(&path)
        .map_err(|error| ApiError::Validation(vec![error.into_field_error("outcode")]))?;
    let area = AreaView::of(&state.reference.areas, &district.outcode, &district.authority_code);
    Ok(HttpResponse::Ok().json(json!({
        "outcode": area.outcode,
        "authority_code": area.authority_code,
        "authority_name": area.authority_name,
        "attribution": AREAS_ATTRIBUTION,
    })))
}
