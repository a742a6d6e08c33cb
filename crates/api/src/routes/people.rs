//! `/v1/people`: thin handlers over [`crate::people::People`].

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use friends_store::StoredPerson;
use uuid::Uuid;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::errors::ApiError;
use crate::people::{IfMatch, etag};
use crate::state::AppState;
use crate::views::{ExportView, PersonView};

fn person_response(
    mut builder: actix_web::HttpResponseBuilder,
    state: &AppState,
    person: &StoredPerson,
) -> HttpResponse {
    builder.insert_header((header::ETAG, etag(person.version))).json(PersonView::of(
        person,
        &state.reference.areas,
        state.clock.now(),
    ))
}

/// `POST /v1/people`.
pub async fn create(state: web::Data<AppState>, caller: Caller, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let person = state.people().create(&caller, body.into_inner()).await?;
    let mut builder = HttpResponse::Created();
    builder.insert_header((header::LOCATION, format!("/v1/people/{}", person.id)));
    Ok(person_response(builder, &state, &person))
}

/// `GET /v1/people/{id}`.
pub async fn read(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let person = state.people().visible(&caller, *id).await?;
    Ok(person_response(HttpResponse::Ok(), &state, &person))
}

/// `PATCH /v1/people/{id}`.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    request: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let precondition = IfMatch::of(&request)?;
    let person = state.people().update(&caller, *id, precondition, body.into_inner()).await?;
    Ok(person_response(HttpResponse::Ok(), &state, &person))
}

/// `DELETE /v1/people/{id}`.
pub async fn erase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let precondition = IfMatch::of(&request)?;
    state.people().erase(&caller, *id, precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /v1/people/{id}/export`.
pub async fn export(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let (person, changes) = state.people().export(&caller, *id).await?;
    let introductions = state.introductions().export(&caller, person.id).await?;
    let reports = state.store.reports_by(person.id).await?.iter().map(crate::reports::ReportView::of).collect();
    // Check-ins are the person's own words: not for admins (as their route).
    let check_ins =
        if caller.role == crate::auth::Role::Admin { Vec::new() } else { state.check_ins().export(person.id).await? };
    let agreements = state.agreements().export(person.id).await?;
    let external_refs = state.store.external_refs_of(person.id).await?.into_iter().map(Into::into).collect();
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(ExportView {
        exported_at: now,
        person: PersonView::of(&person, &state.reference.areas, now),
        changes,
        introductions,
        reports,
        check_ins,
        agreements,
        external_refs,
    }))
}

/// Query of `GET /v1/people/{id}/suggestions`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionsQuery {
    limit: Option<crate::errors::PageLimit>,
    goal: Option<String>,
}

/// `GET /v1/people/{id}/suggestions`.
pub async fn suggestions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<SuggestionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let list = state.suggestions().pairs(&caller, *id, query.limit, query.goal.as_deref()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Query of `GET /v1/people/{id}/group-suggestions`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSuggestionsQuery {
    size: Option<crate::errors::WholeNumber>,
    limit: Option<crate::errors::PageLimit>,
    goal: Option<String>,
}

/// `GET /v1/people/{id}/group-suggestions`.
pub async fn group_suggestions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<GroupSuggestionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let list = state.suggestions().groups(&caller, *id, query.size, query.limit, query.goal.as_deref()).await?;
    Ok(HttpResponse::Ok().json(list))
}
