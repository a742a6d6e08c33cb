//! Embed keys, for admins: `POST`, `GET /v1/admin/embed-keys` and `DELETE
//! /v1/admin/embed-keys/{id}`. A key is shown in the answer that made it and
//! never again; it is stored only as a hash.

use chrono::{DateTime, Utc};
use friends_domain::policy::{self, Rule};
use friends_domain::text::check_text;
use friends_domain::{FieldCode, FieldError};
use friends_store::{NewEmbedKey, Store, StoredEmbedKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::FreshKey;
use crate::auth::Caller;
use crate::errors::{ApiError, parse_body, refused};
use crate::reference::Reference;

/// Most origins one key allows.
pub const MAX_ORIGINS: usize = 10;
/// Longest origin, in characters.
pub const MAX_ORIGIN_CHARS: usize = 200;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// `POST /v1/admin/embed-keys` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    authority: String,
    origins: Vec<String>,
    label: String,
}

/// An embed key as admins read it: never the key, except in the answer that
/// made it.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedKeyView {
    /// Id.
    pub id: Uuid,
    /// ONS code of its authority.
    pub authority: String,
    /// Allowed origins.
    pub origins: Vec<String>,
    /// Label.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The key itself: in the 201 answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl EmbedKeyView {
    fn of(key: StoredEmbedKey, shown_once: Option<String>) -> Self {
        Self {
            id: key.id,
            authority: key.authority,
            origins: key.origins,
            label: key.label,
            created_at: key.created_at,
            key: shown_once,
        }
    }
}

/// A web origin as browsers send it in `Origin`: `https://host[:port]`
/// (plain `http` for `localhost` and `127.0.0.1` only, for trials), lower
/// case, no path, the default port left out.
pub fn normalise_origin(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_lowercase();
    let (scheme, rest) = text.split_once("://")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.')
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-']);
    let local = host == "localhost" || host == "127.0.0.1";
    let default_port = match scheme {
        "https" => "443",
        "http" if local => "80",
        _ => return None,
    };
    if !host_ok {
        return None;
    }
    match port {
        None => Some(format!("{scheme}://{host}")),
        Some(port) if port == default_port => Some(format!("{scheme}://{host}")),
        Some(port) if port.parse::<u16>().is_ok_and(|port| port > 0) && !port.starts_with('0') => {
            Some(format!("{scheme}://{host}:{port}"))
        }
        Some(_) => None,
    }
}

/// The embed keys service.
#[derive(Debug, Clone)]
pub struct EmbedKeys<'a> {
    /// The store.
    pub store: &'a Store,
    /// Areas (to check the authority).
    pub reference: &'a Reference,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

impl EmbedKeys<'_> {
    /// `POST /v1/admin/embed-keys`: a new key, shown this once.
    pub async fn create(&self, caller: &Caller, body: serde_json::Value) -> Result<EmbedKeyView, ApiError> {
        policy::admin_only(caller.actor()).map_err(|refusal| refused(refusal, Rule::AdminOnly))?;
        let key = self.create_as(caller.subject, body).await?;
        tracing::info!(admin = %caller.subject, embed_key_id = %key.id, "embed key created");
        Ok(key)
    }

    /// Makes a key on behalf of `created_by` (an admin, or an operator at
    /// the command line: `friends embed-key`), with the same checks.
    pub async fn create_as(&self, created_by: Uuid, body: serde_json::Value) -> Result<EmbedKeyView, ApiError> {
        let body: NewKeyBody = parse_body(body)?;
        let mut errors = Vec::new();
        if self.reference.areas.authority_name(&body.authority).is_none() {
            errors.push(FieldError::new(
                "authority",
                FieldCode::UnknownAuthority,
                "Not an ONS local authority code, like E09000027.",
            ));
        }
        if body.origins.is_empty() || body.origins.len() > MAX_ORIGINS {
            errors.push(FieldError::new(
                "origins",
                if body.origins.is_empty() { FieldCode::Required } else { FieldCode::TooMany },
                format!("Give 1 to {MAX_ORIGINS} origins, like https://www.council.gov.uk."),
            ));
        }
        let mut origins = Vec::new();
        for (at, origin) in body.origins.iter().enumerate() {
            match normalise_origin(origin).filter(|_| origin.chars().count() <= MAX_ORIGIN_CHARS) {
                Some(origin) if !origins.contains(&origin) => origins.push(origin),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    format!("origins[{at}]"),
                    FieldCode::InvalidOrigin,
                    "An origin is https:// and a host name, like https://www.council.gov.uk, with no path.",
                )),
            }
        }
        let label = match check_text("label", &body.label, 1, MAX_LABEL_CHARS, false) {
            Ok(label) => label,
            Err(error) => {
                errors.push(error);
                String::new()
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let fresh = FreshKey::draw()?;
        let new = NewEmbedKey {
            id: Uuid::new_v4(),
            key_hash: fresh.hash,
            authority: body.authority,
            origins,
            label,
            listing_salt: fresh.listing_salt,
            created_by,
        };
        let stored = self.store.create_embed_key(new, self.now).await?;
        Ok(EmbedKeyView::of(stored, Some(fresh.key)))
    }

    /// `GET /v1/admin/embed-keys`: the keys in use, newest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<EmbedKeyView>, ApiError> {
        policy::admin_only(caller.actor()).map_err(|refusal| refused(refusal, Rule::AdminOnly))?;
        let keys = self.store.active_embed_keys().await?;
        Ok(keys.into_iter().map(|key| EmbedKeyView::of(key, None)).collect())
    }

    /// `DELETE /v1/admin/embed-keys/{id}`: revoked at once, on every node
    /// (each public request looks its key up in the database).
    pub async fn revoke(&self, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        policy::admin_only(caller.actor()).map_err(|refusal| refused(refusal, Rule::AdminOnly))?;
        self.store.revoke_embed_key(id, caller.subject, self.now).await?;
        tracing::info!(admin = %caller.subject, embed_key_id = %id, "embed key revoked");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_what_browsers_send() {
        assert_eq!(normalise_origin("https://www.Council.gov.uk").as_deref(), Some("https://www.council.gov.uk"));
        assert_eq!(normalise_origin("https://a.example:443").as_deref(), Some("https://a.example"));
        assert_eq!(normalise_origin("https://a.example:8443").as_deref(), Some("https://a.example:8443"));
        assert_eq!(normalise_origin("http://localhost:8080").as_deref(), Some("http://localhost:8080"));
        for bad in [
            "http://a.example",
            "https://a.example/",
            "https://a.example/path",
            "https://",
            "https://a.example:0",
            "https://a.example:99999",
            "ftp://a.example",
            "a.example",
            "https://user@a.example",
            "https://*.example",
            "null",
        ] {
            assert_eq!(normalise_origin(bad), None, "{bad}");
        }
    }
}
