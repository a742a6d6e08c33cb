//! The service's clock. Production reads the system clock; tests use an
//! adjustable one (system time plus an offset they move forward), so that
//! 30 days of expiry or a 90-day cooldown pass without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// A clock shared by every handler and background task.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system time; `None` for the real clock.
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { offset_ms: None }
    }

    /// A clock that starts at the system time and can be moved forward.
    pub fn adjustable() -> Self {
        Self { offset_ms: Some(Arc::new(AtomicI64::new(0))) }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        match &self.offset_ms {
            None => now,
            Some(offset) => now + Duration::milliseconds(offset.load(Ordering::Acquire)),
        }
    }

    /// Moves an adjustable clock forward by `by`. Returns `false` (and does
    /// nothing) on the system clock.
    pub fn advance(&self, by: Duration) -> bool {
        match &self.offset_ms {
            None => false,
            Some(offset) => {
                offset.fetch_add(by.num_milliseconds(), Ordering::AcqRel);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_forward_and_the_system_clock_does_not() {
        let clock = Clock::adjustable();
        let before = clock.now();
        assert!(clock.advance(Duration::days(31)));
        assert!(clock.now() - before >= Duration::days(31));
        let system = Clock::system();
        assert!(!system.advance(Duration::days(1)));
        assert!(system.now() - Utc::now() < Duration::seconds(5));
    }
}
