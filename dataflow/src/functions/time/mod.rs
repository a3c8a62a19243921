//! The `time:` functions of the reference's time extension (all twelve that
//! Macrometa documents).
//!
//! `currentDate`, `currentTime`, `currentTimestamp([zone])`, `utcTimestamp` and
//! `timestampInMilliseconds()` read the app's clock (the wall clock live, the event
//! time in playback). `extract` takes `(unit, date[, format[, locale]])`,
//! `(unit, ms)` as Macrometa's example writes it, or `(ms, unit[, locale])`.
//! `date`, `dateAdd`, `dateSub`, `dateDiff`, `dateFormat`,
//! `dayOfWeek`, `extract` and `timestampInMilliseconds(value[, format])` read a
//! date string in a Java `SimpleDateFormat` pattern ([`pattern`]) or, where the
//! reference allows, milliseconds since the epoch (a `long`). The default pattern
//! is `yyyy-MM-dd HH:mm:ss.SSS`; its milliseconds may be left out, as Macrometa's
//! examples do. Units are `SECOND`, `MINUTE`, `HOUR`, `DAY`, `WEEK`, `MONTH`,
//! `QUARTER`, `YEAR` in any case.
//!
//! Dates without an offset are read and shown in UTC, where the reference uses
//! its JVM's default zone (so a documented example computed on a JVM in another
//! zone shows other hours). `extract('WEEK', …)` counts weeks as Java's US locale
//! does (Sunday first, week 1 holds January 1st); the `locale` argument is
//! accepted and not otherwise used. A null argument gives null; a date that does
//! not match its pattern, an unknown unit or zone is an error (the query sees null).

pub mod pattern;

use super::{arg_is, arity, FnContext, ScalarFn};
use crate::value::Value;
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use parking_lot::Mutex;
use pattern::{zone, DatePattern};
use sluice_frontend::ast::AttrType;
use std::sync::Arc;

type R = Result<Value, String>;

/// The pattern used when a call names none.
const DEFAULT_PATTERN: &str = "yyyy-MM-dd HH:mm:ss.SSS";

/// The default pattern without its milliseconds, tried when the full one fails.
const DEFAULT_PATTERN_NO_MILLIS: &str = "yyyy-MM-dd HH:mm:ss";

/// Compiled patterns of one call site, keyed by their text (patterns are
/// usually constants, so this holds one or two).
#[derive(Default)]
struct Patterns(Mutex<Vec<(String, Arc<DatePattern>)>>);

impl Patterns {
    /// The compiled `java` pattern.
    fn get(&self, java: &str) -> Result<Arc<DatePattern>, String> {
        let mut cache = self.0.lock();
        if let Some((_, p)) = cache.iter().find(|(text, _)| text == java) {
            return Ok(p.clone());
        }
        let compiled = Arc::new(DatePattern::compile(java)?);
        if cache.len() >= 16 {
            cache.clear();
        }
        cache.push((java.to_string(), compiled.clone()));
        Ok(compiled)
    }

    /// Reads `text` in `format` (the default pattern when `None`) as UTC ms.
    fn read(&self, text: &str, format: Option<&str>) -> Result<i64, String> {
        match format {
            Some(java) => self.get(java)?.parse(text, Tz::UTC),
            None => self
                .get(DEFAULT_PATTERN)?
                .parse(text, Tz::UTC)
                .or_else(|_| self.get(DEFAULT_PATTERN_NO_MILLIS)?.parse(text, Tz::UTC)),
        }
        .map_err(|e| format!("'{text}' does not match the date format {}: {e}", format.unwrap_or(DEFAULT_PATTERN)))
    }

    /// Shows the instant `ms` in UTC with pattern `java`.
    fn show(&self, ms: i64, java: &str) -> R {
        Ok(Value::string(&self.get(java)?.format(ms, Tz::UTC)?))
    }
}

/// A `time:` function body: arguments, clock and the call's pattern cache.
type Body = fn(&[Value], &FnContext, &Patterns) -> R;

/// Wraps `body` with a fresh pattern cache; any null argument gives null.
fn with_patterns(body: Body) -> ScalarFn {
    let patterns = Patterns::default();
    Arc::new(move |a: &[Value], cx: &FnContext| {
        if a.iter().any(|v| matches!(v, Value::Null)) {
            return Ok(Value::Null);
        }
        body(a, cx, &patterns)
    })
}

/// The string argument `i`, if there is one.
fn text(a: &[Value], i: usize) -> Option<&str> {
    match a.get(i) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// The instant argument 0 means: a date string read in the pattern at
/// `format_at` (when given), or milliseconds.
fn instant(a: &[Value], format_at: usize, p: &Patterns) -> Result<i64, String> {
    match a.first() {
        Some(Value::String(s)) => p.read(s, text(a, format_at)),
        Some(v) => v.as_i64().ok_or(format!("expected a date string or milliseconds, found {v}")),
        None => Err("missing date".into()),
    }
}

/// The UTC date-time of `ms`.
fn utc(ms: i64) -> Result<DateTime<Tz>, String> {
    Tz::UTC.timestamp_millis_opt(ms).single().ok_or(format!("{ms} ms is outside the calendar"))
}

/// `ms` moved by `amount` units (Java's `Calendar.add`: months clamp the day).
fn add(ms: i64, amount: i64, unit: &str) -> Result<i64, String> {
    let fixed = |unit_ms: i64| amount.checked_mul(unit_ms).and_then(|d| ms.checked_add(d));
    let months = |per: i64| -> Option<i64> {
        let t = utc(ms).ok()?;
        let n = u32::try_from(amount.checked_mul(per)?.unsigned_abs()).ok()?;
        let moved =
            if amount >= 0 { t.checked_add_months(Months::new(n)) } else { t.checked_sub_months(Months::new(n)) };
        Some(moved?.timestamp_millis())
    };
    match unit.to_ascii_uppercase().as_str() {
        "SECOND" => fixed(1000),
        "MINUTE" => fixed(60_000),
        "HOUR" => fixed(3_600_000),
        "DAY" => fixed(86_400_000),
        "WEEK" => fixed(7 * 86_400_000),
        "MONTH" => months(1),
        "QUARTER" => months(3),
        "YEAR" => months(12),
        _ => return Err(format!("unknown time unit '{unit}' (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR)")),
    }
    .ok_or_else(|| "the date moves outside the calendar".to_string())
}

/// `dateAdd`/`dateSub` (`sign` -1): a string date stays a string in its pattern,
/// milliseconds give the moved milliseconds as a string.
fn shift(a: &[Value], p: &Patterns, sign: i64) -> R {
    let amount = a
        .get(1)
        .and_then(Value::as_i64)
        .ok_or("the amount must be an int")?
        .checked_mul(sign)
        .ok_or("the amount is out of range")?;
    let unit = text(a, 2).ok_or("the unit must be a string")?;
    let moved = add(instant(a, 3, p)?, amount, unit)?;
    match a.first() {
        Some(Value::String(_)) => p.show(moved, text(a, 3).unwrap_or(DEFAULT_PATTERN)),
        _ => Ok(Value::string(&moved.to_string())),
    }
}

/// The week of the year as Java's US calendar counts it.
fn us_week_of_year(d: NaiveDate) -> i32 {
    let next_new_year = NaiveDate::from_ymd_opt(d.year() + 1, 1, 1);
    if let Some(next) = next_new_year {
        if (next - d).num_days() <= i64::from(next.weekday().num_days_from_sunday()) {
            return 1;
        }
    }
    let first = NaiveDate::from_ymd_opt(d.year(), 1, 1).map_or(0, |j| j.weekday().num_days_from_sunday());
    ((d.ordinal0() + first) / 7 + 1) as i32
}

/// `extract`: one field of the date.
fn extract(a: &[Value], p: &Patterns) -> R {
    let (ms, unit) = match a.first() {
        Some(Value::String(unit)) => match a.get(1) {
            Some(Value::String(date)) => (p.read(date, text(a, 2))?, unit.to_string()),
            Some(v) => (v.as_i64().ok_or("time:extract() needs a date after the unit")?, unit.to_string()),
            None => return Err("time:extract() needs a date after the unit".into()),
        },
        _ => (instant(a, usize::MAX, p)?, text(a, 1).ok_or("time:extract() needs a unit")?.to_string()),
    };
    let t = utc(ms)?;
    Ok(Value::Int(match unit.to_ascii_uppercase().as_str() {
        "YEAR" => t.year(),
        "MONTH" => t.month() as i32,
        "QUARTER" => t.month0() as i32 / 3 + 1,
        "WEEK" => us_week_of_year(t.date_naive()),
        "DAY" => t.day() as i32,
        "HOUR" => t.hour() as i32,
        "MINUTE" => t.minute() as i32,
        "SECOND" => t.second() as i32,
        _ => return Err(format!("unknown time unit '{unit}'")),
    }))
}

/// The implementation of `time:` function `name`.
pub fn lookup(name: &str) -> Option<ScalarFn> {
    let short = name.strip_prefix("time:")?;
    let body: Body = match short {
        "currentdate" => |_, cx, p| p.show(cx.now, "yyyy-MM-dd"),
        "currenttime" => |_, cx, p| p.show(cx.now, "HH:mm:ss"),
        "utctimestamp" => |_, cx, p| p.show(cx.now, "yyyy-MM-dd HH:mm:ss"),
        "currenttimestamp" => |a, cx, p| match text(a, 0) {
            None => p.show(cx.now, "yyyy-MM-dd HH:mm:ss"),
            Some(name) => Ok(Value::string(&p.get("yyyy-MM-dd HH:mm:ss")?.format(cx.now, zone(name)?)?)),
        },
        "timestampinmilliseconds" => |a, cx, p| match text(a, 0) {
            None => Ok(Value::Long(cx.now)),
            Some(date) => Ok(Value::Long(p.read(date, text(a, 1))?)),
        },
        "date" => |a, _, p| p.show(instant(a, 1, p)?, "yyyy-MM-dd"),
        "dayofweek" => |a, _, p| p.show(instant(a, 1, p)?, "EEEE"),
        "dateformat" => |a, _, p| {
            let target = text(a, 1).ok_or("time:dateFormat() needs a target format")?;
            p.show(instant(a, 2, p)?, target)
        },
        "dateadd" => |a, _, p| shift(a, p, 1),
        "datesub" => |a, _, p| shift(a, p, -1),
        "datediff" => |a, _, p| {
            let first = instant(a, 2, p)?;
            let second = match a.get(1) {
                Some(Value::String(s)) => p.read(s, text(a, 3))?,
                Some(v) => v.as_i64().ok_or("time:dateDiff() needs two dates of the same kind")?,
                None => return Err("time:dateDiff() needs two dates".into()),
            };
            let apart = first.checked_sub(second).ok_or("the dates are too far apart")?;
            Ok(Value::Long(apart / 86_400_000))
        },
        "extract" => |a, _, p| extract(a, p),
        _ => return None,
    };
    Some(with_patterns(body))
}

/// The result type of `time:` function `name` over `t`, or what is wrong.
pub fn signature(name: &str, t: &[AttrType]) -> Option<Result<AttrType, String>> {
    use AttrType::*;
    let short = name.strip_prefix("time:")?;
    let date_or_ms = [String, Long];
    let strings_from = |from: usize| (from..t.len()).try_for_each(|i| arg_is(name, t, i, &[String]));
    Some(match short {
        "currentdate" | "currenttime" | "utctimestamp" => arity(name, t, 0..=0).map(|_| String),
        "currenttimestamp" => arity(name, t, 0..=1).and_then(|_| strings_from(0)).map(|_| String),
        "timestampinmilliseconds" => arity(name, t, 0..=2).and_then(|_| strings_from(0)).map(|_| Long),
        "date" | "dayofweek" => arity(name, t, 1..=2).and_then(|_| strings_from(0)).map(|_| String),
        "dateformat" => arity(name, t, 2..=3)
            .and_then(|_| arg_is(name, t, 0, &date_or_ms))
            .and_then(|_| strings_from(1))
            .and_then(|_| only_strings_with_format(name, t, 2))
            .map(|_| String),
        "dateadd" | "datesub" => arity(name, t, 3..=4)
            .and_then(|_| arg_is(name, t, 0, &date_or_ms))
            .and_then(|_| arg_is(name, t, 1, &[Int, Long]))
            .and_then(|_| strings_from(2))
            .and_then(|_| only_strings_with_format(name, t, 3))
            .map(|_| String),
        "datediff" => (if t.len() == 3 { Err(format!("{name}() takes 2 or 4 arguments, found 3")) } else { Ok(()) })
            .and_then(|_| arity(name, t, 2..=4))
            .and_then(|_| arg_is(name, t, 0, &date_or_ms))
            .and_then(|_| arg_is(name, t, 1, &date_or_ms))
            .and_then(|_| strings_from(2))
            .and_then(|_| only_strings_with_format(name, t, 2))
            .map(|_| Long),
        "extract" => arity(name, t, 2..=4)
            .and_then(|_| match t.first() {
                Some(Long) | Some(Int) => {
                    arity(name, t, 2..=3)?;
                    strings_from(1)
                }
                _ => arg_is(name, t, 0, &[String])
                    .and_then(|_| arg_is(name, t, 1, &date_or_ms))
                    .and_then(|_| strings_from(2))
                    .and_then(|_| match t.get(1) {
                        Some(Long) | Some(Int) if t.len() > 2 => {
                            Err(format!("{name}() takes no date format after a date in milliseconds"))
                        }
                        _ => Ok(()),
                    }),
            })
            .map(|_| Int),
        _ => return None,
    })
}

/// A millisecond first argument cannot take a date format at `format_at`.
fn only_strings_with_format(name: &str, t: &[AttrType], format_at: usize) -> Result<(), String> {
    match t.first() {
        Some(AttrType::Long) | Some(AttrType::Int) if t.len() > format_at => {
            Err(format!("{name}() takes no date format after a date in milliseconds"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> R {
        let cx = FnContext { event_ts: 0, now: 1_415_712_224_657 };
        lookup(&name.to_ascii_lowercase()).expect(name)(args, &cx)
    }

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    #[test]
    fn documented_examples() {
        let ymdhms = s("yyyy-MM-dd HH:mm:ss");
        assert_eq!(call("time:date", &[s("2014/11/11 13:23:44"), s("yyyy/MM/dd HH:mm:ss")]), Ok(s("2014-11-11")));
        assert_eq!(call("time:date", &[s("13:23:44"), s("HH:mm:ss")]), Ok(s("1970-01-01")));
        assert_eq!(
            call("time:dateAdd", &[s("2014-11-11 13:23:44.657"), Value::Int(5), s("YEAR")]),
            Ok(s("2019-11-11 13:23:44.657"))
        );
        assert_eq!(
            call("time:dateAdd", &[Value::Long(1_415_712_224_000), Value::Int(1), s("HOUR")]),
            Ok(s("1415715824000"))
        );
        assert_eq!(
            call("time:dateDiff", &[s("2014-11-11 13:23:44"), s("2014-11-9 13:23:44"), ymdhms.clone(), ymdhms]),
            Ok(Value::Long(2))
        );
        assert_eq!(call("time:dateDiff", &[s("2014-11-13 13:23:44"), s("2014-11-9 13:23:44")]), Ok(Value::Long(4)));
        assert_eq!(
            call("time:dateDiff", &[Value::Long(1_415_692_424_000), Value::Long(1_412_841_224_000)]),
            Ok(Value::Long(33))
        );
        assert_eq!(call("time:dayOfWeek", &[s("2014-11-11 13:23:44.345")]), Ok(s("Tuesday")));
        assert_eq!(call("time:extract", &[s("DAY"), s("2019-11-12 13:23:44.657")]), Ok(Value::Int(12)));
        assert_eq!(call("time:currentTimestamp", &[s("Asia/Kolkata")]), Ok(s("2014-11-11 18:53:44")));
    }

    #[test]
    fn units_and_weeks_follow_java_calendar() {
        let jan31 = DatePattern::compile("yyyy-MM-dd").unwrap().parse("2015-01-31", Tz::UTC).unwrap();
        let feb28 = DatePattern::compile("yyyy-MM-dd").unwrap().parse("2015-02-28", Tz::UTC).unwrap();
        assert_eq!(add(jan31, 1, "month"), Ok(feb28));
        assert_eq!(add(feb28, -1, "MONTH").map(|ms| ms - jan31), Ok(-3 * 86_400_000));
        assert!(add(jan31, 1, "fortnight").is_err());
        let week = |y, m, d| us_week_of_year(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(week(2014, 1, 1), 1);
        assert_eq!(week(2014, 1, 5), 2); // a Sunday starts week 2
        assert_eq!(week(2014, 12, 28), 1); // the week holding 2015-01-01
        assert_eq!(week(2014, 12, 27), 52);
    }

    #[test]
    fn extreme_milliseconds_are_errors_not_overflows() {
        assert!(call("time:dateDiff", &[Value::Long(i64::MAX), Value::Long(-1)]).is_err());
        assert!(call("time:dateAdd", &[Value::Long(i64::MAX), Value::Int(1), s("SECOND")]).is_err());
        assert!(call("time:dateSub", &[Value::Long(0), Value::Long(i64::MIN), s("DAY")]).is_err());
        assert!(call("time:dateFormat", &[Value::Long(i64::MAX), s("yyyy")]).is_err());
        assert!(call("time:dateAdd", &[Value::Long(0), Value::Long(i64::MAX), s("YEAR")]).is_err());
    }

    #[test]
    fn errors_and_nulls() {
        assert!(call("time:date", &[s("not a date")]).is_err());
        assert_eq!(call("time:date", &[Value::Null]), Ok(Value::Null));
        assert!(call("time:currentTimestamp", &[s("Nowhere/Town")]).is_err());
        assert!(signature("time:datediff", &[AttrType::String, AttrType::String, AttrType::String]).unwrap().is_err());
        assert!(signature("time:dateformat", &[AttrType::Long, AttrType::String, AttrType::String]).unwrap().is_err());
        assert_eq!(signature("time:extract", &[AttrType::Long, AttrType::String]), Some(Ok(AttrType::Int)));
        assert!(signature("time:currentdate", &[AttrType::Int]).unwrap().is_err());
    }
}
