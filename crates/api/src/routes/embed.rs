//! The council embed's routes: public search and enquiries (the embed key is
//! the caller), embed keys (admins), resolving an enquiry (brokers), and the
//! widget's script and demo page (anyone). Thin handlers over
//! [`crate::embed`].

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::embed::EmbedCaller;
use crate::embed::search::PublicSearchParams;
use crate::embed::widget::{self, DemoParams};
use crate::errors::ApiError;
use crate::state::AppState;

/// `GET /v1/public/search?key=&q=&interests=&goals=&cursor=&limit=`.
pub async fn search(
    state: web::Data<AppState>,
    caller: EmbedCaller,
    params: web::Query<PublicSearchParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.public_search().search(&caller, &params)?))
}

/// `POST /v1/public/enquiries?key=`.
pub async fn enquire(
    state: web::Data<AppState>,
    caller: EmbedCaller,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Accepted().json(state.enquiries().create(&caller, body.into_inner()).await?))
}

/// `POST /v1/enquiries/{id}/resolve`.
pub async fn resolve(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.enquiries().resolve(&caller, *id).await?))
}

/// `POST /v1/admin/embed-keys`.
pub async fn create_key(state: web::Data<AppState>, caller: Caller, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let key = state.embed_keys().create(&caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/admin/embed-keys/{}", key.id))).json(key))
}

/// `GET /v1/admin/embed-keys`.
pub async fn list_keys(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let items = state.embed_keys().list(&caller).await?;
    Ok(HttpResponse::Ok().json(crate::pages::Page { items, next_cursor: None }))
}

/// `DELETE /v1/admin/embed-keys/{id}`.
pub async fn revoke_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.embed_keys().revoke(&caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /embed/widget.js`.
pub async fn widget_script(state: web::Data<AppState>) -> HttpResponse {
    widget::script(&state.reference)
}

/// `GET /embed/demo?key=`.
pub async fn demo(params: web::Query<DemoParams>) -> HttpResponse {
    widget::demo_page(&params)
}
