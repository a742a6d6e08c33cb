//! Field-level validation errors, shared by every parser in this crate.

use serde::Serialize;

/// Every field-level reason: the closed catalogue of `errors[].code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    /// Control characters in text.
    ControlCharacters,
    /// Invisible or direction-changing characters in text.
    HiddenCharacters,
    /// The same key twice (an import's `external_ref`).
    Duplicate,
    /// An import line of a person who asked to be erased.
    Erased,
    /// Not an email address.
    InvalidEmail,
    /// Not a web origin (`https://host[:port]`).
    InvalidOrigin,
    /// An import line that is not one JSON object.
    InvalidLine,
    /// Not a postcode district.
    InvalidOutcode,
    /// Not a UK phone number.
    InvalidPhone,
    /// Text that cannot be accepted.
    InvalidText,
    /// Text without a letter.
    NoLetter,
    /// Someone who is not a current member of the introduction.
    NotAMember,
    /// A number outside its range.
    OutOfRange,
    /// Missing or empty.
    Required,
    /// The same person twice.
    SamePerson,
    /// Longer than allowed.
    TooLong,
    /// More items than allowed.
    TooMany,
    /// Shorter than allowed.
    TooShort,
    /// Not a known authority.
    UnknownAuthority,
    /// A postcode district that is not known.
    UnknownOutcode,
    /// Not a known status.
    UnknownStatus,
    /// A vocabulary term that is not known.
    UnknownTerm,
}

impl FieldCode {
    /// The whole catalogue.
    pub const ALL: &[Self] = &[
        Self::ControlCharacters,
        Self::HiddenCharacters,
        Self::Duplicate,
        Self::Erased,
        Self::InvalidEmail,
        Self::InvalidOrigin,
        Self::InvalidLine,
        Self::InvalidOutcode,
        Self::InvalidPhone,
        Self::InvalidText,
        Self::NoLetter,
        Self::NotAMember,
        Self::OutOfRange,
        Self::Required,
        Self::SamePerson,
        Self::TooLong,
        Self::TooMany,
        Self::TooShort,
        Self::UnknownAuthority,
        Self::UnknownOutcode,
        Self::UnknownStatus,
        Self::UnknownTerm,
    ];

    /// The code clients match on.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ControlCharacters => "control_characters",
            Self::HiddenCharacters => "hidden_characters",
            Self::Duplicate => "duplicate",
            Self::Erased => "erased",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidOrigin => "invalid_origin",
            Self::InvalidLine => "invalid_line",
            Self::InvalidOutcode => "invalid_outcode",
            Self::InvalidPhone => "invalid_phone",
            Self::InvalidText => "invalid_text",
            Self::NoLetter => "no_letter",
            Self::NotAMember => "not_a_member",
            Self::OutOfRange => "out_of_range",
            Self::Required => "required",
            Self::SamePerson => "same_person",
            Self::TooLong => "too_long",
            Self::TooMany => "too_many",
            Self::TooShort => "too_short",
            Self::UnknownAuthority => "unknown_authority",
            Self::UnknownOutcode => "unknown_outcode",
            Self::UnknownStatus => "unknown_status",
            Self::UnknownTerm => "unknown_term",
        }
    }
}

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
    pub code: FieldCode,
    /// Plain-words explanation.
    pub message: String,
}

impl FieldError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, code: FieldCode, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_codes_are_distinct_and_serialise_as_their_word() {
        let words: std::collections::HashSet<&str> = FieldCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(words.len(), FieldCode::ALL.len());
        for code in FieldCode::ALL {
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::Value::String(code.as_str().into())));
        }
    }
}
