//! Bearer-token authentication (DESIGN §6).
//!
//! The service is a resource server: it validates JWTs, it keeps no
//! passwords. Each trusted key pins one algorithm: the HS256 secret, or each
//! JWKS key by its `kid` and `alg`. `none` is refused (it is not an
//! algorithm `jsonwebtoken` will parse), `exp`, `iss`, `aud` and `sub` are
//! required, `nbf` is checked, clock skew is at most [`LEEWAY_SECONDS`], and
//! claims of the wrong type are refused. The token is read from the
//! `Authorization` header only. Every failure gives the same 401; the reason
//! is logged at debug level, the token never.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::path::Path;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::JwtSettings;
use crate::errors::ApiError;

/// Allowed clock skew, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

pub use friends_domain::policy::Role;

/// The claims this service reads. Unknown claims are ignored (identity
/// providers add their own); known ones must have the right type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The caller's id (a member's person id).
    pub sub: Uuid,
    /// The caller's role.
    pub role: Role,
    /// Supporters: the people they act for.
    #[serde(default)]
    pub acts_for: Vec<Uuid>,
    /// Brokers: ONS codes of the authorities they cover.
    #[serde(default)]
    pub authorities: Vec<String>,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Not before (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Issuer.
    pub iss: String,
    /// Audience (a string or a list).
    pub aud: serde_json::Value,
}

/// An authenticated caller: the extractor for every protected handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Token subject.
    pub subject: Uuid,
    /// Role.
    pub role: Role,
    /// People a supporter acts for.
    pub acts_for: Vec<Uuid>,
    /// Authorities a broker covers.
    pub authorities: Vec<String>,
}

impl Caller {
    /// The caller as the access rules of `friends_domain` see them.
    pub fn actor(&self) -> friends_domain::policy::Actor<'_> {
        friends_domain::policy::Actor {
            role: self.role,
            subject: self.subject,
            acts_for: &self.acts_for,
            authorities: &self.authorities,
        }
    }

    /// The caller as an event records them, acting for `on_behalf_of`.
    pub fn event_actor(&self, on_behalf_of: Option<Uuid>) -> friends_store::EventActor {
        friends_store::EventActor { actor: Some(self.subject), role: self.role.as_str().to_owned(), on_behalf_of }
    }
}

struct TrustedKey {
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Keys and rules for validating tokens; built once at start.
pub struct TokenVerifier {
    hmac: Option<TrustedKey>,
    by_kid: HashMap<String, TrustedKey>,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TokenVerifier")
            .field("hmac", &self.hmac.is_some())
            .field("kids", &self.by_kid.keys().collect::<Vec<_>>())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("JWKS: {0}")]
pub struct KeyError(pub String);

impl TokenVerifier {
    /// Builds the verifier from settings, reading the JWKS file if any.
    pub fn from_settings(settings: &JwtSettings) -> Result<Self, KeyError> {
        let by_kid = match &settings.jwks_file {
            Some(path) => load_jwks(path)?,
            None => HashMap::new(),
        };
        let hmac = settings.secret.as_ref().map(|secret| TrustedKey {
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret.expose().as_bytes()),
        });
        Ok(Self { hmac, by_kid, issuer: settings.issuer.clone(), audience: settings.audience.clone() })
    }

    /// Validates a bearer token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let token_header = decode_header(token).map_err(|error| format!("header: {error}"))?;
        let trusted = match &token_header.kid {
            Some(kid) => self.by_kid.get(kid).ok_or("unknown kid")?,
            None => self.hmac.as_ref().ok_or("no kid and no shared secret")?,
        };
        if token_header.alg != trusted.algorithm {
            return Err(format!("algorithm {:?} is not the key's", token_header.alg));
        }
        let mut validation = Validation::new(trusted.algorithm);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data = decode::<Claims>(token, &trusted.key, &validation).map_err(|error| format!("claims: {error}"))?;
        Ok(data.claims)
    }

    /// Authenticates a request from its `Authorization` header.
    pub fn authenticate(&self, request: &HttpRequest) -> Result<Caller, ApiError> {
        let reason = match bearer_token(request) {
            Some(token) => match self.verify(token) {
                Ok(claims) => {
                    return Ok(Caller {
                        subject: claims.sub,
                        role: claims.role,
                        acts_for: claims.acts_for,
                        authorities: claims.authorities,
                    });
                }
                Err(reason) => reason,
            },
            None => "no bearer token".to_owned(),
        };
        // Claim errors quote the offending value; keep values out of the log.
        tracing::debug!(reason = %crate::errors::redact_serde_message(&reason), "authentication failed");
        Err(ApiError::Unauthorized)
    }
}

/// The bearer token of a request with exactly one `Authorization` header.
/// Two are refused, not resolved: a proxy in front may have read the other.
fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let mut headers = request.headers().get_all(header::AUTHORIZATION);
    let value = headers.next()?;
    if headers.next().is_some() {
        return None;
    }
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

fn load_jwks(path: &Path) -> Result<HashMap<String, TrustedKey>, KeyError> {
    let text =
        std::fs::read_to_string(path).map_err(|error| KeyError(format!("cannot read {}: {error}", path.display())))?;
    let set: JwkSet = serde_json::from_str(&text).map_err(|error| KeyError(format!("not a JWK set: {error}")))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let kid = jwk.common.key_id.clone().ok_or_else(|| KeyError("every key needs a kid".into()))?;
        let named = jwk
            .common
            .key_algorithm
            .ok_or_else(|| KeyError(format!("key {kid} needs an alg (the algorithm is pinned per key)")))?;
        let algorithm: Algorithm =
            named.to_string().parse().map_err(|_| KeyError(format!("key {kid}: unsupported alg {named}")))?;
        if !matches!(algorithm, Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA) {
            return Err(KeyError(format!("key {kid}: alg {named} is not one of RS256, ES256, EdDSA")));
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|error| KeyError(format!("key {kid}: {error}")))?;
        keys.insert(kid, TrustedKey { algorithm, key });
    }
    Ok(keys)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let Some(verifier) = request.app_data::<web::Data<TokenVerifier>>() else {
            tracing::error!("token verifier is not configured");
            return ready(Err(ApiError::Internal));
        };
        ready(verifier.authenticate(request))
    }
}
