//! Check-ins and the pooling agreement: thin handlers over
//! [`crate::aftercare`].

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use crate::aftercare::check_ins::CheckInsQuery;
use crate::aftercare::{AgreementView, agreement_page};
use crate::auth::Caller;
use crate::body::{JsonBody, OptionalJsonBody};
use crate::errors::ApiError;
use crate::people::{IfMatch, etag};
use crate::state::AppState;

/// `GET /v1/people/{id}/check-ins`.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<CheckInsQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state.check_ins().list(&caller, *id, query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `POST /v1/check-ins/{id}`.
pub async fn answer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.check_ins().answer(&caller, *id, body.into_inner()).await?))
}

/// `POST /v1/check-ins/{id}/resolve`.
pub async fn resolve(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: OptionalJsonBody,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.check_ins().resolve(&caller, *id, body.into_inner()).await?))
}

fn agreement_response(view: AgreementView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.version)))
        .insert_header((header::VARY, "Accept"))
        .json(view)
}

/// `GET /v1/introductions/{id}/agreement`: JSON, or the page to print.
pub async fn read_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (introduction, agreement) = state.agreements().get(&caller, *id).await?;
    if crate::html::wants_html(&request) {
        let members = friends_store::current_members(&introduction);
        let names: HashMap<Uuid, String> = state
            .store
            .people_by_ids(&members)
            .await?
            .into_iter()
            .map(|person| (person.id, person.record.display_name.clone()))
            .collect();
        return Ok(agreement_page(&introduction, &agreement, &names));
    }
    Ok(agreement_response(AgreementView::of(&introduction, &agreement)))
}

/// `PATCH /v1/introductions/{id}/agreement`.
pub async fn edit_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    request: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let precondition = IfMatch::of(&request)?;
    Ok(agreement_response(state.agreements().edit(&caller, *id, precondition, body.into_inner()).await?))
}

/// `GET /v1/broker/insights?authority=`: JSON, or a page of charts.
pub async fn insights(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<crate::aftercare::insights::InsightsQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let view = state.insights().report(&caller, query.into_inner()).await?;
    if crate::html::wants_html(&request) {
        return Ok(crate::aftercare::insights_page(&view));
    }
    Ok(HttpResponse::Ok().insert_header((header::VARY, "Accept")).json(view))
}

/// `POST /v1/introductions/{id}/agreement/confirm`.
pub async fn confirm_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    Ok(agreement_response(state.agreements().confirm(&caller, *id, body.into_inner()).await?))
}
