//! `/v1/introductions`, `/v1/broker/queue` and `/v1/reports`: thin handlers
//! over [`crate::introductions`] and [`crate::reports`].

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::auth::Caller;
use crate::body::{JsonBody, OptionalJsonBody};
use crate::errors::ApiError;
use crate::introductions::{ListQuery, QueueQuery};
use crate::state::AppState;

/// `POST /v1/introductions`.
pub async fn create(state: web::Data<AppState>, caller: Caller, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let view = state.introductions().request(&caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/introductions/{}", view.id))).json(view))
}

/// `GET /v1/introductions`.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.introductions().list(&caller, query.into_inner()).await?))
}

/// `GET /v1/introductions/{id}`.
pub async fn read(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.introductions().get(&caller, *id).await?))
}

/// `GET /v1/introductions/{id}/events`.
pub async fn events(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let items = state.introductions().events(&caller, *id).await?;
    Ok(HttpResponse::Ok().json(crate::pages::Page { items, next_cursor: None }))
}

/// `POST /v1/introductions/{id}/approve`.
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: OptionalJsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Ok(HttpResponse::Ok().json(state.introductions().approve(&caller, *id, body).await?))
}

/// `POST /v1/introductions/{id}/decline`.
pub async fn decline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: OptionalJsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Ok(HttpResponse::Ok().json(state.introductions().decline(&caller, *id, body).await?))
}

/// `POST /v1/introductions/{id}/consent`.
pub async fn consent(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.introductions().consent(&caller, *id, body.into_inner()).await?))
}

/// `POST /v1/introductions/{id}/withdraw`.
pub async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: OptionalJsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Ok(HttpResponse::Ok().json(state.introductions().leave(&caller, *id, false, body).await?))
}

/// `POST /v1/introductions/{id}/end`.
pub async fn end(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: OptionalJsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Ok(HttpResponse::Ok().json(state.introductions().leave(&caller, *id, true, body).await?))
}

/// `GET /v1/broker/queue`.
pub async fn queue(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.introductions().queue(&caller, query.into_inner()).await?))
}

/// `POST /v1/reports`.
pub async fn report(state: web::Data<AppState>, caller: Caller, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let report = state.reports().create(&caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/reports/{}", report.id))).json(report))
}

/// `POST /v1/reports/{id}/resolve`.
pub async fn resolve_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: OptionalJsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let report = state.reports().resolve(&caller, *id, body).await?;
    Ok(HttpResponse::Ok().json(report))
}
