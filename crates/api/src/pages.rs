//! One page of a list, and the keyset cursors of the introduction list and
//! the broker queue.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::errors::ApiError;

/// Items per list page when no `limit` is given.
pub const DEFAULT_PAGE: usize = 20;
/// Most items per list page.
pub const MAX_PAGE: usize = 100;

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// Items.
    pub items: Vec<T>,
    /// Cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

/// Keyset cursor `(created_at, id)`, as an opaque string.
pub fn encode_cursor(created_at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}.{}", created_at.timestamp_micros(), id.simple())
}

/// Parses a cursor from [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let invalid = || ApiError::InvalidCursor;
    let (micros, id) = cursor.split_once('.').ok_or_else(invalid)?;
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(invalid)?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((at, id))
}

/// "3 days", "5 hours", "12 minutes".
pub fn waited_in_words(seconds: i64) -> String {
    let plural = |count: i64, unit: &str| if count == 1 { format!("1 {unit}") } else { format!("{count} {unit}s") };
    match seconds.max(0) {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s => plural(s / 60, "minute"),
    }
}
