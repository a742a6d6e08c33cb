//! The council embed (DESIGN §6, §7): a council website shows, with one
//! script tag, that people in its area are looking to pool, and lets a
//! resident ask the council's brokers about one of them, without exposing
//! anyone.
//!
//! - [`keys`]: embed keys, made by an admin for one authority and its
//!   allowed origins; shown once, stored only as a hash;
//! - [`limits`]: the public routes' rate limits, owned by `AppState`;
//! - [`gate`]: the public scope's middleware: the key is the caller, CORS
//!   only for its origins, rate limits per key and client address;
//! - [`search`]: public search, answering public cards, facets and a total,
//!   counts under 5 as "fewer than 5";
//! - [`enquiries`]: a resident's question, for the brokers of the key's
//!   authority only;
//! - [`widget`]: the `<friends-search>` custom element and a demo page.
//!
//! What a public caller can and cannot learn is written down, claim by
//! claim, in ARCHITECTURE.md ("The council embed: what an attacker learns"),
//! and each claim has a test in `tests/api/embed.rs`.

pub mod enquiries;
pub mod gate;
pub mod keys;
pub mod limits;
pub mod search;
pub mod widget;

use std::future::{Ready, ready};
use std::hash::Hasher;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use siphasher::sip128::{Hasher128, SipHasher13};
use uuid::Uuid;

use crate::errors::ApiError;

/// Every embed key starts so (and is followed by 64 hex digits: 256 bits).
pub const KEY_PREFIX: &str = "ffe_";
const KEY_BYTES: usize = 32;

/// The embed key a public request came with, looked up in the database on
/// every request (so a revoked key stops at once, on every node).
#[derive(Debug, Clone)]
pub struct EmbedCaller {
    /// The key's id.
    pub key_id: Uuid,
    /// Its authority (ONS code).
    pub authority: String,
    /// Its allowed origins.
    pub origins: Vec<String>,
    /// Keys its listing ids.
    listing_key: ListingKey,
}

impl EmbedCaller {
    /// The caller the gate found for this key.
    pub(crate) fn new(key: friends_store::StoredEmbedKey) -> Option<Self> {
        Some(Self {
            key_id: key.id,
            authority: key.authority,
            origins: key.origins,
            listing_key: ListingKey::from_hex(&key.listing_salt)?,
        })
    }

    /// The caller for `key` (the text a council page sent): a missing,
    /// malformed, unknown or revoked key is the same `embed_key_invalid`.
    pub async fn lookup(store: &friends_store::Store, key: Option<&str>) -> Result<Self, ApiError> {
        let Some(hash) = key.and_then(key_hash_of) else { return Err(ApiError::EmbedKeyInvalid) };
        let stored = store.active_embed_key(&hash).await?.ok_or(ApiError::EmbedKeyInvalid)?;
        Self::new(stored).ok_or_else(|| {
            tracing::error!("an embed key's listing salt is not 32 bytes of hex");
            ApiError::Internal
        })
    }

    /// The listing id of `person` under this key.
    pub fn listing_id(&self, person: Uuid) -> Uuid {
        self.listing_key.listing_id(person)
    }

    /// Where `person` falls among equally relevant listings under this key
    /// (see [`ListingKey`]).
    pub fn order_of(&self, person: Uuid) -> u128 {
        self.listing_key.order_of(person)
    }
}

impl FromRequest for EmbedCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The gate puts it there; a route outside the public scope has none.
        ready(request.extensions().get::<Self>().cloned().ok_or(ApiError::EmbedKeyInvalid))
    }
}

/// A new key's text, and what is stored of it.
pub(crate) struct FreshKey {
    /// `ffe_` and 64 hex digits: shown once.
    pub key: String,
    /// SHA-256 of `key`, hex: stored.
    pub hash: String,
    /// Keys the listing ids under this key, hex: stored.
    pub listing_salt: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn random_bytes() -> Result<[u8; KEY_BYTES], ApiError> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::fill(&mut bytes).map_err(|error| {
        tracing::error!(error = %error, "the system's random source failed");
        ApiError::Internal
    })?;
    Ok(bytes)
}

impl FreshKey {
    /// Draws a key (256 bits) and its listing salt from the system's
    /// random source.
    pub(crate) fn draw() -> Result<Self, ApiError> {
        let key = format!("{KEY_PREFIX}{}", hex(&random_bytes()?));
        Ok(Self { hash: key_hash(&key), key, listing_salt: hex(&random_bytes()?) })
    }
}

/// The stored form of a key: SHA-256, hex. A key is 256 random bits, so a
/// fast hash is enough (there is nothing to guess); `None` for text that is
/// not shaped like a key, which is never looked up.
pub(crate) fn key_hash_of(text: &str) -> Option<String> {
    let digits = text.strip_prefix(KEY_PREFIX)?;
    let shaped = digits.len() == 2 * KEY_BYTES && digits.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    shaped.then(|| key_hash(text))
}

fn key_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// The key of one embed key's listing ids: a listing id is the first 16
/// bytes of HMAC-SHA-256(salt, person id), so it is stable under one key,
/// unrelated under another, and says nothing of the person id.
///
/// Equally relevant listings are ordered by a second keyed function of the
/// person id, SipHash-1-3 (128 bits) under a key derived from the salt: as
/// unlinkable from key to key as the listing id, and about ten times
/// cheaper, which matters because a public search orders every listed match
/// of an authority (a thousand in the largest) and shows only a page.
#[derive(Clone)]
struct ListingKey {
    mac: Hmac<Sha256>,
    order: SipHasher13,
}

impl std::fmt::Debug for ListingKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ListingKey(…)")
    }
}

impl ListingKey {
    fn from_hex(salt: &str) -> Option<Self> {
        if salt.len() != 2 * KEY_BYTES || !salt.is_ascii() {
            return None;
        }
        let bytes: Option<Vec<u8>> =
            (0..salt.len()).step_by(2).map(|at| u8::from_str_radix(salt.get(at..at + 2)?, 16).ok()).collect();
        let mac = Hmac::<Sha256>::new_from_slice(&bytes?).ok()?;
        let mut derive = mac.clone();
        derive.update(b"finding-friends listing order v1");
        let tag = derive.finalize().into_bytes();
        let mut order_key = [0u8; 16];
        order_key.copy_from_slice(&tag[..16]);
        Some(Self { mac, order: SipHasher13::new_with_key(&order_key) })
    }

    fn order_of(&self, person: Uuid) -> u128 {
        let mut hasher = self.order;
        hasher.write(person.as_bytes());
        hasher.finish128().as_u128()
    }

    fn listing_id(&self, person: Uuid) -> Uuid {
        let mut mac = self.mac.clone();
        mac.update(person.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut id = [0u8; 16];
        id.copy_from_slice(&tag[..16]);
        Uuid::from_bytes(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_256_random_bits_and_only_their_shape_is_looked_up() {
        let Ok(one) = FreshKey::draw() else { panic!("random source") };
        let Ok(two) = FreshKey::draw() else { panic!("random source") };
        assert_ne!(one.key, two.key);
        assert_eq!(one.key.len(), KEY_PREFIX.len() + 64);
        assert_eq!(key_hash_of(&one.key), Some(one.hash.clone()));
        assert_ne!(one.hash, one.key);
        assert_eq!(key_hash_of("ffe_short"), None);
        assert_eq!(key_hash_of(&one.key.to_uppercase()), None);
        assert_eq!(key_hash_of(&one.key.replacen(KEY_PREFIX, "xxx_", 1)), None);
    }

    #[test]
    fn listing_ids_are_stable_under_one_key_and_differ_under_another() {
        let Ok(one) = FreshKey::draw() else { panic!("random source") };
        let Ok(two) = FreshKey::draw() else { panic!("random source") };
        let (Some(one), Some(two)) = (ListingKey::from_hex(&one.listing_salt), ListingKey::from_hex(&two.listing_salt))
        else {
            panic!("salts are hex")
        };
        for n in 0..100u128 {
            let person = Uuid::from_u128(n);
            assert_eq!(one.listing_id(person), one.listing_id(person));
            assert_ne!(one.listing_id(person), two.listing_id(person));
            assert_ne!(one.listing_id(person), person);
            assert_eq!(one.order_of(person), one.order_of(person));
            assert_ne!(one.order_of(person), two.order_of(person));
            assert_ne!(one.order_of(person), one.listing_id(person).as_u128());
        }
    }
}
