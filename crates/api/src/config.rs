//! Typed settings from the environment, validated at start.

use std::fmt;
use std::path::PathBuf;

/// Secret for development tokens when none is configured. Refused in
/// production.
pub const DEVELOPMENT_JWT_SECRET: &str = "finding-friends-development-secret-do-not-use";
/// Issuer of development tokens.
pub const DEFAULT_JWT_ISSUER: &str = "friends-dev";
/// Audience of development tokens.
pub const DEFAULT_JWT_AUDIENCE: &str = "friends-api";
/// Where the metrics listener binds unless told otherwise: loopback only.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";
/// Shortest HMAC secret accepted in production.
pub const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

/// A string that never shows itself in `Debug` or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret([redacted])")
    }
}

/// Where the service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Laptop defaults, readable logs, development secret allowed.
    Development,
    /// JSON logs, strict secrets.
    Production,
}

/// Token validation settings.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// HS256 secret; `None` when only JWKS keys are trusted.
    pub secret: Option<Secret>,
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
    /// JWKS file of asymmetric keys, each with `kid` and `alg`.
    pub jwks_file: Option<PathBuf>,
    /// The identity provider's `jwks_uri` (`FRIENDS_JWKS_URL`), instead of
    /// a file: `https://` in production.
    pub jwks_url: Option<String>,
    /// How often the keys are fetched from `jwks_url`
    /// (`FRIENDS_JWKS_REFRESH_SECONDS`, default 300).
    pub jwks_refresh: std::time::Duration,
}

/// How often keys are fetched from `FRIENDS_JWKS_URL` unless told otherwise.
pub const DEFAULT_JWKS_REFRESH: std::time::Duration = std::time::Duration::from_secs(300);

/// Everything `friends serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks one).
    pub listen: String,
    /// Where the ops listener binds (`FRIENDS_OPS_LISTEN`): liveness and
    /// readiness only, for probes on an internal port. `None`: none (they
    /// are always served on `listen` too).
    pub ops_listen: Option<String>,
    /// Where the metrics listener binds (`FRIENDS_METRICS_LISTEN`, default
    /// [`DEFAULT_METRICS_LISTEN`]; set empty to turn it off): Prometheus
    /// text at `/metrics`, never on `listen`.
    pub metrics_listen: Option<String>,
    /// Folder for the SQLite file and, later, the index.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; `None` means a SQLite file in
    /// `data_dir`.
    pub database_url: Option<Secret>,
    /// Development or production.
    pub environment: Environment,
    /// Token validation.
    pub jwt: JwtSettings,
    /// Load this many synthetic people into an empty database at start.
    pub demo_people: Option<u32>,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Limits on introduction requests.
    pub introductions: IntroductionSettings,
    /// Limits on the public routes (the council embed).
    pub public: PublicSettings,
    /// Rate limits of authenticated callers.
    pub callers: CallerSettings,
    /// When check-ins fall due after an introduction
    /// (`FRIENDS_CHECK_IN_AFTER`, default `14d,42d,91d,182d`).
    pub check_in_after: friends_domain::check_ins::CheckInSchedule,
    /// The clock (adjustable in tests).
    pub clock: crate::clock::Clock,
    /// Fault tests only: a switch that makes the search index's writes
    /// fail as on a full disk. Never set from the environment.
    pub search_write_faults: Option<friends_search::WriteFaults>,
}

/// Limits on introduction requests (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntroductionSettings {
    /// Most requests one requester may have waiting (`max_open_requests`).
    pub max_open_requests: u32,
    /// Days after a decline before the pair may be introduced again.
    pub cooldown_days: u32,
    /// How often the expiry task runs.
    pub expiry_interval: std::time::Duration,
}

impl Default for IntroductionSettings {
    fn default() -> Self {
        Self { max_open_requests: 5, cooldown_days: 90, expiry_interval: std::time::Duration::from_secs(60) }
    }
}

impl IntroductionSettings {
    /// The limits the store enforces.
    pub fn limits(&self) -> friends_store::RequestLimits {
        friends_store::RequestLimits {
            max_open_requests: self.max_open_requests,
            cooldown: chrono::Duration::days(i64::from(self.cooldown_days)),
        }
    }
}

/// Limits on the public routes (the council embed), per embed key and
/// client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicSettings {
    /// Requests a minute (`FRIENDS_PUBLIC_RATE_PER_MINUTE`), bursts included.
    pub rate_per_minute: u32,
    /// Enquiries an hour (`FRIENDS_PUBLIC_ENQUIRIES_PER_HOUR`), on top of
    /// the request limit.
    pub enquiries_per_hour: u32,
}

impl Default for PublicSettings {
    fn default() -> Self {
        Self { rate_per_minute: 60, enquiries_per_hour: 5 }
    }
}

/// Rate limits of authenticated callers (`crate::rate_limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerSettings {
    /// Requests a minute per caller (`FRIENDS_RATE_PER_MINUTE`), bursts
    /// included.
    pub rate_per_minute: u32,
    /// Suggestions and searches a minute per caller and per person asked
    /// about (`FRIENDS_LOOKUPS_PER_MINUTE`).
    pub lookups_per_minute: u32,
}

impl Default for CallerSettings {
    fn default() -> Self {
        Self { rate_per_minute: 600, lookups_per_minute: 60 }
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Reads `FRIENDS_*` and `DATABASE_URL` from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
        let environment = match read("FRIENDS_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(_) => return Err(ConfigError("FRIENDS_ENV must be development or production".into())),
        };
        let production = environment == Environment::Production;
        let issuer = read("FRIENDS_JWT_ISSUER");
        let audience = read("FRIENDS_JWT_AUDIENCE");
        if production && (issuer.is_none() || audience.is_none()) {
            return Err(ConfigError("in production FRIENDS_JWT_ISSUER and FRIENDS_JWT_AUDIENCE must be set".into()));
        }
        let jwks_file = read("FRIENDS_JWKS_FILE").map(PathBuf::from);
        let secret = match read("FRIENDS_JWT_SECRET") {
            Some(secret) => Some(Secret::new(secret)),
            None if production => None,
            None => Some(Secret::new(DEVELOPMENT_JWT_SECRET)),
        };
        let demo_people = read("FRIENDS_DEMO_PEOPLE")
            .map(|value| value.parse::<u32>())
            .transpose()
            .map_err(|_| ConfigError("FRIENDS_DEMO_PEOPLE must be a whole number".into()))?;
        let workers = read("FRIENDS_WORKERS")
            .map(|value| value.parse::<usize>())
            .transpose()
            .map_err(|_| ConfigError("FRIENDS_WORKERS must be a whole number".into()))?;
        let number = |name: &str, default: u32, range: std::ops::RangeInclusive<u32>| {
            let Some(value) = read(name) else { return Ok(default) };
            value.parse::<u32>().ok().filter(|value| range.contains(value)).ok_or_else(|| {
                ConfigError(format!("{name} must be a whole number from {} to {}", range.start(), range.end()))
            })
        };
        let defaults = IntroductionSettings::default();
        let introductions = IntroductionSettings {
            max_open_requests: number("FRIENDS_MAX_OPEN_REQUESTS", defaults.max_open_requests, 1..=100)?,
            cooldown_days: number("FRIENDS_COOLDOWN_DAYS", defaults.cooldown_days, 0..=3650)?,
            expiry_interval: defaults.expiry_interval,
        };
        let public_defaults = PublicSettings::default();
        let public = PublicSettings {
            rate_per_minute: number("FRIENDS_PUBLIC_RATE_PER_MINUTE", public_defaults.rate_per_minute, 1..=1_000_000)?,
            enquiries_per_hour: number(
                "FRIENDS_PUBLIC_ENQUIRIES_PER_HOUR",
                public_defaults.enquiries_per_hour,
                1..=10_000,
            )?,
        };
        let caller_defaults = CallerSettings::default();
        let callers = CallerSettings {
            rate_per_minute: number("FRIENDS_RATE_PER_MINUTE", caller_defaults.rate_per_minute, 1..=1_000_000)?,
            lookups_per_minute: number(
                "FRIENDS_LOOKUPS_PER_MINUTE",
                caller_defaults.lookups_per_minute,
                1..=1_000_000,
            )?,
        };
        let check_in_after = match read("FRIENDS_CHECK_IN_AFTER") {
            None => friends_domain::check_ins::CheckInSchedule::default(),
            Some(text) => friends_domain::check_ins::CheckInSchedule::parse(&text)
                .map_err(|error| ConfigError(format!("FRIENDS_CHECK_IN_AFTER: {error}")))?,
        };
        let settings = Self {
            listen: read("FRIENDS_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into()),
            ops_listen: read("FRIENDS_OPS_LISTEN"),
            // Unset: the default; set but empty: off.
            metrics_listen: match std::env::var("FRIENDS_METRICS_LISTEN") {
                Err(_) => Some(DEFAULT_METRICS_LISTEN.to_owned()),
                Ok(value) if value.trim().is_empty() => None,
                Ok(value) => Some(value.trim().to_owned()),
            },
            data_dir: PathBuf::from(read("FRIENDS_DATA_DIR").unwrap_or_else(|| "./var".into())),
            database_url: read("DATABASE_URL").map(Secret::new),
            environment,
            jwt: JwtSettings {
                secret,
                issuer: issuer.unwrap_or_else(|| DEFAULT_JWT_ISSUER.into()),
                audience: audience.unwrap_or_else(|| DEFAULT_JWT_AUDIENCE.into()),
                jwks_file,
                jwks_url: read("FRIENDS_JWKS_URL"),
                jwks_refresh: std::time::Duration::from_secs(u64::from(number(
                    "FRIENDS_JWKS_REFRESH_SECONDS",
                    DEFAULT_JWKS_REFRESH.as_secs() as u32,
                    10..=86_400,
                )?)),
            },
            demo_people,
            workers,
            introductions,
            public,
            callers,
            check_in_after,
            clock: crate::clock::Clock::system(),
            search_write_faults: None,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Checks the rules that protect production.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.jwt.secret.is_none() && self.jwt.jwks_file.is_none() && self.jwt.jwks_url.is_none() {
            return Err(ConfigError("set FRIENDS_JWT_SECRET, FRIENDS_JWKS_FILE or FRIENDS_JWKS_URL".into()));
        }
        if self.jwt.jwks_file.is_some() && self.jwt.jwks_url.is_some() {
            return Err(ConfigError("set FRIENDS_JWKS_FILE or FRIENDS_JWKS_URL, not both".into()));
        }
        if let Some(url) = &self.jwt.jwks_url {
            let https = url.starts_with("https://");
            if !https && !url.starts_with("http://") {
                return Err(ConfigError("FRIENDS_JWKS_URL must be an http(s):// address".into()));
            }
            if !https && self.environment == Environment::Production {
                return Err(ConfigError("in production FRIENDS_JWKS_URL must be https://".into()));
            }
        }
        if self.environment == Environment::Production {
            if let Some(secret) = &self.jwt.secret {
                if secret.expose() == DEVELOPMENT_JWT_SECRET {
                    return Err(ConfigError("refusing to start in production with the development secret".into()));
                }
                if secret.expose().len() < MIN_PRODUCTION_SECRET_BYTES {
                    return Err(ConfigError(format!(
                        "FRIENDS_JWT_SECRET must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production"
                    )));
                }
            }
            if self.jwt.issuer.trim().is_empty() || self.jwt.audience.trim().is_empty() {
                return Err(ConfigError("in production the JWT issuer and audience must be set".into()));
            }
        }
        Ok(())
    }

    /// The database URL, defaulting to `friends.db` in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("friends.db").display()),
        }
    }
}
