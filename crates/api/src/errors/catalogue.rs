//! The closed catalogue of error codes: every `code` a problem+json body can
//! carry, with its HTTP status and its title, in one table. A call site
//! names a variant; no code is a string anywhere else.

use actix_web::http::StatusCode;
use serde::Serialize;

macro_rules! catalogue {
    ($($(#[$doc:meta])* $variant:ident => ($code:literal, $status:ident, $title:literal),)+) => {
        /// Every stable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// The whole catalogue.
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            /// The code clients match on.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The HTTP status it is answered with.
            pub fn status(self) -> StatusCode {
                match self {
                    $(Self::$variant => StatusCode::$status,)+
                }
            }

            /// A short summary, the same for every occurrence (RFC 9457).
            pub fn title(self) -> &'static str {
                match self {
                    $(Self::$variant => $title,)+
                }
            }
        }
    };
}

catalogue! {
    /// No valid bearer token.
    Unauthorized => ("unauthorized", UNAUTHORIZED, "A valid token is needed"),
    /// Nothing the caller may know of is here.
    NotFound => ("not_found", NOT_FOUND, "Not found"),
    /// Only a broker for the area may do this.
    BrokerOnly => ("broker_only", FORBIDDEN, "Only a broker for the area can do this"),
    /// Only the person themselves may consent.
    ConsentMustBePersonal => ("consent_must_be_personal", FORBIDDEN, "Only the person themselves can answer"),
    /// Only the members of an introduction, or their supporters.
    PartiesOnly => ("parties_only", FORBIDDEN, "Only the people in the introduction can do this"),
    /// The caller's role may not do this at all.
    RoleNotAllowed => ("role_not_allowed", FORBIDDEN, "This role cannot do this"),
    /// Outside the broker's authorities.
    OutsideAuthority => ("outside_authority", FORBIDDEN, "Outside your area"),
    /// A member needs a profile first.
    ProfileRequired => ("profile_required", FORBIDDEN, "A profile is needed first"),
    /// Admin operations.
    AdminOnly => ("admin_only", FORBIDDEN, "Only an admin can do this"),
    /// No valid embed key (missing, unknown or revoked).
    EmbedKeyInvalid => ("embed_key_invalid", UNAUTHORIZED, "A valid embed key is needed"),
    /// Field-level validation failed.
    ValidationFailed => ("validation_failed", UNPROCESSABLE_ENTITY, "Some fields are not valid"),
    /// A postcode district that is not known.
    UnknownOutcode => ("unknown_outcode", UNPROCESSABLE_ENTITY, "Unknown postcode district"),
    /// A vocabulary term that is not known.
    UnknownTerm => ("unknown_term", UNPROCESSABLE_ENTITY, "Unknown term"),
    /// JSON of the wrong shape.
    InvalidBody => ("invalid_body", UNPROCESSABLE_ENTITY, "The body has the wrong shape"),
    /// Not JSON.
    MalformedJson => ("malformed_json", BAD_REQUEST, "The body is not JSON"),
    /// Not `application/json`.
    UnsupportedMediaType => ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Send JSON"),
    /// A body over the limit.
    PayloadTooLarge => ("payload_too_large", PAYLOAD_TOO_LARGE, "The body is too large"),
    /// A path segment of the wrong form.
    InvalidPath => ("invalid_path", BAD_REQUEST, "The path is not valid"),
    /// A query string of the wrong form.
    InvalidQuery => ("invalid_query", BAD_REQUEST, "The query is not valid"),
    /// A cursor this service did not give.
    InvalidCursor => ("invalid_cursor", BAD_REQUEST, "The cursor is not valid"),
    /// A header of the wrong form.
    InvalidHeader => ("invalid_header", BAD_REQUEST, "A header is not valid"),
    /// Anything else actix refuses as a bad request.
    BadRequest => ("bad_request", BAD_REQUEST, "Bad request"),
    /// A URI over the limit.
    UriTooLong => ("uri_too_long", URI_TOO_LONG, "The address is too long"),
    /// Headers over the limit.
    HeadersTooLarge => ("headers_too_large", REQUEST_HEADER_FIELDS_TOO_LARGE, "The headers are too large"),
    /// A known path with another method.
    MethodNotAllowed => ("method_not_allowed", METHOD_NOT_ALLOWED, "Method not allowed"),
    /// Creating something that exists.
    AlreadyExists => ("already_exists", CONFLICT, "It already exists"),
    /// A move not on the diagram from the current state.
    InvalidTransition => ("invalid_transition", CONFLICT, "Not possible now"),
    /// A request between these people is open.
    OpenRequestExists => ("open_request_exists", CONFLICT, "A request is already open"),
    /// A decline is too recent.
    Cooldown => ("cooldown", CONFLICT, "Too soon after a decline"),
    /// A reindex of this node is running already.
    ReindexRunning => ("reindex_running", CONFLICT, "A reindex is running"),
    /// An `Idempotency-Key` used for a different request.
    IdempotencyKeyReused => ("idempotency_key_reused", UNPROCESSABLE_ENTITY, "Idempotency-Key used for another request"),
    /// An `Idempotency-Key` whose first request has no answer yet.
    IdempotencyKeyInUse => ("idempotency_key_in_use", CONFLICT, "Idempotency-Key still in use"),
    /// A per-person limit is used up.
    LimitReached => ("limit_reached", TOO_MANY_REQUESTS, "A limit is reached"),
    /// Too many requests from this caller for now (`Retry-After` says when).
    RateLimited => ("rate_limited", TOO_MANY_REQUESTS, "Too many requests"),
    /// `If-Match` is required.
    PreconditionRequired => ("precondition_required", PRECONDITION_REQUIRED, "If-Match is needed"),
    /// `If-Match` does not match.
    VersionConflict => ("version_conflict", PRECONDITION_FAILED, "It changed since you read it"),
    /// Not ready to serve.
    NotReady => ("not_ready", SERVICE_UNAVAILABLE, "Not ready"),
    /// The database cannot be reached now.
    Unavailable => ("unavailable", SERVICE_UNAVAILABLE, "Unavailable for now"),
    /// The database's disk is full.
    StorageFull => ("storage_full", SERVICE_UNAVAILABLE, "Out of storage"),
    /// A bug or an outage.
    Internal => ("internal", INTERNAL_SERVER_ERROR, "Something went wrong"),
}

impl ErrorCode {
    /// The code actix's own refusals get, by status.
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::URI_TOO_LONG => Self::UriTooLong,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Self::HeadersTooLarge,
            status if status.is_server_error() => Self::Internal,
            _ => Self::BadRequest,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_distinct_snake_case_errors() {
        let codes: HashSet<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!(code.as_str().bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'_'), "{code:?}");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code:?}");
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::Value::String(code.as_str().into())));
        }
    }
}
