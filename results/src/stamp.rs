//! Wall-clock timestamps as text: the run folder's name and the times in `results.json`.
//!
//! Neighbours: [`crate::store`] names run folders with [`folder_stamp`]; [`crate::summary`]
//! and the reports print [`rfc3339`].
//!
//! Design: always UTC, always milliseconds, so names sort by time as plain strings and never
//! depend on the machine's time zone. The folder form has no `:` (not allowed on some file
//! systems, and awkward in URLs and shells). The calendar arithmetic is Howard Hinnant's
//! `civil_from_days`, which is small enough not to need a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A run folder's name: `20260427T153012.123Z` (UTC, sortable, filesystem-safe).
pub fn folder_stamp(t: SystemTime) -> String {
    let c = Civil::of(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
    )
}

/// RFC 3339 in UTC with milliseconds: `2026-04-27T15:30:12.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let c = Civil::of(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
    )
}

/// True when `name` has the shape [`folder_stamp`] makes (optionally with a `-N` suffix that
/// tells apart runs started in the same millisecond).
pub fn is_folder_stamp(name: &str) -> bool {
    let base = name.split_once('-').map_or(name, |(b, n)| {
        if n.bytes().all(|c| c.is_ascii_digit()) && !n.is_empty() {
            b
        } else {
            ""
        }
    });
    let b = base.as_bytes();
    b.len() == 20
        && b[8] == b'T'
        && b[15] == b'.'
        && b[19] == b'Z'
        && b.iter().enumerate().all(|(i, c)| matches!(i, 8 | 15 | 19) || c.is_ascii_digit())
}

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    milli: u32,
}

impl Civil {
    fn of(t: SystemTime) -> Civil {
        // Times before 1970 do not occur for a run; clamp rather than fail.
        let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let secs = since.as_secs();
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days as i64);
        Civil {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
            milli: since.subsec_millis(),
        }
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    #[test]
    fn stamps_match_known_dates() {
        let cases = [
            (0, 0, "19700101T000000.000Z", "1970-01-01T00:00:00.000Z"),
            (951_782_400, 5, "20000229T000000.005Z", "2000-02-29T00:00:00.005Z"),
            (1_777_303_812, 123, "20260427T153012.123Z", "2026-04-27T15:30:12.123Z"),
            (4_102_444_799, 999, "20991231T235959.999Z", "2099-12-31T23:59:59.999Z"),
        ];
        for (secs, ms, folder, rfc) in cases {
            assert_eq!(folder_stamp(at(secs, ms)), folder);
            assert_eq!(rfc3339(at(secs, ms)), rfc);
        }
    }

    #[test]
    fn folder_stamps_sort_as_their_times_do() {
        let times = [at(1_700_000_000, 1), at(1_700_000_000, 2), at(1_700_000_009, 0)];
        let mut names: Vec<_> = times.iter().map(|t| folder_stamp(*t)).collect();
        let sorted = names.clone();
        names.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn only_stamps_are_recognised_as_run_folders() {
        assert!(is_folder_stamp("20260427T153012.123Z"));
        assert!(is_folder_stamp("20260427T153012.123Z-2"));
        for bad in ["latest", "20260427T153012.123", "20260427T153012.123Z-", "2026-04-27", ""] {
            assert!(!is_folder_stamp(bad), "{bad}");
        }
    }
}
