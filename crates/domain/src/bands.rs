//! Coarse bands: what other people see instead of an age or a distance.

use serde::Serialize;

/// Age band shown on cards and profiles (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AgeBand {
    /// 16 to 24.
    #[serde(rename = "16-24")]
    From16To24,
    /// 25 to 34.
    #[serde(rename = "25-34")]
    From25To34,
    /// 35 to 44.
    #[serde(rename = "35-44")]
    From35To44,
    /// 45 to 54.
    #[serde(rename = "45-54")]
    From45To54,
    /// 55 to 64.
    #[serde(rename = "55-64")]
    From55To64,
    /// 65 and over.
    #[serde(rename = "65+")]
    From65,
}

impl AgeBand {
    /// The band of someone born in `birth_year`, in `current_year`. Ages are
    /// reckoned by year (birthdays are not held), so an age is at most one
    /// year high.
    pub fn of(birth_year: i32, current_year: i32) -> Self {
        match current_year - birth_year {
            ..=24 => Self::From16To24,
            25..=34 => Self::From25To34,
            35..=44 => Self::From35To44,
            45..=54 => Self::From45To54,
            55..=64 => Self::From55To64,
            _ => Self::From65,
        }
    }
}

/// Distance band: the only form in which distance ever leaves the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DistanceBand {
    /// Under 2 km.
    #[serde(rename = "under 2 km")]
    Under2,
    /// 2 to 5 km.
    #[serde(rename = "2 to 5 km")]
    From2To5,
    /// 5 to 10 km.
    #[serde(rename = "5 to 10 km")]
    From5To10,
    /// 10 to 20 km.
    #[serde(rename = "10 to 20 km")]
    From10To20,
    /// Over 20 km.
    #[serde(rename = "over 20 km")]
    Over20,
}

impl DistanceBand {
    /// The band of a distance in km.
    pub fn of(kilometres: f64) -> Self {
        if kilometres < 2.0 {
            Self::Under2
        } else if kilometres < 5.0 {
            Self::From2To5
        } else if kilometres < 10.0 {
            Self::From5To10
        } else if kilometres <= 20.0 {
            Self::From10To20
        } else {
            Self::Over20
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_follow_the_design_table() {
        assert_eq!(AgeBand::of(2010, 2026), AgeBand::From16To24);
        assert_eq!(AgeBand::of(2001, 2026), AgeBand::From25To34);
        assert_eq!(AgeBand::of(1961, 2026), AgeBand::From65);
    }

    #[test]
    fn distance_bands_never_reveal_more_than_the_band() {
        assert_eq!(DistanceBand::of(0.0), DistanceBand::Under2);
        assert_eq!(DistanceBand::of(4.99), DistanceBand::From2To5);
        assert_eq!(DistanceBand::of(20.0), DistanceBand::From10To20);
        assert_eq!(DistanceBand::of(20.1), DistanceBand::Over20);
    }
}
