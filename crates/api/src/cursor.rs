//! Search cursors: opaque to clients, authenticated, and bound to the
//! caller and the query they came from.
//!
//! A cursor is `v1.` then the position (the last hit's score bits and id, as
//! the search crate writes it) then an HMAC-SHA-256 tag (first 16 bytes) over
//! the caller and the query. A cursor that was altered, made up, or taken to
//! another query or another caller does not verify, and is refused
//! (`invalid_cursor`) rather than used to aim a page.
//!
//! The key is derived from the HS256 token secret when there is one, so
//! every node that trusts the same tokens accepts each other's cursors and a
//! restart keeps them. With asymmetric keys only, each process draws its own
//! key; a cursor then lasts as long as the process, and a client that gets
//! `invalid_cursor` starts from the first page.

use friends_search::Cursor;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::JwtSettings;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "v1.";
const POSITION_CHARS: usize = 40;
const TAG_BYTES: usize = 16;

/// The key cursors are signed with.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("CursorKey(…)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok()).collect()
}

impl CursorKey {
    /// Derived from the HS256 secret if configured, else random.
    pub fn from_settings(jwt: &JwtSettings) -> Self {
        match &jwt.secret {
            Some(secret) => Self::derived(secret.expose().as_bytes()),
            None => Self::random(),
        }
    }

    /// A key derived from `secret` (domain-separated, so a cursor tag is
    /// never a token signature).
    pub fn derived(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"finding-friends search cursor key v1");
        Self(mac.finalize().into_bytes().into())
    }

    /// A key of this process alone.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(key)
    }

    fn mac(&self, binding: &[u8], position: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(&(binding.len() as u64).to_be_bytes());
        mac.update(binding);
        mac.update(position.as_bytes());
        mac
    }

    /// The cursor's text for a page of the query described by `binding`.
    pub fn seal(&self, binding: &[u8], cursor: &Cursor) -> String {
        let position = cursor.encode();
        let tag = self.mac(binding, &position).finalize().into_bytes();
        format!("{PREFIX}{position}{}", hex(&tag[..TAG_BYTES]))
    }

    /// The position in `text`, if this key sealed it for `binding`.
    pub fn open(&self, binding: &[u8], text: &str) -> Option<Cursor> {
        let rest = text.strip_prefix(PREFIX)?;
        if rest.len() != POSITION_CHARS + 2 * TAG_BYTES || !rest.is_ascii() {
            return None;
        }
        let (position, tag) = rest.split_at(POSITION_CHARS);
        let tag = unhex(tag)?;
        self.mac(binding, position).verify_truncated_left(&tag).ok()?;
        Cursor::decode(position)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cursor() -> Cursor {
        Cursor { score: 0.75, id: uuid::Uuid::from_u128(42) }
    }

    #[test]
    fn a_sealed_cursor_opens_only_with_its_key_and_binding() {
        let key = CursorKey::derived(b"one");
        let text = key.seal(b"query a", &cursor());
        assert_eq!(key.open(b"query a", &text), Some(cursor()));
        assert_eq!(key.open(b"query b", &text), None, "another query");
        assert_eq!(CursorKey::derived(b"two").open(b"query a", &text), None, "another key");
        assert_eq!(key.open(b"query a", &cursor().encode()), None, "the bare position");
    }

    #[test]
    fn changing_any_character_breaks_it() {
        let key = CursorKey::derived(b"one");
        let text = key.seal(b"q", &cursor());
        for at in 0..text.len() {
            let mut bytes = text.clone().into_bytes();
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            let altered = String::from_utf8(bytes).unwrap_or_default();
            if altered != text {
                assert_eq!(key.open(b"q", &altered), None, "changed at {at}");
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_opens_or_panics(text in "\\PC{0,90}|v1\\.[0-9a-f]{72}") {
            prop_assert_eq!(CursorKey::derived(b"k").open(b"q", &text), None);
        }
    }
}
