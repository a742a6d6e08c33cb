//! `Idempotency-Key` on every POST (the IETF httpapi draft's semantics).
//!
//! A client that did not get an answer (a timeout, a dropped connection, a
//! node killed mid-request) can retry a POST with the same key and be sure
//! it is not done twice:
//!
//! - the first request with a key runs, and a 2xx answer is kept for 24
//!   hours, per caller (the token's role and subject);
//! - a retry with the same key, path and body gets that answer again
//!   (`Idempotent-Replayed: true`) and writes nothing;
//! - the same key with another path or body is 422 `idempotency_key_reused`;
//! - while the first request runs, or if it was cut off by a crash before it
//!   was answered, a retry is 409 `idempotency_key_in_use` (whether a cut-off
//!   request committed cannot be known, so it is never run again);
//! - a request that was refused (4xx, 5xx) changed nothing, so its key is
//!   freed for a corrected retry.
//!
//! The kept answers can carry personal data (a profile, an introduction); an
//! erasure deletes every kept answer that names the person, in its own
//! transaction, and the keys expire after 24 hours.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use friends_store::{Reservation, StoredAnswer};
use sha2::{Digest, Sha256};

use crate::auth::TokenVerifier;
use crate::errors::ApiError;
use crate::state::AppState;

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long keys are kept.
pub const KEEP_FOR: chrono::Duration = chrono::Duration::hours(24);
/// Longest key accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;

/// The headers of an answer worth replaying.
const KEPT_HEADERS: [header::HeaderName; 2] = [header::LOCATION, header::ETAG];

/// A key as sent, if there is one: one header of 1 to 255 visible ASCII
/// characters. The draft has it a structured-field string; the quotes are
/// accepted and dropped.
fn key_of(request: &ServiceRequest) -> Result<Option<String>, ApiError> {
    let mut values = request.headers().get_all(IDEMPOTENCY_KEY);
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(ApiError::InvalidHeader("Idempotency-Key"));
    }
    let text = value.to_str().map_err(|_| ApiError::InvalidHeader("Idempotency-Key"))?.trim();
    let text = text.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(text);
    let valid = !text.is_empty() && text.len() <= MAX_KEY_CHARS && text.bytes().all(|byte| byte.is_ascii_graphic());
    if !valid {
        return Err(ApiError::InvalidHeader("Idempotency-Key"));
    }
    Ok(Some(text.to_owned()))
}

fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

fn replay(answer: &StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, "application/json"));
    response.insert_header((HeaderName::from_static(REPLAYED), HeaderValue::from_static("true")));
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
            response.insert_header((name, value));
        }
    }
    response.body(answer.body.clone())
}

fn answer_with(request: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    let (request, _) = request.into_parts();
    ServiceResponse::new(request, error.error_response())
}

/// Middleware (inside the request context, before routing).
pub async fn idempotency(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if request.method() != Method::POST {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let key = match key_of(&request) {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(next.call(request).await?.map_into_boxed_body()),
        Err(error) => return Ok(answer_with(request, error)),
    };
    let (Some(state), Some(verifier)) =
        (request.app_data::<web::Data<AppState>>().cloned(), request.app_data::<web::Data<TokenVerifier>>().cloned())
    else {
        return Ok(answer_with(request, ApiError::Internal));
    };
    // Keys are per caller. Without a valid token the handler answers 401
    // and nothing is kept.
    let Ok(caller) = verifier.authenticate(request.request()).await else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let caller = format!("{:?}:{}", caller.role, caller.subject).to_ascii_lowercase();
    let body = match request.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(_) => return Ok(answer_with(request, ApiError::PayloadTooLarge { limit: crate::body::JSON_BODY_LIMIT })),
    };
    let print = fingerprint(request.method(), request.path(), &body);
    request.set_payload(Payload::from(body));
    let now = state.clock.now();
    let reservation = state.store.reserve_idempotency_key(&caller, &key, &print, now, now - KEEP_FOR).await;
    match reservation {
        Err(error) => Ok(answer_with(request, error.into())),
        Ok(Reservation::Replay(answer)) => {
            let (request, _) = request.into_parts();
            Ok(ServiceResponse::new(request, replay(&answer)))
        }
        Ok(Reservation::Mismatch) => Ok(answer_with(request, ApiError::IdempotencyKeyReused)),
        Ok(Reservation::InFlight) => Ok(answer_with(request, ApiError::IdempotencyKeyInUse)),
        Ok(Reservation::Reserved) => {
            let response = next.call(request).await?.map_into_boxed_body();
            if !response.status().is_success() {
                if let Err(error) = state.store.release_idempotency_key(&caller, &key).await {
                    tracing::warn!(error = %error, "an idempotency key could not be freed; it expires in 24 hours");
                }
                return Ok(response);
            }
            let (http_request, response) = response.into_parts();
            let status = response.status();
            let headers: Vec<(String, String)> = KEPT_HEADERS
                .iter()
                .filter_map(|name| {
                    let value = response.headers().get(name)?.to_str().ok()?;
                    Some((name.as_str().to_owned(), value.to_owned()))
                })
                .collect();
            let (head, body) = response.into_parts();
            let Ok(bytes) = actix_web::body::to_bytes(body).await else {
                tracing::error!("an answer's body could not be read to keep it");
                return Ok(ServiceResponse::new(http_request, ApiError::Internal.error_response()));
            };
            let answer =
                StoredAnswer { status: status.as_u16(), headers, body: String::from_utf8_lossy(&bytes).into_owned() };
            if let Err(error) = state.store.complete_idempotency_key(&caller, &key, &answer).await {
                // The write is committed and is answered; a retry with this
                // key is told it is in use, never run again.
                tracing::warn!(error = %error, "an answer could not be kept for its idempotency key");
            }
            Ok(ServiceResponse::new(http_request, head.set_body(bytes).map_into_boxed_body()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let one = fingerprint(&Method::POST, "/v1/people", b"{}");
        assert_eq!(one, fingerprint(&Method::POST, "/v1/people", b"{}"));
        assert_ne!(one, fingerprint(&Method::POST, "/v1/blocks", b"{}"));
        assert_ne!(one, fingerprint(&Method::POST, "/v1/people", b"{ }"));
    }
}
