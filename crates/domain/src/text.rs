//! Free-text newtypes: length limits and no control characters.

use crate::FieldError;

/// Checks `value` for length (in characters) and control characters.
///
/// `allow_newlines` lets multi-line fields such as `about` keep `\n`; every
/// other control character (including `\r`, tabs and NUL) is refused.
pub fn check_text(
    field: &str,
    value: &str,
    min_chars: usize,
    max_chars: usize,
    allow_newlines: bool,
) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let char_count = trimmed.chars().count();
    if char_count < min_chars {
        return Err(FieldError::new(
            field,
            if min_chars == 1 { "required" } else { "too_short" },
            format!("Must be at least {min_chars} characters."),
        ));
    }
    if char_count > max_chars {
        return Err(FieldError::new(field, "too_long", format!("Must be at most {max_chars} characters.")));
    }
    let has_forbidden_control = trimmed.chars().any(|c| c.is_control() && !(allow_newlines && c == '\n'));
    if has_forbidden_control {
        return Err(FieldError::new(field, "control_characters", "Must not contain control characters."));
    }
    Ok(trimmed.to_owned())
}

/// A person's display name: 1 to 50 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Maximum length in characters.
    pub const MAX_CHARS: usize = 50;

    /// Parses and trims a display name.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        check_text(field, value, 1, Self::MAX_CHARS, false).map(Self)
    }

    /// The validated name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text about a person: up to 1,000 characters, newlines allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct About(String);

impl About {
    /// Maximum length in characters.
    pub const MAX_CHARS: usize = 1000;

    /// Parses and trims the text.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        check_text(field, value, 0, Self::MAX_CHARS, true).map(Self)
    }

    /// The validated text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, checked for shape only (one `@`, a dot in the domain,
/// no spaces, at most 254 characters). Deliverability is the IdP's concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an email address.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let text = check_text(field, value, 3, 254, false)?;
        let invalid = || FieldError::new(field, "invalid_email", "Must be an email address like name@example.org.");
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !text.chars().any(char::is_whitespace);
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self(text))
    }

    /// The validated address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with optional leading `+`, spaces and hyphens,
/// 7 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let text = check_text(field, value, 1, 24, false)?;
        let allowed = text
            .char_indices()
            .all(|(index, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && index == 0));
        let digit_count = text.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(7..=15).contains(&digit_count) {
            return Err(FieldError::new(
                field,
                "invalid_phone",
                "Must be a phone number of 7 to 15 digits, like 020 7946 0000.",
            ));
        }
        Ok(Self(text))
    }

    /// The validated number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("n", "  Sam ").map(|n| n.0), Ok("Sam".to_owned()));
        assert_eq!(DisplayName::parse("n", "   ").map_err(|e| e.code), Err("required"));
        assert_eq!(DisplayName::parse("n", &"x".repeat(51)).map_err(|e| e.code), Err("too_long"));
        assert_eq!(DisplayName::parse("n", &"é".repeat(50)).map(|n| n.0.chars().count()), Ok(50));
    }

    #[test]
    fn control_characters_are_refused_except_newlines_in_about() {
        assert_eq!(DisplayName::parse("n", "Sa\u{0}m").map_err(|e| e.code), Err("control_characters"));
        assert_eq!(DisplayName::parse("n", "Sa\nm").map_err(|e| e.code), Err("control_characters"));
        assert!(About::parse("a", "line one\nline two").is_ok());
        assert_eq!(About::parse("a", "bell\u{7}").map_err(|e| e.code), Err("control_characters"));
    }

    #[test]
    fn emails_and_phones_are_shape_checked() {
        assert!(Email::parse("e", "sam@example.org").is_ok());
        for bad in ["sam", "sam@", "@example.org", "sam@example", "s am@example.org", "a@b@c.org"] {
            assert!(Email::parse("e", bad).is_err(), "{bad} should be refused");
        }
        assert!(Phone::parse("p", "+44 20 7946 0000").is_ok());
        assert!(Phone::parse("p", "020-7946-0000").is_ok());
        for bad in ["12", "call me", "44+20 7946 0000", "0123456789012345678"] {
            assert!(Phone::parse("p", bad).is_err(), "{bad} should be refused");
        }
    }
}
