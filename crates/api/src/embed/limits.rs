//! The public routes' rate limits, per key and client address (`governor`,
//! GCRA). Kept apart from the gate so that `AppState` can own them without
//! the gate and the state importing each other.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::config::PublicSettings;

type Limiter = DefaultKeyedRateLimiter<(Uuid, IpAddr)>;

/// The public routes' rate limits, per key and client address.
#[derive(Debug)]
pub struct PublicLimits {
    requests: Limiter,
    enquiries: Limiter,
}

impl PublicLimits {
    /// Limits from the settings.
    pub fn new(settings: PublicSettings) -> Self {
        let per_minute = NonZeroU32::new(settings.rate_per_minute).unwrap_or(NonZeroU32::MIN);
        let per_hour = NonZeroU32::new(settings.enquiries_per_hour).unwrap_or(NonZeroU32::MIN);
        Self {
            requests: RateLimiter::keyed(Quota::per_minute(per_minute)),
            enquiries: RateLimiter::keyed(Quota::per_hour(per_hour)),
        }
    }

    /// Counts one request (and one enquiry when `enquiry`); the seconds to
    /// wait when over a limit.
    pub(super) fn check(&self, key: Uuid, client: IpAddr, enquiry: bool) -> Result<(), u64> {
        let wait = |not_until: crate::rate_limits::Refusal| {
            crate::metrics::record_rate_limited("public");
            crate::rate_limits::retry_after(&not_until)
        };
        self.requests.check_key(&(key, client)).map_err(wait)?;
        if enquiry {
            self.enquiries.check_key(&(key, client)).map_err(wait)?;
        }
        Ok(())
    }

    /// Forgets clients whose limits have fully recovered (a job runs this),
    /// so that memory follows the clients of the last hour, not all of them.
    pub fn forget_idle(&self) {
        self.requests.retain_recent();
        self.enquiries.retain_recent();
        self.requests.shrink_to_fit();
        self.enquiries.shrink_to_fit();
    }
}
