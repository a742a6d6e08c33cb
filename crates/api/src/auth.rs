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
//!
//! Asymmetric keys come from a JWKS file or from the identity provider's
//! `jwks_uri`, and are rotated without a restart: the file is re-read when
//! it changes, the URL fetched every `FRIENDS_JWKS_REFRESH_SECONDS` and on
//! a token with an unknown `kid` (at most once a [`UNKNOWN_KID_REFRESH`]);
//! a failed read or fetch keeps the last good set. A key removed at the
//! source is refused after the next refresh.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;
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

    /// Whether the caller is `person`, or a supporter acting for them.
    pub fn is_on_the_side_of(&self, person: Uuid) -> bool {
        match self.role {
            Role::Member => self.subject == person,
            Role::Supporter => self.acts_for.contains(&person),
            Role::Broker | Role::Admin => false,
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

/// Where the asymmetric keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A JWKS file (`FRIENDS_JWKS_FILE`), re-read when it changes.
    File(PathBuf),
    /// The identity provider's `jwks_uri` (`FRIENDS_JWKS_URL`).
    Url(String),
}

/// How often the key source is looked at: a file for a change, a URL for
/// whether its refresh is due.
pub const KEYS_TICK: Duration = Duration::from_secs(5);
/// A token with an unknown `kid` fetches the keys at most this often, so
/// that junk tokens cannot make the service hammer the identity provider.
pub const UNKNOWN_KID_REFRESH: Duration = Duration::from_secs(60);
/// How long a fetch of the keys may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest key set accepted, in bytes.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

type KeyMap = HashMap<String, Arc<TrustedKey>>;

/// When the keys were last looked for, and what the file looked like.
#[derive(Debug, Default)]
struct Refreshes {
    /// The last fetch or read, whatever came of it.
    last_attempt: Option<Instant>,
    /// The last one caused by an unknown `kid`.
    last_for_unknown_kid: Option<Instant>,
    /// The file's modification time and length when last read.
    file_stamp: Option<(SystemTime, u64)>,
}

/// Keys and rules for validating tokens. The asymmetric keys are replaced,
/// never edited, when their source changes: a refresh that fails keeps the
/// last good set.
pub struct TokenVerifier {
    hmac: Option<TrustedKey>,
    keys: RwLock<Arc<KeyMap>>,
    source: Option<KeySource>,
    refresh_every: Duration,
    refreshes: tokio::sync::Mutex<Refreshes>,
    client: reqwest::Client,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TokenVerifier")
            .field("hmac", &self.hmac.is_some())
            .field("kids", &self.kids())
            .field("source", &self.source)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// A key set that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("JWKS: {0}")]
pub struct KeyError(pub String);

impl TokenVerifier {
    /// Builds the verifier from settings. A key file must be readable; a
    /// key URL that cannot be fetched now is logged and fetched again on
    /// schedule and on the first token with an unknown `kid`, so that an
    /// identity provider's outage does not stop the nodes from starting.
    pub async fn from_settings(settings: &JwtSettings) -> Result<Self, KeyError> {
        let source = match (&settings.jwks_file, &settings.jwks_url) {
            (Some(_), Some(_)) => return Err(KeyError("set FRIENDS_JWKS_FILE or FRIENDS_JWKS_URL, not both".into())),
            (Some(path), None) => Some(KeySource::File(path.clone())),
            (None, Some(url)) => Some(KeySource::Url(url.clone())),
            (None, None) => None,
        };
        let hmac = settings.secret.as_ref().map(|secret| TrustedKey {
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret.expose().as_bytes()),
        });
        // Keys fetched over https are never fetched from a redirect to http.
        let https = settings.jwks_url.as_deref().is_some_and(|url| url.starts_with("https://"));
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .https_only(https)
            .build()
            .map_err(|error| KeyError(format!("HTTP client: {error}")))?;
        let verifier = Self {
            hmac,
            keys: RwLock::new(Arc::new(HashMap::new())),
            source,
            refresh_every: settings.jwks_refresh,
            refreshes: tokio::sync::Mutex::new(Refreshes::default()),
            client,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        };
        match &verifier.source {
            Some(KeySource::File(_)) => verifier.refresh_now().await?,
            Some(KeySource::Url(_)) => {
                if let Err(error) = verifier.refresh_now().await {
                    tracing::error!(error = %error, "no keys from FRIENDS_JWKS_URL yet; tokens signed by the identity provider are refused until a fetch works");
                }
            }
            None => {}
        }
        Ok(verifier)
    }

    /// The `kid`s trusted now.
    pub fn kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self.current().keys().cloned().collect();
        kids.sort();
        kids
    }

    fn current(&self) -> Arc<KeyMap> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads or fetches the keys now; on success they replace the old set,
    /// on failure the old set stays.
    pub async fn refresh_now(&self) -> Result<(), KeyError> {
        let mut refreshes = self.refreshes.lock().await;
        self.refresh_locked(&mut refreshes).await
    }

    async fn refresh_locked(&self, refreshes: &mut Refreshes) -> Result<(), KeyError> {
        let Some(source) = &self.source else { return Ok(()) };
        refreshes.last_attempt = Some(Instant::now());
        let loaded = match source {
            KeySource::File(path) => {
                refreshes.file_stamp = file_stamp(path);
                std::fs::read(path)
                    .map_err(|error| KeyError(format!("cannot read {}: {error}", path.display())))
                    .and_then(|bytes| parse_jwks(&bytes))
            }
            KeySource::Url(url) => self.fetch(url).await.and_then(|bytes| parse_jwks(&bytes)),
        };
        match loaded {
            Ok(keys) => {
                let count = keys.len();
                let replaced = {
                    let mut current = match self.keys.write() {
                        Ok(current) => current,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    let changed = current.keys().collect::<std::collections::BTreeSet<_>>()
                        != keys.keys().collect::<std::collections::BTreeSet<_>>();
                    *current = Arc::new(keys);
                    changed
                };
                if replaced {
                    tracing::info!(keys = count, "token keys loaded");
                }
                Ok(())
            }
            Err(error) => {
                tracing::warn!(error = %error, "token keys not refreshed; the last good set stays");
                Err(error)
            }
        }
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, KeyError> {
        let mut response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| KeyError(format!("fetch: {}", error.without_url())))?;
        if !response.status().is_success() {
            return Err(KeyError(format!("fetch: the identity provider answered {}", response.status().as_u16())));
        }
        let mut body = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|error| KeyError(format!("fetch: {}", error.without_url())))?
        {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(KeyError(format!("the key set is over {MAX_JWKS_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The scheduled look at the source (every [`KEYS_TICK`]): a file is
    /// re-read when its time or length changed, a URL fetched when its
    /// refresh is due.
    pub async fn tick(&self) -> Result<(), KeyError> {
        let mut refreshes = self.refreshes.lock().await;
        let due = match &self.source {
            None => false,
            Some(KeySource::File(path)) => file_stamp(path) != refreshes.file_stamp,
            Some(KeySource::Url(_)) => refreshes.last_attempt.is_none_or(|last| last.elapsed() >= self.refresh_every),
        };
        if due { self.refresh_locked(&mut refreshes).await } else { Ok(()) }
    }

    /// A token named a `kid` we do not hold: the provider may have rotated.
    /// Refreshes, unless one was made for this reason in the last
    /// [`UNKNOWN_KID_REFRESH`]; the key, if it is there now.
    async fn refresh_for_unknown(&self, kid: &str) -> Option<Arc<TrustedKey>> {
        self.source.as_ref()?;
        let mut refreshes = self.refreshes.lock().await;
        // Another request may have fetched it while this one waited.
        if let Some(key) = self.current().get(kid) {
            return Some(key.clone());
        }
        if refreshes.last_for_unknown_kid.is_some_and(|last| last.elapsed() < UNKNOWN_KID_REFRESH) {
            return None;
        }
        refreshes.last_for_unknown_kid = Some(Instant::now());
        let _ = self.refresh_locked(&mut refreshes).await;
        self.current().get(kid).cloned()
    }

    /// Validates a bearer token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, String> {
        let token_header = decode_header(token).map_err(|error| format!("header: {error}"))?;
        let found;
        let trusted = match &token_header.kid {
            Some(kid) => {
                found = match self.current().get(kid) {
                    Some(key) => key.clone(),
                    None => self.refresh_for_unknown(kid).await.ok_or("unknown kid")?,
                };
                found.as_ref()
            }
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
    pub async fn authenticate(&self, request: &HttpRequest) -> Result<Caller, ApiError> {
        let reason = match bearer_token(request) {
            Some(token) => match self.verify(token).await {
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

fn file_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
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

/// The usable signing keys of a JWK set. A provider's set may also hold
/// keys that are not for us (for encryption, of another algorithm, of a
/// kind this version cannot read): each is skipped, by `kid`, and the rest
/// are trusted. A set with no usable key is an error, so that the last good
/// set is kept rather than every token refused.
fn parse_jwks(bytes: &[u8]) -> Result<KeyMap, KeyError> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_slice(bytes).map_err(|error| {
        KeyError(format!("not a JWK set: {}", crate::errors::redact_serde_message(&error.to_string())))
    })?;
    let mut keys = HashMap::new();
    let mut skipped = Vec::new();
    for value in set.keys {
        match usable_key(value) {
            Ok((kid, key)) => {
                keys.insert(kid, Arc::new(key));
            }
            Err(reason) => skipped.push(reason),
        }
    }
    if !skipped.is_empty() {
        tracing::warn!(skipped = %skipped.join("; "), trusted = keys.len(), "JWK set: some keys are not usable");
    }
    if keys.is_empty() {
        return Err(KeyError("the JWK set has no usable signing key (RS256, ES256 or EdDSA, with kid and alg)".into()));
    }
    Ok(keys)
}

/// One key of a set, if it can verify our tokens; else why not.
fn usable_key(value: serde_json::Value) -> Result<(String, TrustedKey), String> {
    let kid = value.get("kid").and_then(serde_json::Value::as_str).map(str::to_owned);
    let name = kid.clone().unwrap_or_else(|| "(no kid)".to_owned());
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(value).map_err(|_| format!("{name}: not a key this version reads"))?;
    let kid = kid.ok_or_else(|| format!("{name}: every key needs a kid"))?;
    if let Some(usage) = &jwk.common.public_key_use
        && *usage != jsonwebtoken::jwk::PublicKeyUse::Signature
    {
        return Err(format!("{kid}: not a signing key"));
    }
    let named = jwk.common.key_algorithm.ok_or_else(|| format!("{kid}: no alg (the algorithm is pinned per key)"))?;
    let algorithm: Algorithm = named.to_string().parse().map_err(|_| format!("{kid}: unsupported alg {named}"))?;
    if !matches!(algorithm, Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA) {
        return Err(format!("{kid}: alg {named} is not one of RS256, ES256, EdDSA"));
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|error| format!("{kid}: {error}"))?;
    Ok((kid, TrustedKey { algorithm, key }))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let Some(verifier) = request.app_data::<web::Data<TokenVerifier>>() else {
                tracing::error!("token verifier is not configured");
                return Err(ApiError::Internal);
            };
            let caller = verifier.authenticate(&request).await?;
            // Every authenticated request counts against its caller's limit.
            if let Some(limits) = request.app_data::<web::Data<crate::rate_limits::CallerLimits>>() {
                limits.check_request(caller.subject)?;
            }
            Ok(caller)
        })
    }
}
