//! Every error the API returns: each [`ApiError`] names one code of the
//! closed [`catalogue`] (which holds its status and title), rendered as
//! `application/problem+json` with the request id. Extractor failures (bad
//! JSON, path, query), unknown routes, wrong methods and panics go through
//! the same shape.

mod catalogue;

pub use catalogue::ErrorCode;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use friends_domain::policy::{Forbidden, Refusal, Rule};
use friends_domain::{FieldCode, FieldError};
use friends_store::StoreError;
use serde::Serialize;

use crate::request_id::current_request_id;

/// `Retry-After` of every 503, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every error the API returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid bearer token. Always the same body, whatever the reason.
    #[error("unauthorized")]
    Unauthorized,
    /// No valid embed key on a public route (missing, unknown or revoked:
    /// always the same body).
    #[error("embed key invalid")]
    EmbedKeyInvalid,
    /// The caller may not know this exists, or it does not.
    #[error("not found")]
    NotFound,
    /// The caller is known and may see the object, but not do this.
    #[error("forbidden: {code:?}")]
    Forbidden {
        /// Stable code.
        code: ErrorCode,
        /// Plain-words reason.
        detail: &'static str,
    },
    /// Field-level validation failed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Well-formed JSON of the wrong shape (types, unknown or missing fields).
    #[error("invalid body")]
    InvalidBody(String),
    /// Not JSON at all.
    #[error("malformed json")]
    MalformedJson,
    /// Body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// An import's body is not `application/x-ndjson`.
    #[error("unsupported media type")]
    NotNdjson,
    /// Body over the limit.
    #[error("payload too large")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A path segment of the wrong form.
    #[error("invalid path")]
    InvalidPath,
    /// A query string of the wrong form.
    #[error("invalid query")]
    InvalidQuery(String),
    /// A search cursor this service did not give for this caller and query.
    #[error("invalid cursor")]
    InvalidCursor,
    /// A header of the wrong form.
    #[error("invalid header: {0}")]
    InvalidHeader(&'static str),
    /// Creating something that exists.
    #[error("already exists")]
    AlreadyExists,
    /// The request conflicts with the object's current state.
    #[error("conflict: {code:?}")]
    Conflict {
        /// Stable code (`invalid_transition`, `open_request_exists`,
        /// `cooldown`).
        code: ErrorCode,
        /// Plain-words reason.
        detail: String,
    },
    /// An `Idempotency-Key` already used for a different request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// An `Idempotency-Key` whose first request has not been answered.
    #[error("idempotency key in use")]
    IdempotencyKeyInUse,
    /// A per-person limit is used up.
    #[error("limit reached")]
    LimitReached(&'static str),
    /// Too many requests from this caller for now.
    #[error("rate limited")]
    RateLimited {
        /// When to try again, in seconds (`Retry-After`).
        retry_after_seconds: u64,
    },
    /// `If-Match` is required and missing.
    #[error("precondition required")]
    PreconditionRequired,
    /// `If-Match` does not match the current version.
    #[error("version conflict")]
    VersionConflict,
    /// Not ready to serve (database unreachable, indexes behind).
    #[error("not ready")]
    NotReady,
    /// The database cannot be reached now; nothing was written.
    #[error("unavailable")]
    Unavailable,
    /// The database's disk is full; nothing was written.
    #[error("storage full")]
    StorageFull,
    /// A bug or an outage. The cause was logged where it happened.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// The catalogue's code (which holds the status).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::EmbedKeyInvalid => ErrorCode::EmbedKeyInvalid,
            Self::NotFound => ErrorCode::NotFound,
            Self::Forbidden { code, .. } | Self::Conflict { code, .. } => *code,
            Self::Validation(errors) => validation_code(errors),
            Self::InvalidBody(_) => ErrorCode::InvalidBody,
            Self::MalformedJson => ErrorCode::MalformedJson,
            Self::UnsupportedMediaType | Self::NotNdjson => ErrorCode::UnsupportedMediaType,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::InvalidPath => ErrorCode::InvalidPath,
            Self::InvalidQuery(_) => ErrorCode::InvalidQuery,
            Self::InvalidCursor => ErrorCode::InvalidCursor,
            Self::InvalidHeader(_) => ErrorCode::InvalidHeader,
            Self::AlreadyExists => ErrorCode::AlreadyExists,
            Self::LimitReached(_) => ErrorCode::LimitReached,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::IdempotencyKeyInUse => ErrorCode::IdempotencyKeyInUse,
            Self::PreconditionRequired => ErrorCode::PreconditionRequired,
            Self::VersionConflict => ErrorCode::VersionConflict,
            Self::NotReady => ErrorCode::NotReady,
            Self::Unavailable => ErrorCode::Unavailable,
            Self::StorageFull => ErrorCode::StorageFull,
            Self::Internal => ErrorCode::Internal,
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Unauthorized => "A valid bearer token is required.".into(),
            Self::EmbedKeyInvalid => "This page's embed key is not valid. The council can create a new one.".into(),
            Self::NotFound => "Nothing was found at this address.".into(),
            Self::Forbidden { detail, .. } => (*detail).into(),
            Self::Validation(errors) if validation_code(errors) == ErrorCode::UnknownOutcode => {
                "The postcode district is not known. See errors for close matches.".into()
            }
            Self::Validation(_) => "Some fields are not valid. See errors.".into(),
            Self::InvalidBody(message) => format!("The body does not have the expected shape: {message}"),
            Self::MalformedJson => "The body is not valid JSON.".into(),
            Self::UnsupportedMediaType => "Send the body as application/json.".into(),
            Self::NotNdjson => "Send the people as application/x-ndjson: one JSON object a line.".into(),
            Self::PayloadTooLarge { limit } => format!("Bodies are limited to {limit} bytes."),
            Self::InvalidPath => "A part of the path is not valid (ids are UUIDs).".into(),
            Self::InvalidQuery(message) => format!("The query string is not valid: {message}"),
            Self::InvalidCursor => {
                "The cursor is not one this service gave for this list. Start from the first page.".into()
            }
            Self::InvalidHeader(name) => format!("The {name} header is not valid."),
            Self::AlreadyExists => "It already exists.".into(),
            Self::Conflict { detail, .. } => detail.clone(),
            Self::LimitReached(detail) => (*detail).into(),
            Self::RateLimited { retry_after_seconds } => {
                format!("Too many requests for now. Try again in {retry_after_seconds} seconds.")
            }
            Self::IdempotencyKeyReused => {
                "This Idempotency-Key was used for a different request. Use a new key for a new request.".into()
            }
            Self::IdempotencyKeyInUse => "A request with this Idempotency-Key has not been answered yet. \
                 Read the resource to see whether it was done, or use a new key."
                .into(),
            Self::PreconditionRequired => "Send If-Match with the ETag you last read.".into(),
            Self::VersionConflict => "It changed since you read it. Read it again and retry.".into(),
            Self::NotReady => "The service is not ready.".into(),
            Self::Unavailable => {
                "The service cannot reach its database just now. Nothing was changed. Try again soon.".into()
            }
            Self::StorageFull => "The service has run out of storage. Nothing was changed. Try again later.".into(),
            Self::Internal => "Something went wrong on our side. Quote the request id if you report it.".into(),
        }
    }

    fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(errors) => errors,
            _ => &[],
        }
    }
}

/// A `limit` query parameter as sent: any run of digits, however long
/// (saturating), since the contract says a large limit is capped, not
/// refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(pub u64);

impl<'de> serde::Deserialize<'de> for PageLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        digits(deserializer, "limit must be a whole number").map(Self)
    }
}

/// A whole-number query parameter other than `limit` (a group's `size`):
/// digits only, so that text, signs and empty values are refused as a
/// malformed query (400) like any other, and a number out of its range as a
/// validation error (422) by whoever reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(pub u64);

impl<'de> serde::Deserialize<'de> for WholeNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        digits(deserializer, "must be a whole number").map(Self)
    }
}

/// A query value of ASCII digits only, saturating at `u64::MAX`; `refusal`
/// otherwise (empty included).
fn digits<'de, D: serde::Deserializer<'de>>(deserializer: D, refusal: &'static str) -> Result<u64, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(serde::de::Error::custom(refusal));
    }
    Ok(text.parse().unwrap_or(u64::MAX))
}

/// A `limit` query parameter: `default` when absent, capped at `max`, and a
/// 422 for zero.
pub fn page_limit(limit: Option<PageLimit>, default: usize, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(PageLimit(0)) => {
            Err(ApiError::Validation(vec![FieldError::new("limit", FieldCode::OutOfRange, "Must be at least 1.")]))
        }
        Some(PageLimit(limit)) => Ok(usize::try_from(limit).unwrap_or(usize::MAX).min(max)),
    }
}

/// The top-level code for a set of field errors: the most specific one that
/// a client is likely to act on.
fn validation_code(errors: &[FieldError]) -> ErrorCode {
    if errors.iter().any(|error| error.code == FieldCode::UnknownOutcode) {
        ErrorCode::UnknownOutcode
    } else if errors.iter().any(|error| error.code == FieldCode::UnknownTerm) {
        ErrorCode::UnknownTerm
    } else {
        ErrorCode::ValidationFailed
    }
}

#[derive(Serialize)]
struct ProblemField<'a> {
    field: &'a str,
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    problem_type: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    errors: Vec<ProblemField<'a>>,
    request_id: String,
}

/// Builds a problem+json response: `code`'s own status, unless `status`
/// says otherwise (actix's refusals keep theirs, with the nearest code).
pub fn problem_response(
    status: Option<StatusCode>,
    code: ErrorCode,
    detail: String,
    errors: &[FieldError],
) -> HttpResponse {
    let status = status.unwrap_or_else(|| code.status());
    let problem = Problem {
        problem_type: format!("urn:finding-friends:problem:{}", code.as_str()),
        title: code.title(),
        status: status.as_u16(),
        detail,
        code: code.as_str(),
        errors: errors
            .iter()
            .map(|error| ProblemField { field: &error.field, code: error.code.as_str(), message: &error.message })
            .collect(),
        request_id: current_request_id().map(|id| id.to_string()).unwrap_or_default(),
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
    if status == StatusCode::UNAUTHORIZED {
        // Public routes take an embed key in the query, not a bearer token.
        let scheme = if code == ErrorCode::EmbedKeyInvalid { "EmbedKey" } else { "Bearer" };
        response.insert_header((header::WWW_AUTHENTICATE, scheme));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
    }
    response.body(serde_json::to_string(&problem).unwrap_or_default())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = problem_response(None, self.code(), self.detail(), self.field_errors());
        if let Self::RateLimited { retry_after_seconds } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// A policy refusal as the API answers it: 404, or 403 with the code of
/// the reason and words that fit the route's rule.
pub fn refused(refusal: Refusal, rule: Rule) -> ApiError {
    let Refusal::Forbidden(reason) = refusal else { return ApiError::NotFound };
    let (code, detail) = match (reason, rule) {
        (Forbidden::BrokerOnly, Rule::BrokerQueue) => (ErrorCode::BrokerOnly, "The queue is for brokers."),
        (Forbidden::BrokerOnly, Rule::Insights) => (ErrorCode::BrokerOnly, "Insights are for brokers."),
        (Forbidden::BrokerOnly, _) => (ErrorCode::BrokerOnly, "Only a broker for the area can review a request."),
        (Forbidden::ConsentMustBePersonal, Rule::AnswerCheckIn) => {
            (ErrorCode::ConsentMustBePersonal, "Only the person themselves can answer a check-in.")
        }
        (Forbidden::ConsentMustBePersonal, Rule::Agreement(_)) => {
            (ErrorCode::ConsentMustBePersonal, "Each person confirms the agreement themselves.")
        }
        (Forbidden::MembersOnly, Rule::Agreement(_)) => {
            (ErrorCode::PartiesOnly, "Only the people in it, or their supporters, can change the agreement.")
        }
        (Forbidden::RoleNotAllowed, Rule::CheckIns) => {
            (ErrorCode::RoleNotAllowed, "Check-ins are for the person, their supporters and their area's brokers.")
        }
        (Forbidden::OutsideAuthority, Rule::Insights) => {
            (ErrorCode::OutsideAuthority, "Brokers see the insights of the authorities they cover.")
        }
        (Forbidden::ConsentMustBePersonal, Rule::ManageProfile | Rule::CreateProfile) => {
            (ErrorCode::ConsentMustBePersonal, "Only the person themselves can turn a public listing on.")
        }
        (Forbidden::ConsentMustBePersonal, _) => {
            (ErrorCode::ConsentMustBePersonal, "Only the person themselves can give or refuse consent.")
        }
        (Forbidden::MembersOnly, _) => {
            (ErrorCode::PartiesOnly, "Only the two people, or their supporters, can do this.")
        }
        (Forbidden::RoleNotAllowed, Rule::Report) => {
            (ErrorCode::RoleNotAllowed, "Reports are raised by members, their supporters or brokers.")
        }
        (Forbidden::RoleNotAllowed, _) => {
            (ErrorCode::RoleNotAllowed, "Requests are made by members, their supporters or brokers.")
        }
        (Forbidden::OutsideAuthority, Rule::BrokerQueue) => {
            (ErrorCode::OutsideAuthority, "Brokers see the queues of the authorities they cover.")
        }
        (Forbidden::OutsideAuthority, _) => {
            (ErrorCode::OutsideAuthority, "Brokers may only keep profiles in the authorities they cover.")
        }
        (Forbidden::ProfileRequired, _) => {
            (ErrorCode::ProfileRequired, "Create your profile first: members search around their own area.")
        }
        (Forbidden::AdminOnly, _) => (ErrorCode::AdminOnly, "Only an admin can manage embed keys."),
    };
    ApiError::Forbidden { code, detail }
}

impl From<crate::indexes::IndexesError> for ApiError {
    fn from(error: crate::indexes::IndexesError) -> Self {
        match error {
            crate::indexes::IndexesError::Store(store) => store.into(),
            crate::indexes::IndexesError::SearchBehind(_) => Self::NotReady,
            crate::indexes::IndexesError::RebuildRunning => Self::Conflict {
                code: ErrorCode::ReindexRunning,
                detail: "A reindex of this node is running. It answers when it is done; wait for that answer.".into(),
            },
            crate::indexes::IndexesError::Poisoned(_) | crate::indexes::IndexesError::Search(_) => {
                tracing::error!(error = %error, "indexes failed");
                Self::Internal
            }
        }
    }
}

impl From<crate::indexes::Poisoned> for ApiError {
    fn from(error: crate::indexes::Poisoned) -> Self {
        tracing::error!(error = %error, "indexes failed");
        Self::Internal
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::AlreadyExists => Self::AlreadyExists,
            StoreError::VersionConflict { .. } => Self::VersionConflict,
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %error, "database unavailable");
                Self::Unavailable
            }
            StoreError::StorageFull => {
                tracing::error!("database storage is full");
                Self::StorageFull
            }
            StoreError::Corrupt(_) | StoreError::Setup(_) | StoreError::Database(_) => {
                tracing::error!(error = %error, "store failed");
                Self::Internal
            }
        }
    }
}

/// A JSON body of the expected shape, or a 422 `invalid_body` whose message
/// echoes no value.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> Result<T, ApiError> {
    // Every body is an object; serde would also take an array of the
    // fields in order.
    if !body.is_object() {
        return Err(ApiError::InvalidBody("the body must be a JSON object".into()));
    }
    serde_json::from_value(body).map_err(|error| ApiError::InvalidBody(redact_serde_message(&error.to_string())))
}

/// As [`parse_body`], for a body that may be left out (then the default).
pub fn parse_optional_body<T: serde::de::DeserializeOwned + Default>(
    body: Option<serde_json::Value>,
) -> Result<T, ApiError> {
    body.map_or_else(|| Ok(T::default()), parse_body)
}

/// Removes quoted values from a serde message, so that a name typed into a
/// number field is not echoed back or logged.
pub fn redact_serde_message(message: &str) -> String {
    let mut redacted = String::with_capacity(message.len());
    let mut in_quotes = false;
    for character in message.chars() {
        if character == '"' {
            if !in_quotes {
                redacted.push_str("\"…\"");
            }
            in_quotes = !in_quotes;
        } else if !in_quotes {
            redacted.push(character);
        }
    }
    redacted
}

/// `PathConfig` error handler.
pub fn path_error(_error: PathError, _request: &HttpRequest) -> actix_web::Error {
    ApiError::InvalidPath.into()
}

/// `QueryConfig` error handler.
pub fn query_error(error: QueryPayloadError, _request: &HttpRequest) -> actix_web::Error {
    ApiError::InvalidQuery(redact_serde_message(&error.to_string())).into()
}

/// Middleware: turns any error response that is not already problem+json
/// (actix's own 404 for an unknown route, 405, payload errors) into one.
pub async fn problem_for_bare_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(request).await?;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !status.is_client_error() && !status.is_server_error() || is_problem {
        return Ok(response.map_into_boxed_body());
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let detail = match status {
        StatusCode::NOT_FOUND => "No route matches this path.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "This path does not accept this method.".to_owned(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    let mut replacement = problem_response(Some(status), ErrorCode::for_status(status), detail, &[]);
    if let Some(allow) = allow {
        replacement.headers_mut().insert(header::ALLOW, allow);
    }
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, replacement))
}

/// 405 with the `Allow` header, for a known path with another method.
pub fn method_not_allowed(allowed: &str) -> HttpResponse {
    let mut response =
        problem_response(None, ErrorCode::MethodNotAllowed, "This path does not accept this method.".into(), &[]);
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_says_when_to_come_back() {
        let response = ApiError::RateLimited { retry_after_seconds: 7 }.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(header::RETRY_AFTER).and_then(|value| value.to_str().ok()), Some("7"));
        let response = ApiError::Unavailable.error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).and_then(|value| value.to_str().ok()), Some("2"));
    }

    #[test]
    fn serde_messages_lose_quoted_values() {
        let message = r#"invalid type: string "Zed Canary", expected u16 at line 1 column 20"#;
        assert_eq!(redact_serde_message(message), r#"invalid type: string "…", expected u16 at line 1 column 20"#);
    }
}
