//! Rate limits of authenticated callers (DESIGN §6), with the same
//! maintained limiter (`governor`, GCRA) as the public routes.
//!
//! - **Requests**: every authenticated request counts against its caller
//!   (the token's `sub`), `FRIENDS_RATE_PER_MINUTE` a minute.
//! - **Lookups**: suggestions and search count, besides, against the caller
//!   and against the person asked about, `FRIENDS_LOOKUPS_PER_MINUTE` a
//!   minute each: about a page a second, as fast as a person reads. So a
//!   broker's token cannot sweep an authority one person at a time, and
//!   several tokens together cannot probe around one person faster either.
//!
//! Over a limit the answer is 429 `rate_limited` with `Retry-After`, and
//! `friends_rate_limited_total{limit}` counts it.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::config::CallerSettings;
use crate::errors::ApiError;

/// A limiter's refusal, with when it would let the request through.
pub(crate) type Refusal = governor::NotUntil<<DefaultClock as Clock>::Instant>;

/// What a lookup counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LookupKey {
    Caller(Uuid),
    Person(Uuid),
}

/// The callers' rate limits.
#[derive(Debug)]
pub struct CallerLimits {
    requests: DefaultKeyedRateLimiter<Uuid>,
    lookups: DefaultKeyedRateLimiter<LookupKey>,
}

/// The seconds until a refused request would be let through, at least 1.
pub(crate) fn retry_after(not_until: &Refusal) -> u64 {
    let seconds = not_until.wait_time_from(DefaultClock::default().now()).as_secs_f64().ceil();
    (seconds as u64).max(1)
}

impl CallerLimits {
    /// Limits from the settings.
    pub fn new(settings: CallerSettings) -> Self {
        let per_minute = |value: u32| Quota::per_minute(NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN));
        Self {
            requests: RateLimiter::keyed(per_minute(settings.rate_per_minute)),
            lookups: RateLimiter::keyed(per_minute(settings.lookups_per_minute)),
        }
    }

    /// Counts one request of `caller`.
    pub fn check_request(&self, caller: Uuid) -> Result<(), ApiError> {
        self.requests.check_key(&caller).map_err(|not_until| refuse("caller", &not_until))
    }

    /// Counts one lookup (suggestions, search) by `caller` about `person`
    /// (the caller themself for a search): against the caller, and against
    /// the person unless the caller is on their side (the person
    /// themselves, or a supporter acting for them), so that many callers
    /// together cannot sweep one person, nor use up the person's own
    /// lookups by doing so.
    pub fn check_lookup(&self, caller: Uuid, person: Uuid, on_their_side: bool) -> Result<(), ApiError> {
        self.lookups.check_key(&LookupKey::Caller(caller)).map_err(|not_until| refuse("lookup", &not_until))?;
        if person != caller && !on_their_side {
            self.lookups.check_key(&LookupKey::Person(person)).map_err(|not_until| refuse("lookup", &not_until))?;
        }
        Ok(())
    }

    /// Forgets callers whose limits have fully recovered (the expiry job).
    pub fn forget_idle(&self) {
        self.requests.retain_recent();
        self.lookups.retain_recent();
        self.requests.shrink_to_fit();
        self.lookups.shrink_to_fit();
    }
}

fn refuse(limit: &'static str, not_until: &Refusal) -> ApiError {
    crate::metrics::record_rate_limited(limit);
    ApiError::RateLimited { retry_after_seconds: retry_after(not_until) }
}
