//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::errors::ApiError;
use crate::state::AppState;

/// `GET /healthz`: the process is serving.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and this node's indexes have applied
/// every committed change.
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Err(error) = state.store.ping().await {
        tracing::warn!(error = %error, "readiness check failed: database");
        return Err(ApiError::NotReady);
    }
    if let Err(error) = state.indexes.catch_up(&state.store).await {
        tracing::warn!(error = %error, "readiness check failed: indexes");
        return Err(ApiError::NotReady);
    }
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "checks": {"database": "ok", "indexes": "ok"},
        "applied_seq": state.indexes.applied_seq(),
    })))
}
