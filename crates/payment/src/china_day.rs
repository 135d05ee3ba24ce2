//! China calendar days. Everything is stored in UTC; statements are by the day in Asia/Shanghai,
//! which is UTC+8 all year (China has had no daylight saving time since 1991).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Offset, Utc};

const CHINA_OFFSET_SECS: i32 = 8 * 3600;

pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(CHINA_OFFSET_SECS).unwrap_or_else(|| Utc.fix())
}

/// The China calendar day an instant falls on.
pub fn china_day_of(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&china_offset()).date_naive()
}

/// The UTC instants `[start, end)` of a China calendar day.
pub fn china_day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
        - Duration::seconds(i64::from(CHINA_OFFSET_SECS));
    (start, start + Duration::days(1))
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|err| panic!("{err}"))
    }

    #[test]
    fn a_china_day_starts_at_sixteen_hundred_utc_the_day_before() {
        let day = parse_day("2026-11-26").unwrap_or_else(|| panic!("bad day"));
        let (start, end) = china_day_bounds(day);
        assert_eq!(start, utc("2026-11-25T16:00:00Z"));
        assert_eq!(end, utc("2026-11-26T16:00:00Z"));
    }

    #[test]
    fn instants_either_side_of_china_midnight_fall_on_different_days() {
        assert_eq!(
            china_day_of(utc("2026-11-25T15:59:59Z")).to_string(),
            "2026-11-25"
        );
        assert_eq!(
            china_day_of(utc("2026-11-25T16:00:00Z")).to_string(),
            "2026-11-26"
        );
        assert_eq!(
            china_day_of(utc("2026-11-26T15:59:59Z")).to_string(),
            "2026-11-26"
        );
    }

    #[test]
    fn malformed_days_are_refused() {
        assert!(parse_day("2026-13-01").is_none());
        assert!(parse_day("26-11-2026").is_none());
        assert!(parse_day("").is_none());
    }
}
