//! Field-level validation errors, shared by every parser in this crate.

use serde::Serialize;

/// One problem with one input field, as reported in problem+json `errors`.
///
/// `message` is written for the person filling in the form. It never repeats
/// free text the caller sent (a name, an email, a postcode), so that an error
/// body or a log line built from it cannot leak personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path of the field, e.g. `preferences.age_min` or `interests[2]`.
    pub field: String,
    /// Stable machine-readable reason, e.g. `too_long`, `unknown_term`.
    pub code: &'static str,
    /// Plain-words explanation.
    pub message: String,
}

impl FieldError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}
