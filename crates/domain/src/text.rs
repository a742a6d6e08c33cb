//! Free-text newtypes: Unicode normalisation, length limits, and no control,
//! invisible or direction-changing characters.
//!
//! Text typed by one person is shown on other people's cards, so what it may
//! contain is a safety rule, not a nicety: a right-to-left override or an
//! invisible character lets one person's name pass for another's. Text is
//! normalised to NFC first (so that "é" typed two ways is one name), then
//! refused if it carries:
//!
//! - control characters (`\n` only where a field allows several lines);
//! - bidirectional controls (embeddings, overrides, isolates, marks);
//! - invisible format characters (zero-width space, word joiner, BOM, soft
//!   hyphen, fillers) and the line and paragraph separators U+2028/U+2029;
//! - private-use characters and noncharacters;
//! - tag characters, except in an emoji flag sequence (the flags of
//!   England, Scotland and Wales are built from them).
//!
//! The joiners U+200C/U+200D and the variation selectors U+FE0E/U+FE0F are
//! needed inside emoji and some scripts, so they are allowed only after a
//! visible character. Emoji stay allowed.

use unicode_normalization::UnicodeNormalization;

use crate::{FieldCode, FieldError};

/// Bidirectional formatting characters.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing (or nothing of their own) and are not needed
/// to write any name.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0D}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{FDD0}'..='\u{FDEF}') || (u32::from(c) & 0xFFFE) == 0xFFFE
}

fn is_tag(c: char) -> bool {
    matches!(c, '\u{E0000}'..='\u{E007F}')
}

/// Joiners and emoji variation selectors: allowed only after a visible
/// character.
fn is_combining_format(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE0E}' | '\u{FE0F}')
}

/// Why a text is refused, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Control,
    Hidden,
}

fn refusal(text: &str, allow_newlines: bool) -> Option<Refusal> {
    let mut previous: Option<char> = None;
    // Inside a flag tag sequence (after U+1F3F4 BLACK FLAG).
    let mut in_flag = false;
    for c in text.chars() {
        if c.is_control() {
            if !(allow_newlines && c == '\n') {
                return Some(Refusal::Control);
            }
        } else if is_tag(c) {
            let starts = previous == Some('\u{1F3F4}');
            let continues = in_flag && previous.is_some_and(is_tag) && previous != Some('\u{E007F}');
            let valid_tag = matches!(c, '\u{E0030}'..='\u{E0039}' | '\u{E0061}'..='\u{E007A}' | '\u{E007F}');
            if !(starts || continues) || !valid_tag || (starts && c == '\u{E007F}') {
                return Some(Refusal::Hidden);
            }
            in_flag = c != '\u{E007F}';
        } else {
            // A flag sequence must end with CANCEL TAG; joiners and
            // selectors need a visible character before them.
            let hidden = in_flag
                || is_bidi_control(c)
                || is_invisible(c)
                || is_private_use(c)
                || is_noncharacter(c)
                || (is_combining_format(c) && previous.is_none_or(|p| p.is_whitespace() || is_combining_format(p)));
            if hidden {
                return Some(Refusal::Hidden);
            }
        }
        previous = Some(c);
    }
    if in_flag || previous.is_some_and(|c| matches!(c, '\u{200C}' | '\u{200D}')) {
        return Some(Refusal::Hidden);
    }
    None
}

/// Checks `value` and returns it normalised (NFC) and trimmed: length (in
/// characters, after normalisation) and the character rules above.
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
    let normalised: String = value.nfc().collect();
    let trimmed = normalised.trim();
    let char_count = trimmed.chars().count();
    if char_count < min_chars {
        return Err(FieldError::new(
            field,
            if min_chars == 1 { FieldCode::Required } else { FieldCode::TooShort },
            format!("Must be at least {min_chars} characters."),
        ));
    }
    if char_count > max_chars {
        return Err(FieldError::new(field, FieldCode::TooLong, format!("Must be at most {max_chars} characters.")));
    }
    match refusal(trimmed, allow_newlines) {
        Some(Refusal::Control) => {
            Err(FieldError::new(field, FieldCode::ControlCharacters, "Must not contain control characters."))
        }
        Some(Refusal::Hidden) => Err(FieldError::new(
            field,
            FieldCode::HiddenCharacters,
            "Must not contain invisible or direction-changing characters.",
        )),
        None => Ok(trimmed.to_owned()),
    }
}

/// Whether a short free-text input (a search query, say) is clean: no
/// control, invisible or direction-changing characters.
pub fn is_clean(value: &str) -> bool {
    refusal(value, false).is_none()
}

/// A person's display name: 1 to 50 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Maximum length in characters.
    pub const MAX_CHARS: usize = 50;

    /// Parses and trims a display name.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let name = check_text(field, value, 1, Self::MAX_CHARS, false)?;
        if !name.chars().any(char::is_alphabetic) {
            return Err(FieldError::new(field, FieldCode::NoLetter, "Must contain at least one letter."));
        }
        Ok(Self(name))
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
        let invalid =
            || FieldError::new(field, FieldCode::InvalidEmail, "Must be an email address like name@example.org.");
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
                FieldCode::InvalidPhone,
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
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn text_is_normalised_to_nfc() {
        // "é" as e + combining acute becomes the one precomposed character.
        assert_eq!(DisplayName::parse("n", "Re\u{301}ne").map(|n| n.0), Ok("R\u{e9}ne".to_owned()));
    }

    #[test]
    fn invisible_and_direction_changing_characters_are_refused() {
        let hidden = [
            "Sam\u{202E}nhoJ",
            "\u{2066}Sam\u{2069}",
            "Sa\u{200B}m",
            "\u{FEFF}Sam",
            "Sam\u{2028}Jo",
            "Sam\u{2029}Jo",
            "Sam\u{E0041}",
            "Sam\u{E000}",
            "Sam\u{FDD0}",
            "Sam\u{FFFF}",
            "Sam\u{10FFFE}",
            "Sam\u{200E}",
            "\u{200D}",
            "Sam \u{200D}",
            "Sam\u{200D}",
            "\u{1F3F4}\u{E0067}Sam",
            "Sa\u{2060}m",
            "\u{3164}",
            "Sam\u{AD}",
        ];
        for text in hidden {
            let code = DisplayName::parse("n", text).map_err(|e| e.code.as_str());
            assert!(matches!(code, Err("hidden_characters" | "no_letter" | "required")), "{text:?}: {code:?}");
            assert!(About::parse("a", text).is_err(), "{text:?}");
        }
        assert_eq!(DisplayName::parse("n", "\u{200D}").map_err(|e| e.code.as_str()), Err("hidden_characters"));
    }

    #[test]
    fn emoji_and_the_worlds_scripts_stay_allowed() {
        let fine = [
            "Sam \u{1F600}",
            // Family: man, ZWJ, woman, ZWJ, girl.
            "Ana \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            // Heart with the emoji variation selector.
            "Jo \u{2764}\u{FE0F}",
            // The flag of Wales, a tag sequence.
            "Cerys \u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}",
            "\u{0645}\u{0631}\u{064A}\u{0645}",
            "\u{5F20}\u{4F1F}",
            // Persian with a zero-width non-joiner between letters.
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
        ];
        for text in fine {
            assert!(DisplayName::parse("n", text).is_ok(), "{text:?}");
        }
    }

    #[test]
    fn a_name_needs_a_letter() {
        assert_eq!(DisplayName::parse("n", "\u{1F600}").map_err(|e| e.code.as_str()), Err("no_letter"));
        assert_eq!(DisplayName::parse("n", "123").map_err(|e| e.code.as_str()), Err("no_letter"));
    }

    proptest! {
        /// Whatever is typed, parsing never panics, and what is accepted is
        /// NFC, trimmed, within its limits and free of hidden characters.
        #[test]
        fn accepted_text_keeps_the_rules(text in "\\PC{0,60}|[a-z \u{200D}\u{202E}\u{301}\u{E0067}\u{1F3F4}\u{FE0F}\u{1F600}]{0,12}") {
            if let Ok(name) = DisplayName::parse("n", &text) {
                let name = name.as_str();
                prop_assert!(unicode_normalization::is_nfc(name));
                prop_assert_eq!(name.trim(), name);
                prop_assert!(name.chars().count() <= DisplayName::MAX_CHARS);
                prop_assert!(is_clean(name));
                prop_assert!(!name.chars().any(|c| is_bidi_control(c) || is_private_use(c) || is_noncharacter(c)));
            }
            let _ = About::parse("a", &text);
            let _ = Email::parse("e", &text);
            let _ = Phone::parse("p", &text);
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("n", "  Sam ").map(|n| n.0), Ok("Sam".to_owned()));
        assert_eq!(DisplayName::parse("n", "   ").map_err(|e| e.code.as_str()), Err("required"));
        assert_eq!(DisplayName::parse("n", &"x".repeat(51)).map_err(|e| e.code.as_str()), Err("too_long"));
        assert_eq!(DisplayName::parse("n", &"é".repeat(50)).map(|n| n.0.chars().count()), Ok(50));
    }

    #[test]
    fn control_characters_are_refused_except_newlines_in_about() {
        assert_eq!(DisplayName::parse("n", "Sa\u{0}m").map_err(|e| e.code.as_str()), Err("control_characters"));
        assert_eq!(DisplayName::parse("n", "Sa\nm").map_err(|e| e.code.as_str()), Err("control_characters"));
        assert!(About::parse("a", "line one\nline two").is_ok());
        assert_eq!(About::parse("a", "bell\u{7}").map_err(|e| e.code.as_str()), Err("control_characters"));
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
