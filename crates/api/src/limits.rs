//! Limits on the request head, answered as problem+json.
//!
//! actix-http's own parser refuses a head over 128 KiB or with more than 96
//! headers before any of our code runs (ARCHITECTURE.md lists what it
//! answers then); below that, these limits apply, so that an oversized query
//! string or header set gets a problem body with a request id. Empty query
//! parameters are refused here too (see [`empty_query_parameter`]).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::errors::{ErrorCode, problem_response};

/// Longest request target (path and query), in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest total of header names and values, in bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Middleware (inside the request context, so the answer has a request id).
pub async fn limit_request_head(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let uri_bytes = request.uri().path_and_query().map_or(0, |target| target.as_str().len());
    let header_bytes: usize =
        request.headers().iter().map(|(name, value)| name.as_str().len() + value.as_bytes().len()).sum();
    let refusal = if uri_bytes > MAX_URI_BYTES {
        Some((ErrorCode::UriTooLong, format!("The address is limited to {MAX_URI_BYTES} bytes.")))
    } else if header_bytes > MAX_HEADER_BYTES {
        Some((ErrorCode::HeadersTooLarge, format!("Headers are limited to {MAX_HEADER_BYTES} bytes in all.")))
    } else if empty_query_parameter(&request) {
        Some((
            ErrorCode::InvalidQuery,
            "A query parameter is empty. Leave it out instead (only q may be empty).".to_owned(),
        ))
    } else {
        None
    };
    if let Some((code, detail)) = refusal {
        let (request, _) = request.into_parts();
        return Ok(ServiceResponse::new(request, problem_response(None, code, detail, &[])));
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// An empty query parameter (`goal=`, `cursor=`, or a bare `goal`) is
/// refused on every route, with the same 400: one rule rather than a 400
/// here and a 422 there. Only the free text `q` may be empty (a search box
/// submitted blank), and means no text.
fn empty_query_parameter(request: &ServiceRequest) -> bool {
    let Some(query) = request.uri().query() else { return false };
    query.split('&').filter(|pair| !pair.is_empty()).any(|pair| match pair.split_once('=') {
        Some((name, value)) => value.is_empty() && name != "q",
        None => pair != "q",
    })
}
