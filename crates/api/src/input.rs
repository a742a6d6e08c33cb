//! Free text from request bodies, checked the same way everywhere.

use friends_domain::text::check_text;

use crate::errors::ApiError;

/// Longest `supported_by` (who helped someone answer), in characters.
pub const SUPPORTED_BY_MAX_CHARS: usize = 100;

/// Optional free text: trimmed, checked, and `None` when empty.
pub(crate) fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
    newlines: bool,
) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(value) => {
            let text =
                check_text(field, &value, 0, max, newlines).map_err(|error| ApiError::Validation(vec![error]))?;
            Ok((!text.is_empty()).then_some(text))
        }
    }
}
