//! The operators' own routes: bulk import and reindex (admins; anyone else
//! gets 404).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use friends_domain::policy::{self, Rule};
use futures_util::StreamExt;
use serde_json::json;

use crate::auth::Caller;
use crate::errors::{ApiError, refused};
use crate::imports::{Importer, Line, LineSplitter, MAX_IMPORT_BYTES};
use crate::indexes::IndexesError;
use crate::state::AppState;

/// Query of `POST /v1/admin/import`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The ONS code of the council whose system the file comes from.
    authority: String,
    /// Validate and report without writing.
    #[serde(default)]
    dry_run: bool,
}

fn is_ndjson(request: &HttpRequest) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(essence.as_str(), "application/x-ndjson" | "application/ndjson" | "application/jsonl")
}

/// `POST /v1/admin/import?authority=CODE[&dry_run=true]`: NDJSON people,
/// streamed.
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    policy::admin_operation(caller.actor()).map_err(|refusal| refused(refusal, Rule::AdminOperation))?;
    // The query is read only now: to anyone else the route is not there.
    let query = web::Query::<ImportQuery>::from_query(request.query_string())
        .map_err(|error| ApiError::InvalidQuery(crate::errors::redact_serde_message(&error.to_string())))?;
    if !is_ndjson(&request) {
        return Err(ApiError::NotNdjson);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_IMPORT_BYTES) {
        return Err(ApiError::PayloadTooLarge { limit: MAX_IMPORT_BYTES });
    }
    let people = state.people();
    let mut importer = Importer::new(
        people.store,
        Some(people.indexes),
        people.reference,
        &query.authority,
        people.now,
        query.dry_run,
    )?;
    let mut splitter = LineSplitter::default();
    let mut received = 0_usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::InvalidBody("the body could not be read to its end".into()))?;
        received += chunk.len();
        if received > MAX_IMPORT_BYTES {
            // What came before is written (an import is idempotent: send
            // the rest again, or the whole file).
            return Err(ApiError::PayloadTooLarge { limit: MAX_IMPORT_BYTES });
        }
        for line in splitter.push(&chunk) {
            take(&mut importer, line).await?;
        }
    }
    if let Some(line) = splitter.finish() {
        take(&mut importer, line).await?;
    }
    tracing::info!(admin = %caller.subject, authority = %query.authority, "bulk import");
    Ok(HttpResponse::Ok().json(importer.finish().await?))
}

async fn take(importer: &mut Importer<'_>, line: Line) -> Result<(), ApiError> {
    match line {
        Line::Text(number, bytes) => importer.line(number, &bytes).await,
        Line::TooLong(number) => {
            importer.too_long(number);
            Ok(())
        }
    }
}

/// `POST /v1/admin/reindex`: rebuilds this node's indexes while serving
/// the old ones; answers when the new ones are in place.
pub async fn reindex(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    policy::admin_operation(caller.actor()).map_err(|refusal| refused(refusal, Rule::AdminOperation))?;
    let started = std::time::Instant::now();
    // On a task of its own: a client that goes away does not stop a
    // rebuild half way.
    let now = state.clock.now();
    let running = state.clone();
    let rebuild = async move { running.indexes.rebuild(&running.store, now).await };
    let rebuilt = tokio::spawn(tracing::Instrument::instrument(rebuild, tracing::Span::current()))
        .await
        .map_err(|_| ApiError::Internal)?;
    let people = rebuilt.map_err(|error| match error {
        IndexesError::RebuildRunning => ApiError::from(error),
        error => {
            // Before the swap the old indexes keep serving; after it, the
            // follower finishes the search index (see `Indexes::rebuild`).
            tracing::warn!(error = %error, "reindex failed");
            ApiError::NotReady
        }
    })?;
    tracing::info!(admin = %caller.subject, people, "reindexed");
    Ok(HttpResponse::Ok().json(json!({
        "people": people,
        "applied_seq": state.indexes.applied_seq(),
        "elapsed_ms": started.elapsed().as_millis() as u64,
    })))
}
