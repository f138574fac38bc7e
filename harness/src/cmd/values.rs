//! The value parsers of the command line's flags: durations, seconds, whole numbers, seeds.
//!
//! Neighbours: the subcommands' `Args` name these as `value_parser`s; `crate::exit::usage`
//! turns a refusal into one line, `FLAG MESSAGE` (`--time-limit must be positive: got -5`).
//!
//! Design: every message here starts with "must" and ends with "got VALUE", so that it reads
//! as a sentence after the flag's name. Flags that take these also take values that start with
//! `-` (`allow_hyphen_values`), so a negative number reaches the parser and is refused by it,
//! rather than being taken for an unknown flag.

use std::time::Duration;

/// The longest duration any flag takes: about 31 years, far beyond any run, and small enough
/// that adding it to an `Instant` cannot overflow.
const LONGEST_SECS: f64 = 1e9;

/// A duration of 0 or more: `5`, `5s`, `500ms`, `1.5s`, `2m` (no unit: seconds).
pub fn duration(s: &str) -> Result<Duration, String> {
    at_least_zero(duration_secs(s)?, s)
}

/// A duration above 0 (see [`duration`]).
pub fn positive_duration(s: &str) -> Result<Duration, String> {
    above_zero(duration_secs(s)?, s)
}

/// A number of seconds, 0 or more (`5`, `2.5`), as a duration.
pub fn seconds(s: &str) -> Result<Duration, String> {
    at_least_zero(plain_secs(s)?, s)
}

/// A number of seconds above 0 (see [`seconds`]).
pub fn positive_seconds(s: &str) -> Result<Duration, String> {
    above_zero(plain_secs(s)?, s)
}

/// The seconds a duration with an optional unit stands for, of either sign.
fn duration_secs(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let bad = || format!("must be a duration such as 5, 5s, 500ms or 2m: got {s}");
    let scale = match unit {
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        _ => return Err(bad()),
    };
    num.trim().parse::<f64>().map(|x| x * scale).map_err(|_| bad())
}

fn plain_secs(s: &str) -> Result<f64, String> {
    s.trim().parse().map_err(|_| format!("must be a number of seconds such as 5 or 2.5: got {s}"))
}

fn at_least_zero(secs: f64, s: &str) -> Result<Duration, String> {
    match secs < 0.0 {
        true => Err(format!("must be 0 or more: got {s}")),
        false => bounded(secs, s),
    }
}

fn above_zero(secs: f64, s: &str) -> Result<Duration, String> {
    match secs <= 0.0 {
        true => Err(format!("must be positive: got {s}")),
        false => bounded(secs, s),
    }
}

/// NaN and anything above [`LONGEST_SECS`] (infinity too) are refused here, so that
/// `Duration::from_secs_f64` never panics on what a user typed.
fn bounded(secs: f64, s: &str) -> Result<Duration, String> {
    if secs.is_nan() {
        return Err(format!("must be a number: got {s}"));
    }
    if secs > LONGEST_SECS {
        return Err(format!("must be at most {LONGEST_SECS:e} s: got {s}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A whole number of 0 or more that fits in `T` (`usize`, `u32`, `u64`).
pub fn whole<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    let t = s.trim();
    let digits = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    match (digits, t.parse::<T>()) {
        (true, Ok(n)) => Ok(n),
        (true, Err(_)) => Err(format!("must be a smaller whole number: got {s}")),
        (false, _) => Err(format!("must be a whole number: got {s}")),
    }
}

/// A whole number above 0 that fits in `T`.
pub fn whole_positive<T: std::str::FromStr + Default + PartialEq>(s: &str) -> Result<T, String> {
    match whole::<T>(s)? {
        n if n == T::default() => Err(format!("must be 1 or more: got {s}")),
        n => Ok(n),
    }
}

/// The longest time in ms a node's timing flag takes: an hour, so that a node adding it to
/// an `Instant` never overflows.
pub const LONGEST_MS: u64 = 3_600_000;

/// A time in whole ms, 0 to an hour.
pub fn millis(s: &str) -> Result<u64, String> {
    let ms: u128 = whole(s)?;
    let within = u64::try_from(ms).ok().filter(|&ms| ms <= LONGEST_MS);
    within.ok_or_else(|| format!("must be at most {LONGEST_MS} (an hour): got {s}"))
}

/// A time in whole ms, 1 to an hour.
pub fn millis_positive(s: &str) -> Result<u64, String> {
    match millis(s)? {
        0 => Err(format!("must be 1 or more: got {s}")),
        ms => Ok(ms),
    }
}

/// A seed: a whole number from 0 to 2^64 - 1.
pub fn seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("must be a whole number from 0 to {}, e.g. 7: got {s}", u64::MAX))
}

/// A rate of operations per second: 0 (as fast as they go), or from one per 100 s (slower
/// would make the clients' mean gap overflow a `Duration`) to a million.
pub fn rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x == 0.0 || (0.01..=1e6).contains(&x) => Ok(x),
        _ => Err(format!(
            "must be a number of operations per second, 0 (as fast as they go) or from 0.01 to 1000000: got {s}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_or_without_a_unit() {
        let table = [("5", 5000), ("5s", 5000), ("500ms", 500), ("1.5s", 1500), ("2m", 120_000)];
        for (text, ms) in table {
            assert_eq!(duration(text), Ok(Duration::from_millis(ms)), "{text}");
        }
        assert_eq!(duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_are_refused_with_what_was_given() {
        let table = [
            ("-5", "must be 0 or more: got -5"),
            ("-0.5s", "must be 0 or more: got -0.5s"),
            ("5h", "must be a duration such as 5, 5s, 500ms or 2m: got 5h"),
            ("", "must be a duration such as 5, 5s, 500ms or 2m: got "),
            ("NaN", "must be a duration such as 5, 5s, 500ms or 2m: got NaN"),
            ("inf", "must be a duration such as 5, 5s, 500ms or 2m: got inf"),
            ("1e3s", "must be a duration such as 5, 5s, 500ms or 2m: got 1e3s"),
            ("99999999999", "must be at most 1e9 s: got 99999999999"),
        ];
        for (text, says) in table {
            assert_eq!(duration(text), Err(says.to_string()), "{text}");
        }
        assert_eq!(positive_duration("0ms"), Err("must be positive: got 0ms".into()));
        assert_eq!(positive_duration("-5"), Err("must be positive: got -5".into()));
    }

    #[test]
    fn seconds_refuse_what_duration_from_secs_f64_would_panic_on() {
        for text in ["inf", "-inf", "NaN", "1e300", "-1"] {
            assert!(seconds(text).is_err(), "{text}");
        }
        assert_eq!(seconds("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(positive_seconds("0"), Err("must be positive: got 0".into()));
    }

    #[test]
    fn whole_numbers_say_which_way_they_are_wrong() {
        assert_eq!(whole::<usize>("12"), Ok(12));
        assert_eq!(whole::<u32>("-1"), Err("must be a whole number: got -1".into()));
        assert_eq!(whole::<u32>("1.5"), Err("must be a whole number: got 1.5".into()));
        assert_eq!(
            whole::<u32>("99999999999"),
            Err("must be a smaller whole number: got 99999999999".into())
        );
        assert_eq!(whole_positive::<usize>("0"), Err("must be 1 or more: got 0".into()));
    }

    #[test]
    fn node_timings_stay_within_an_hour() {
        assert_eq!(millis("0"), Ok(0));
        assert_eq!(millis("3600000"), Ok(3_600_000));
        let over = "must be at most 3600000 (an hour): got";
        for text in ["3600001", "18446744073709551615", "99999999999999999999999"] {
            assert_eq!(millis(text), Err(format!("{over} {text}")), "{text}");
        }
        assert_eq!(millis_positive("0"), Err("must be 1 or more: got 0".into()));
        assert_eq!(millis(""), Err("must be a whole number: got ".into()));
    }

    #[test]
    fn a_rate_is_a_finite_number_of_zero_or_more() {
        assert_eq!(rate("0"), Ok(0.0));
        for text in ["-1", "NaN", "inf", "fast", "1e-300", "1e7"] {
            assert!(rate(text).is_err(), "{text}");
        }
    }
}
