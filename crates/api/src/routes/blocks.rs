//! `/v1/blocks`: thin handlers over [`crate::blocks`].

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::errors::ApiError;
use crate::state::AppState;

/// `POST /v1/blocks`.
pub async fn create(state: web::Data<AppState>, caller: Caller, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let block = state.blocks().create(&caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/blocks/{}", block.id))).json(block))
}

/// `DELETE /v1/blocks/{id}`.
pub async fn remove(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    state.blocks().remove(&caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
