//! `friends token`: development tokens signed with the configured secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use uuid::Uuid;

use crate::auth::{Claims, Role};
use crate::config::JwtSettings;

/// What to put in a token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// Role claim.
    pub role: Role,
    /// Subject.
    pub subject: Uuid,
    /// Supporter's people.
    pub acts_for: Vec<Uuid>,
    /// Broker's authorities.
    pub authorities: Vec<String>,
    /// Lifetime.
    pub ttl: Duration,
}

/// Parses `90s`, `30m`, `1h`, `7d` (or plain seconds).
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let amount: u64 = number.parse().map_err(|_| format!("not a duration: {text}"))?;
    let seconds = match unit {
        "" | "s" => amount,
        "m" => amount * 60,
        "h" => amount * 3600,
        "d" => amount * 86_400,
        _ => return Err(format!("unknown unit in {text}: use s, m, h or d")),
    };
    if seconds == 0 {
        return Err("a token must live at least one second".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// Signs a token with the HS256 secret.
pub fn mint(settings: &JwtSettings, request: &TokenRequest) -> Result<String, String> {
    let secret = settings.secret.as_ref().ok_or("friends token signs with FRIENDS_JWT_SECRET, which is not set")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|error| error.to_string())?.as_secs();
    let claims = Claims {
        sub: request.subject,
        role: request.role,
        acts_for: request.acts_for.clone(),
        authorities: request.authorities.clone(),
        exp: now + request.ttl.as_secs(),
        nbf: Some(now),
        iat: Some(now),
        iss: settings.issuer.clone(),
        aud: serde_json::Value::String(settings.audience.clone()),
    };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.expose().as_bytes()))
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
