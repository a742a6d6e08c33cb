//! Messages that ask for money or bank details (DESIGN §5). Such a request
//! is flagged in the broker queue (so is one that gives contact details); like every request, it reaches the
//! recipient only after a broker approved it.
//!
//! The check is deliberately simple and errs towards flagging: phrases that
//! ask for money, and digit runs shaped like a card number (13 to 19
//! digits), a sort code (`12-34-56`) or an account number (8 digits).
//! Talking about sharing costs ("we could each put in £10") is normal here
//! and is not flagged on its own.

/// Phrases that ask for money or for financial details, lower case.
const PHRASES: &[&str] = &[
    "lend me",
    "loan me",
    "borrow money",
    "borrow some money",
    "can i borrow",
    "pay me",
    "send me money",
    "send money",
    "give me money",
    "give me some money",
    "owe me",
    "money transfer",
    "bank transfer",
    "transfer money",
    "transfer the money",
    "bank details",
    "bank account",
    "account number",
    "account no",
    "sort code",
    "card number",
    "card details",
    "credit card",
    "debit card",
    "pin number",
    "your pin",
    "paypal",
    "western union",
    "moneygram",
    "gift card",
    "bitcoin",
    "crypto",
    "cash app",
    "venmo",
];

/// Why a message was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyFlag {
    /// A phrase that asks for money or financial details.
    AsksForMoney,
    /// Digits shaped like a card number, sort code or account number.
    BankDetails,
    /// An email address or phone number: contact details are shared only
    /// once both people said yes, so the broker should see this.
    ContactDetails,
}

impl MoneyFlag {
    /// The stable name shown in the broker queue.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AsksForMoney => "asks_for_money",
            Self::BankDetails => "bank_details",
            Self::ContactDetails => "contact_details",
        }
    }
}

/// The flags a message earns, in a fixed order, each at most once.
pub fn money_flags(message: &str) -> Vec<MoneyFlag> {
    let mut flags = Vec::new();
    let normalised = normalise(message);
    if PHRASES.iter().any(|phrase| normalised.contains(phrase)) {
        flags.push(MoneyFlag::AsksForMoney);
    }
    let digits = digit_sequences(message);
    if digits.iter().any(|groups| {
        let total: usize = groups.iter().sum();
        let sort_code = groups.len() == 3 && groups.iter().all(|&digits| digits == 2);
        sort_code || groups == &[8] || (13..=19).contains(&total)
    }) {
        flags.push(MoneyFlag::BankDetails);
    }
    let phone = digits.iter().any(|groups| (10..=12).contains(&groups.iter().sum::<usize>()));
    let email = message
        .split_whitespace()
        .any(|word| word.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.')));
    if phone || email {
        flags.push(MoneyFlag::ContactDetails);
    }
    flags
}

/// Lower case, letters and digits kept, every run of anything else one space.
fn normalise(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 2);
    out.push(' ');
    for character in message.chars().flat_map(char::to_lowercase) {
        if character.is_alphanumeric() || character == '£' {
            out.push(character);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.push(' ');
    out
}

/// Each run of digit groups joined by single spaces or dashes, as the
/// lengths of its groups (`"12-34-56"` is `[2, 2, 2]`).
fn digit_sequences(message: &str) -> Vec<Vec<usize>> {
    let characters: Vec<char> = message.chars().collect();
    let mut sequences = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        if !characters[index].is_ascii_digit() {
            index += 1;
            continue;
        }
        // One sequence: digit groups separated by a single space or dash.
        let mut groups: Vec<usize> = vec![0];
        while index < characters.len() {
            let character = characters[index];
            if character.is_ascii_digit() {
                if let Some(last) = groups.last_mut() {
                    *last += 1;
                }
                index += 1;
            } else if (character == ' ' || character == '-')
                && characters.get(index + 1).is_some_and(char::is_ascii_digit)
            {
                groups.push(0);
                index += 1;
            } else {
                break;
            }
        }
        sequences.push(groups);
    }
    sequences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asking_for_money_is_flagged() {
        for message in [
            "Could you lend me £50 until Friday?",
            "Please PAY ME back first",
            "send me your bank details",
            "what's your sort-code",
            "I only take PayPal",
            "Can you send me £50 by bank transfer?",
        ] {
            assert_eq!(money_flags(message), vec![MoneyFlag::AsksForMoney], "{message}");
        }
    }

    #[test]
    fn bank_shaped_digits_are_flagged() {
        for message in ["my card is 4111 1111 1111 1111", "use 12-34-56", "acct 12345678", "4111-1111-1111-1111"] {
            assert!(money_flags(message).contains(&MoneyFlag::BankDetails), "{message}");
        }
    }

    #[test]
    fn contact_details_are_flagged() {
        for message in ["Call me on 07700 900461 after 6", "write to sam@example.org"] {
            assert_eq!(money_flags(message), vec![MoneyFlag::ContactDetails], "{message}");
        }
    }

    #[test]
    fn ordinary_messages_are_not() {
        for message in [
            "Hello! I'd like to go to the football on Saturday. We could each put in £10 a week.",
            "I was born in 1994 and live near the park",
            "Shall we meet at 10:30 on 12/05?",
        ] {
            assert!(money_flags(message).is_empty(), "{message}");
        }
    }
}
