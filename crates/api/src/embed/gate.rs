//! The public scope's middleware: what every request from a council website
//! passes before a handler runs.
//!
//! 1. **The key is the caller.** `?key=` is looked up in the database on every
//!    request (an indexed read of one row), so a revoked key stops at once on
//!    every node. A missing, malformed, unknown or revoked key is the same
//!    401 `embed_key_invalid`. A bearer token counts for nothing here.
//! 2. **Rate limits** per key and client address (`governor`, GCRA):
//!    `FRIENDS_PUBLIC_RATE_PER_MINUTE` requests, and
//!    `FRIENDS_PUBLIC_ENQUIRIES_PER_HOUR` enquiries on top; over either, 429
//!    `rate_limited` with `Retry-After`. The client address is the TCP peer:
//!    behind a proxy every resident shares the proxy's address, so set the
//!    limits for that (a trusted `Forwarded` header is not read yet).
//! 3. **CORS only for the key's origins.** A request whose `Origin` is one of
//!    them gets `Access-Control-Allow-Origin` with that origin (and `Vary:
//!    Origin`); a preflight (`OPTIONS`) from one gets the allowed methods
//!    and headers; any other origin gets no CORS headers at all, so a
//!    browser on another site cannot read the answer. No credentials are
//!    ever allowed.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};

use super::EmbedCaller;
use crate::errors::ApiError;
use crate::state::AppState;

/// How long a browser may keep a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

#[derive(serde::Deserialize)]
struct KeyParam {
    key: Option<String>,
}

async fn caller_of(state: &AppState, query: &str) -> Result<EmbedCaller, ApiError> {
    let key = web::Query::<KeyParam>::from_query(query).ok().and_then(|query| query.into_inner().key);
    EmbedCaller::lookup(&state.store, key.as_deref()).await
}

fn allow_origin(headers: &mut HeaderMap, origin: Option<&HeaderValue>) {
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
}

/// The public scope's gate (see the module documentation).
/// `served` is what the route serves: any other method (but a preflight)
/// goes on to the route's own 405, with `Allow`, whoever asks.
pub async fn public_gate(
    served: std::sync::Arc<[Method]>,
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if request.method() != Method::OPTIONS && !served.contains(request.method()) {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(request.into_response(ApiError::Internal.error_response()));
    };
    let caller = match caller_of(&state, request.query_string()).await {
        Ok(caller) => caller,
        Err(error) => return Ok(request.into_response(error.error_response())),
    };
    // The origin, only when it is one of the key's.
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .filter(|origin| origin.to_str().is_ok_and(|origin| caller.origins.iter().any(|allowed| allowed == origin)))
        .cloned();
    let preflight = request.method() == Method::OPTIONS;
    let enquiry = request.method() == Method::POST;
    let client = request.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |address| address.ip());
    if let Err(retry_after_seconds) = state.public_limits.check(caller.key_id, client, enquiry) {
        tracing::info!(embed_key_id = %caller.key_id, "public request over its rate limit");
        let mut response = ApiError::RateLimited { retry_after_seconds }.error_response();
        allow_origin(response.headers_mut(), origin.as_ref());
        if origin.is_some() {
            // Let the widget read when to try again.
            response
                .headers_mut()
                .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Retry-After"));
        }
        return Ok(request.into_response(response));
    }
    if preflight {
        let mut response = HttpResponse::NoContent().finish();
        let headers = response.headers_mut();
        allow_origin(headers, origin.as_ref());
        if origin.is_some() {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE));
        }
        return Ok(request.into_response(response));
    }
    request.extensions_mut().insert(caller);
    let mut response = next.call(request).await?.map_into_boxed_body();
    allow_origin(response.headers_mut(), origin.as_ref());
    if origin.is_some() {
        response.headers_mut().insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Retry-After"));
    }
    Ok(response)
}
