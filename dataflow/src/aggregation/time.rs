//! Calendar arithmetic of named aggregations: the bucket of a time at each
//! granularity (in GMT, as the reference's default), the timestamps `aggregate by`
//! and `within` accept (`yyyy-MM-dd HH:mm:ss`, optionally followed by a UTC
//! offset such as `+05:30`), and the ranges of `within '2017-06-** **:**:**'`.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// The reference's names of the granularities, finest first.
pub const NAMES: [&str; 6] = ["SECONDS", "MINUTES", "HOURS", "DAYS", "MONTHS", "YEARS"];

const FIXED: [i64; 4] = [1_000, 60_000, 3_600_000, 86_400_000];

/// The start of the bucket of granularity `g` (0 sec … 5 year) holding `ts`, in GMT.
pub fn bucket_start(ts: i64, g: usize) -> i64 {
    if let Some(width) = FIXED.get(g) {
        // Saturates at the far end of the range instead of overflowing.
        return ts.checked_sub(ts.rem_euclid(*width)).unwrap_or(i64::MIN);
    }
    let Some(t) = Utc.timestamp_millis_opt(ts).single() else {
        return ts;
    };
    let month = if g == 4 { t.month() } else { 1 };
    Utc.with_ymd_and_hms(t.year(), month, 1, 0, 0, 0).single().map_or(ts, |d| d.timestamp_millis())
}

/// The end (exclusive) of the bucket of granularity `g` that starts at `start`.
pub fn bucket_end(start: i64, g: usize) -> i64 {
    match FIXED.get(g) {
        Some(width) => start.saturating_add(*width),
        None => next_calendar(start, g, FixedOffset::east_opt(0).expect("zero offset")),
    }
}

/// The first instant of the next month (`g` 4) or year (5) after `start`, in `zone`.
fn next_calendar(start: i64, g: usize, zone: FixedOffset) -> i64 {
    let Some(t) = zone.timestamp_millis_opt(start).single() else {
        return start;
    };
    let (year, month) = match (g, t.month()) {
        (4, 12) => (t.year() + 1, 1),
        (4, m) => (t.year(), m + 1),
        _ => (t.year() + 1, 1),
    };
    zone.with_ymd_and_hms(year, month, 1, 0, 0, 0).single().map_or(start, |d| d.timestamp_millis())
}

/// Reads `yyyy-MM-dd HH:mm:ss` (GMT) or `yyyy-MM-dd HH:mm:ss +hh:mm`.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Some(t.and_utc().timestamp_millis());
    }
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S %:z").ok().map(|t| t.timestamp_millis())
}

/// The range of a single `within` pattern: `2017-06-01 04:05:**` is that minute,
/// `2017-06-** **:**:**` that month, `2017-**-** **:**:** +05:30` that year in
/// that offset.
pub fn parse_pattern(text: &str) -> Result<(i64, i64), String> {
    let text = text.trim();
    let bad = || {
        format!(
            "incorrect format for within: '{text}' (expected yyyy-MM-dd HH:mm:ss with trailing fields \
             written as **, optionally followed by a UTC offset such as +05:30)"
        )
    };
    if text.len() != 19 && text.len() != 26 || !text.is_ascii() {
        return Err(bad());
    }
    let (body, zone) = text.split_at(19);
    // Which fields are `**`: month, day, hour, minute, second.
    let starred: Vec<bool> = [5, 8, 11, 14, 17].iter().map(|&at| &body[at..at + 2] == "**").collect();
    // Stars must run from some field to the end.
    let first = starred.iter().position(|s| *s).unwrap_or(starred.len());
    if starred[first..].iter().any(|s| !s) {
        return Err(bad());
    }
    let filled: String = match first {
        0 => format!("{}01-01 00:00:00", &body[..5]),
        1 => format!("{}01 00:00:00", &body[..8]),
        _ => body.replace('*', "0"),
    };
    // A `*` outside a whole trailing `**` field (`04:05:5*`) is not a pattern.
    let starred_chars = starred.iter().filter(|s| **s).count() * 2;
    if body.matches('*').count() != starred_chars {
        return Err(bad());
    }
    let start = parse_time(&format!("{filled}{zone}")).ok_or_else(bad)?;
    let offset = match zone.trim() {
        "" => FixedOffset::east_opt(0),
        z => DateTime::parse_from_str(&format!("2000-01-01 00:00:00 {z}"), "%Y-%m-%d %H:%M:%S %:z")
            .ok()
            .map(|d| *d.offset()),
    }
    .ok_or_else(bad)?;
    let end = match first {
        0 => next_calendar(start, 5, offset),
        1 => next_calendar(start, 4, offset),
        2 => start + 86_400_000,
        3 => start + 3_600_000,
        4 => start + 60_000,
        _ => start + 1_000,
    };
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_calendar_in_gmt() {
        let t = 1_496_289_950_500; // 2017-06-01 04:05:50.500 GMT
        assert_eq!(bucket_start(t, 0), 1_496_289_950_000);
        assert_eq!(bucket_start(t, 1), 1_496_289_900_000);
        assert_eq!(bucket_start(t, 2), 1_496_289_600_000);
        assert_eq!(bucket_start(t, 3), 1_496_275_200_000);
        assert_eq!(bucket_start(t, 4), 1_496_275_200_000);
        assert_eq!(bucket_start(t, 5), 1_483_228_800_000);
        assert_eq!(bucket_end(1_483_228_800_000, 5), 1_514_764_800_000);
        assert_eq!(bucket_end(1_496_275_200_000, 4), 1_498_867_200_000);
        assert_eq!(bucket_start(-1, 0), -1000);
        assert_eq!(bucket_start(i64::MIN, 3), i64::MIN);
        assert_eq!(bucket_start(i64::MAX, 5), i64::MAX);
    }

    #[test]
    fn within_patterns_name_a_calendar_range() {
        assert_eq!(parse_pattern("2017-06-** **:**:**"), Ok((1_496_275_200_000, 1_498_867_200_000)));
        assert_eq!(parse_pattern("2017-06-01 04:05:**"), Ok((1_496_289_900_000, 1_496_289_960_000)));
        assert_eq!(parse_pattern("2017-06-01 04:05:50"), Ok((1_496_289_950_000, 1_496_289_951_000)));
        assert_eq!(parse_pattern("2017-06-01 09:35:** +05:30"), Ok((1_496_289_900_000, 1_496_289_960_000)));
        assert!(parse_pattern("2017-**-01 00:00:00").is_err());
        assert!(parse_pattern("yesterday").is_err());
        assert!(parse_pattern("2017-06-01 04:05:5*").is_err());
        assert_eq!(parse_time("2017-06-01 04:05:50"), Some(1_496_289_950_000));
        assert_eq!(parse_time("2017-06-01 09:35:50 +05:30"), Some(1_496_289_950_000));
    }
}
