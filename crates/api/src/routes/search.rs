//! `GET /v1/search`.

use actix_web::{HttpResponse, web};

use crate::auth::Caller;
use crate::errors::ApiError;
use crate::search::SearchParams;
use crate::startup::AppState;

/// `GET /v1/search?q=&interests=&goals=&authority=&limit=&cursor=`.
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let results = crate::search::search(
        &state.indexes,
        &state.cursor_key,
        &state.reference,
        &caller,
        &params,
        state.clock.now(),
    )?;
    Ok(HttpResponse::Ok().json(results))
}
