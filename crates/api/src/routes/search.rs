//! `GET /v1/search`.

use actix_web::{HttpResponse, web};

use crate::auth::Caller;
use crate::errors::ApiError;
use crate::search::SearchParams;
use crate::state::AppState;

/// `GET /v1/search?q=&interests=&goals=&authority=&limit=&cursor=`.
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    state.caller_limits.check_lookup(caller.subject, caller.subject, true)?;
    let results = state.search().search(&caller, &params)?;
    Ok(HttpResponse::Ok().json(results))
}
