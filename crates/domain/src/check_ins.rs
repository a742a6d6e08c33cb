//! Check-ins after an introduction (DESIGN §5 "After the introduction"):
//! when each member's check-ins fall due, and what an answer does.
//!
//! The schedule is `FRIENDS_CHECK_IN_AFTER` (default `14d,42d,91d,182d`):
//! times after the introduction, strictly increasing, each a whole number of
//! seconds, minutes, hours or days (`s`, `m`, `h`, `d`, so that a trial can
//! run in seconds). After the last, check-ins go on at the last one's
//! distance ("then every 182 days") for as long as the person is a member.
//!
//! The store keeps each member's check-ins; the API's job opens them on
//! time and the routes answer them, on these rules.

use chrono::Duration;

/// The default schedule.
pub const DEFAULT_CHECK_IN_AFTER: &str = "14d,42d,91d,182d";
/// Most times a schedule may list.
pub const MAX_CHECK_IN_TIMES: usize = 12;
/// The latest first time: ten years.
const LONGEST_SECONDS: i64 = 10 * 366 * 24 * 60 * 60;

/// When a member's check-ins fall due, counted from the introduction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInSchedule {
    /// Strictly increasing, the first at least a second.
    after: Vec<Duration>,
}

/// Why a schedule was refused (for the operator's configuration error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Nothing listed.
    #[error("list at least one time, like 14d")]
    Empty,
    /// More than [`MAX_CHECK_IN_TIMES`].
    #[error("list at most {MAX_CHECK_IN_TIMES} times")]
    TooMany,
    /// Not a whole number followed by `s`, `m`, `h` or `d`.
    #[error("`{0}` is not a time like 30s, 10m, 12h or 14d")]
    Malformed(String),
    /// Zero, beyond ten years, or not after the time before it.
    #[error("`{0}` must be after the time before it, and within ten years")]
    OutOfOrder(String),
}

fn parse_one(text: &str) -> Result<Duration, ScheduleError> {
    let malformed = || ScheduleError::Malformed(text.to_owned());
    let unit = text.chars().last().ok_or_else(malformed)?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) || digits.len() > 12 {
        return Err(malformed());
    }
    let count: i64 = digits.parse().map_err(|_| malformed())?;
    let seconds = match unit {
        's' => Some(count),
        'm' => count.checked_mul(60),
        'h' => count.checked_mul(60 * 60),
        'd' => count.checked_mul(24 * 60 * 60),
        _ => return Err(malformed()),
    };
    match seconds {
        Some(seconds) if (1..=LONGEST_SECONDS).contains(&seconds) => Ok(Duration::seconds(seconds)),
        _ => Err(ScheduleError::OutOfOrder(text.to_owned())),
    }
}

impl CheckInSchedule {
    /// Parses `14d,42d,91d,182d` (spaces around commas allowed).
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let parts: Vec<&str> = text.split(',').map(str::trim).filter(|part| !part.is_empty()).collect();
        if parts.is_empty() {
            return Err(ScheduleError::Empty);
        }
        if parts.len() > MAX_CHECK_IN_TIMES {
            return Err(ScheduleError::TooMany);
        }
        let mut after: Vec<Duration> = Vec::with_capacity(parts.len());
        for part in parts {
            let time = parse_one(part)?;
            if after.last().is_some_and(|previous| time <= *previous) {
                return Err(ScheduleError::OutOfOrder(part.to_owned()));
            }
            after.push(time);
        }
        Ok(Self { after })
    }

    /// When check-in number `index` (from 0) falls due, after the
    /// introduction: the listed times, then on at the last one's distance.
    pub fn due_after(&self, index: usize) -> Duration {
        let last = self.after.len() - 1;
        match self.after.get(index) {
            Some(time) => *time,
            None => {
                let every = self.after[last];
                let times = i32::try_from(index - last + 1).unwrap_or(i32::MAX);
                every.checked_mul(times).unwrap_or(Duration::MAX)
            }
        }
    }

    /// How many check-ins have fallen due `elapsed` after the introduction
    /// (a check-in falls due at its time, not before).
    pub fn due_by(&self, elapsed: Duration) -> usize {
        if elapsed < self.after[0] {
            return 0;
        }
        let listed = self.after.partition_point(|time| *time <= elapsed);
        if listed < self.after.len() {
            return listed;
        }
        let last = self.after[self.after.len() - 1];
        let beyond = (elapsed - last).num_seconds() / last.num_seconds();
        listed + usize::try_from(beyond).unwrap_or(usize::MAX)
    }
}

impl Default for CheckInSchedule {
    fn default() -> Self {
        Self::parse(DEFAULT_CHECK_IN_AFTER).unwrap_or_else(|_| unreachable!("the default schedule parses"))
    }
}

/// A person's own answer to a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// It is going well.
    GoingWell,
    /// Some good, some not.
    Mixed,
    /// It is not going well: the area's brokers are told (with the note).
    NotWell,
    /// They want to stop: they leave the introduction at once, an
    /// ordinary leaving (no reason reaches anyone).
    WantToStop,
}

impl Answer {
    /// Whether the answer takes the person out of the introduction.
    pub fn leaves(self) -> bool {
        self == Self::WantToStop
    }

    /// Whether the answer goes to the queue of the person's area's brokers.
    pub fn tells_brokers(self) -> bool {
        self == Self::NotWell
    }
}

impl Answer {
    /// Every answer, in the order they are offered.
    pub const ALL: [Self; 4] = [Self::GoingWell, Self::Mixed, Self::NotWell, Self::WantToStop];

    /// The stored (and JSON) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GoingWell => "going_well",
            Self::Mixed => "mixed",
            Self::NotWell => "not_well",
            Self::WantToStop => "want_to_stop",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|answer| answer.as_str() == value)
    }
}

/// Where one check-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInStatus {
    /// The member's next one, not yet due: kept by the store, never shown.
    Scheduled,
    /// Due: waiting for the person's answer.
    Due,
    /// Answered.
    Answered,
    /// Unanswered 14 days after falling due (the brokers were told); it
    /// can still be answered.
    Missed,
    /// The person left before answering.
    Closed,
}

impl CheckInStatus {
    /// The stored (and JSON) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Due => "due",
            Self::Answered => "answered",
            Self::Missed => "missed",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Scheduled, Self::Due, Self::Answered, Self::Missed, Self::Closed]
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// Whether the person may answer it now.
    pub fn answerable(self) -> bool {
        matches!(self, Self::Due | Self::Missed)
    }
}

/// How long after falling due an unanswered check-in goes to the brokers.
pub fn unanswered_after() -> Duration {
    Duration::days(14)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_default_is_two_weeks_six_weeks_three_months_six_months_then_every_six_months() {
        let schedule = CheckInSchedule::default();
        let days: Vec<i64> = (0..7).map(|index| schedule.due_after(index).num_days()).collect();
        assert_eq!(days, vec![14, 42, 91, 182, 364, 546, 728]);
        assert_eq!(schedule.due_by(Duration::days(13)), 0);
        assert_eq!(schedule.due_by(Duration::days(14)), 1, "due at its time, not before");
        assert_eq!(schedule.due_by(Duration::days(363)), 4);
        assert_eq!(schedule.due_by(Duration::days(364)), 5);
    }

    #[test]
    fn bad_schedules_are_refused_with_a_reason() {
        assert_eq!(CheckInSchedule::parse(""), Err(ScheduleError::Empty));
        assert_eq!(CheckInSchedule::parse(" , "), Err(ScheduleError::Empty));
        for bad in ["14", "d", "14w", "-1d", "1.5d", "14 d", "٣d"] {
            assert!(matches!(CheckInSchedule::parse(bad), Err(ScheduleError::Malformed(_))), "{bad}");
        }
        for bad in ["0s", "14d,14d", "42d,14d", "4000d", "99999999999d"] {
            assert!(
                matches!(CheckInSchedule::parse(bad), Err(ScheduleError::OutOfOrder(_) | ScheduleError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(CheckInSchedule::parse(&vec!["1s"; 13].join(",")), Err(ScheduleError::TooMany));
        assert!(CheckInSchedule::parse("2s, 4s ,6s").is_ok(), "a trial in seconds");
    }

    proptest! {
        #[test]
        fn due_times_rise_and_agree_with_the_count_due(
            gaps in proptest::collection::vec(1i64..100_000, 1..6),
            elapsed in 0i64..3_000_000,
        ) {
            let mut total = 0;
            let times: Vec<String> = gaps.iter().map(|gap| { total += gap; format!("{total}s") }).collect();
            let schedule = CheckInSchedule::parse(&times.join(","))
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            for index in 0..20 {
                prop_assert!(schedule.due_after(index) < schedule.due_after(index + 1));
            }
            let elapsed = Duration::seconds(elapsed);
            let due = schedule.due_by(elapsed);
            // Exactly the check-ins whose time has come.
            prop_assert!(due == 0 || schedule.due_after(due - 1) <= elapsed);
            prop_assert!(schedule.due_after(due) > elapsed);
        }
    }
}
