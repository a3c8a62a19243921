//! Java `SimpleDateFormat` patterns translated to chrono format items.
//!
//! [`DatePattern::compile`] reads a Java pattern (`yyyy-MM-dd HH:mm:ss.SSS`,
//! `'T'`-quoted literals, `''` for a quote) into chrono [`Item`]s, once; the pattern
//! then formats an instant in a time zone and parses text back to an instant.
//!
//! Letters and what they become: `y` (`yy`: two digits), `M`/`L` (`MMM` short
//! name, `MMMM` full name), `d`, `D` (day of year), `E` (`EEEE` full day name),
//! `u` (day number, Monday 1), `a` (AM/PM), `H`, `h`, `m`, `s`, `S` (milliseconds,
//! always three digits), `z` (zone name; parsing skips it), `Z` (`+0530`), `X`
//! (`Z` or `+05:30`), `G` (`AD`). Java's other letters (`Y`, `w`, `W`, `F`, `k`,
//! `K`) are refused with an error naming the letter.
//!
//! Parsing follows Java's lenient habits where the engine's users rely on them:
//! one-digit fields (`2014-11-9`), text after the pattern is ignored, fields the
//! pattern does not have default to 1970-01-01 00:00:00.000. Out-of-range fields
//! (month 13) are errors rather than Java's roll-over.

use chrono::format::{Fixed, Item, Numeric, Pad, Parsed};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use std::fmt::Write;

/// A compiled Java date pattern.
#[derive(Clone, Debug)]
pub struct DatePattern {
    items: Vec<Item<'static>>,
}

impl DatePattern {
    /// Translates Java pattern `java`, or says which letter or quote is wrong.
    pub fn compile(java: &str) -> Result<DatePattern, String> {
        let mut items = Vec::new();
        let chars: Vec<char> = java.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                let (text, next) = quoted(&chars, i)?;
                items.push(Item::OwnedLiteral(text.into_boxed_str()));
                i = next;
            } else if c.is_ascii_alphabetic() {
                let run = chars[i..].iter().take_while(|&&d| d == c).count();
                items.push(letter_item(c, run)?);
                i += run;
            } else {
                let run: String = chars[i..].iter().take_while(|d| !d.is_ascii_alphabetic() && **d != '\'').collect();
                i += run.chars().count();
                items.push(Item::OwnedLiteral(run.into_boxed_str()));
            }
        }
        Ok(DatePattern { items })
    }

    /// Formats the instant `epoch_ms` as seen in `zone`.
    pub fn format(&self, epoch_ms: i64, zone: Tz) -> Result<String, String> {
        let instant =
            zone.timestamp_millis_opt(epoch_ms).single().ok_or(format!("{epoch_ms} ms is outside the calendar"))?;
        let mut out = String::new();
        write!(out, "{}", instant.format_with_items(self.items.iter()))
            .map_err(|_| format!("cannot format {epoch_ms} ms with this pattern"))?;
        Ok(out)
    }

    /// Parses `text` to an instant (ms since the epoch); a time without an offset
    /// in the text is taken in `zone`.
    pub fn parse(&self, text: &str, zone: Tz) -> Result<i64, String> {
        let mut parsed = Parsed::new();
        chrono::format::parse_and_remainder(&mut parsed, text, self.items.iter()).map_err(|e| e.to_string())?;
        let local = local_time(&parsed)?;
        let instant = match parsed.offset() {
            Some(offset) => local.and_utc().timestamp_millis() - i64::from(offset) * 1000,
            None => zone
                .from_local_datetime(&local)
                .earliest()
                .ok_or(format!("{local} does not exist in {zone}"))?
                .timestamp_millis(),
        };
        Ok(instant)
    }
}

/// The text of the quoted literal opening at `chars[start]` and the index after it.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), String> {
    if chars.get(start + 1) == Some(&'\'') {
        return Ok(("'".into(), start + 2));
    }
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err("unterminated quote in date pattern".into()),
            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                text.push('\'');
                i += 2;
            }
            Some('\'') => return Ok((text, i + 1)),
            Some(c) => {
                text.push(*c);
                i += 1;
            }
        }
    }
}

/// The chrono item for a run of `count` pattern letters `c`.
fn letter_item(c: char, count: usize) -> Result<Item<'static>, String> {
    let pad = if count >= 2 { Pad::Zero } else { Pad::None };
    Ok(match c {
        'G' => Item::OwnedLiteral("AD".into()),
        'y' if count == 2 => Item::Numeric(Numeric::YearMod100, Pad::Zero),
        'y' => Item::Numeric(Numeric::Year, if count >= 4 { Pad::Zero } else { Pad::None }),
        'M' | 'L' if count >= 4 => Item::Fixed(Fixed::LongMonthName),
        'M' | 'L' if count == 3 => Item::Fixed(Fixed::ShortMonthName),
        'M' | 'L' => Item::Numeric(Numeric::Month, pad),
        'd' => Item::Numeric(Numeric::Day, pad),
        'D' => Item::Numeric(Numeric::Ordinal, if count >= 3 { Pad::Zero } else { Pad::None }),
        'E' if count >= 4 => Item::Fixed(Fixed::LongWeekdayName),
        'E' => Item::Fixed(Fixed::ShortWeekdayName),
        'u' => Item::Numeric(Numeric::WeekdayFromMon, Pad::None),
        'a' => Item::Fixed(Fixed::UpperAmPm),
        'H' => Item::Numeric(Numeric::Hour, pad),
        'h' => Item::Numeric(Numeric::Hour12, pad),
        'm' => Item::Numeric(Numeric::Minute, pad),
        's' => Item::Numeric(Numeric::Second, pad),
        'S' => milliseconds(),
        'z' => Item::Fixed(Fixed::TimezoneName),
        'Z' => Item::Fixed(Fixed::TimezoneOffset),
        'X' if count >= 3 => Item::Fixed(Fixed::TimezoneOffsetColonZ),
        'X' => Item::Fixed(Fixed::TimezoneOffsetZ),
        'Y' | 'w' | 'W' | 'F' | 'k' | 'K' => return Err(format!("date pattern letter '{c}' is not supported")),
        _ => return Err(format!("illegal date pattern character '{c}'")),
    })
}

/// Milliseconds as three digits with no dot (chrono's `%3f`, whose item is
/// not nameable outside chrono).
fn milliseconds() -> Item<'static> {
    chrono::format::StrftimeItems::new("%3f").next().unwrap_or(Item::Error)
}

/// The local date-time the parsed fields spell, missing fields taken from
/// 1970-01-01 00:00:00.000 as Java does.
fn local_time(p: &Parsed) -> Result<NaiveDateTime, String> {
    let year = match (p.year(), p.year_div_100(), p.year_mod_100()) {
        (Some(y), _, _) => y,
        (None, Some(c), Some(y)) => c * 100 + y,
        (None, None, Some(y)) if y >= 70 => 1900 + y,
        (None, None, Some(y)) => 2000 + y,
        _ => 1970,
    };
    let date = match (p.ordinal(), p.month(), p.day()) {
        (Some(day), None, None) => NaiveDate::from_yo_opt(year, day),
        (_, month, day) => NaiveDate::from_ymd_opt(year, month.unwrap_or(1), day.unwrap_or(1)),
    }
    .ok_or("the date is not a day of the calendar")?;
    let hour = p.hour_div_12().unwrap_or(0) * 12 + p.hour_mod_12().unwrap_or(0);
    let nano = p.nanosecond().unwrap_or(0);
    date.and_hms_nano_opt(hour, p.minute().unwrap_or(0), p.second().unwrap_or(0), nano)
        .ok_or_else(|| "the time is not a time of day".to_string())
}

/// The time zone Java's `ZoneId.of(name, SHORT_IDS)` names: a region
/// (`Asia/Kolkata`), `UTC`/`GMT`, or one of Java's three-letter short ids.
pub fn zone(name: &str) -> Result<Tz, String> {
    let region = match name {
        "EST" => "Etc/GMT+5",
        "MST" => "Etc/GMT+7",
        "HST" => "Etc/GMT+10",
        "ACT" => "Australia/Darwin",
        "AET" => "Australia/Sydney",
        "AGT" => "America/Argentina/Buenos_Aires",
        "ART" => "Africa/Cairo",
        "AST" => "America/Anchorage",
        "BET" => "America/Sao_Paulo",
        "BST" => "Asia/Dhaka",
        "CAT" => "Africa/Harare",
        "CNT" => "America/St_Johns",
        "CST" => "America/Chicago",
        "CTT" => "Asia/Shanghai",
        "EAT" => "Africa/Addis_Ababa",
        "ECT" => "Europe/Paris",
        "IET" => "America/Indiana/Indianapolis",
        "IST" => "Asia/Kolkata",
        "JST" => "Asia/Tokyo",
        "MIT" => "Pacific/Apia",
        "NET" => "Asia/Yerevan",
        "NST" => "Pacific/Auckland",
        "PLT" => "Asia/Karachi",
        "PNT" => "America/Phoenix",
        "PRT" => "America/Puerto_Rico",
        "PST" => "America/Los_Angeles",
        "SST" => "Pacific/Guadalcanal",
        "VST" => "Asia/Ho_Chi_Minh",
        "Z" => "UTC",
        other => other,
    };
    region.parse::<Tz>().map_err(|_| format!("unknown time zone '{name}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(pattern: &str, text: &str) -> Result<i64, String> {
        DatePattern::compile(pattern)?.parse(text, Tz::UTC)
    }

    fn show(pattern: &str, ms: i64, zone_name: &str) -> String {
        DatePattern::compile(pattern).unwrap().format(ms, zone(zone_name).unwrap()).unwrap()
    }

    #[test]
    fn formats_the_common_letters() {
        // 2014-11-11 13:23:44.657 UTC, a Tuesday
        let ms = 1_415_712_224_657;
        assert_eq!(show("yyyy-MM-dd HH:mm:ss.SSS", ms, "UTC"), "2014-11-11 13:23:44.657");
        assert_eq!(show("yy/M/d h:m:s a", ms, "UTC"), "14/11/11 1:23:44 PM");
        assert_eq!(show("EEEE, d MMMM yyyy", ms, "UTC"), "Tuesday, 11 November 2014");
        assert_eq!(show("EEE MMM D", ms, "UTC"), "Tue Nov 315");
        assert_eq!(show("yyyy-MM-dd'T'HH:mm:ssZ", ms, "IST"), "2014-11-11T18:53:44+0530");
        assert_eq!(show("HH:mm z", ms, "Asia/Tokyo"), "22:23 JST");
        assert_eq!(show("'o''clock' ''", ms, "UTC"), "o'clock '");
    }

    #[test]
    fn parses_with_defaults_and_java_leniency() {
        assert_eq!(utc("yyyy-MM-dd HH:mm:ss", "2007-11-30 10:30:19"), Ok(1_196_418_619_000));
        assert_eq!(utc("yyyy-MM-dd HH:mm:ss", "2014-11-9 13:23:44"), utc("yyyy-MM-dd HH:mm:ss", "2014-11-09 13:23:44"));
        assert_eq!(utc("HH:mm:ss", "13:23:44"), Ok((13 * 3600 + 23 * 60 + 44) * 1000));
        assert_eq!(utc("yyyy-MM-dd", "2014-11-11 trailing text"), Ok(1_415_664_000_000));
        assert_eq!(utc("dd MMM yyyy hh:mm a", "11 Nov 2014 01:23 PM"), Ok(1_415_712_180_000));
        assert_eq!(utc("yyyy-MM-dd HH:mm Z", "2014-11-11 18:53 +0530"), Ok(1_415_712_180_000));
        assert_eq!(utc("yy-MM-dd", "69-01-01"), utc("yyyy-MM-dd", "2069-01-01"));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(utc("yyyy-MM-dd", "2014/11/11").is_err());
        assert!(utc("yyyy-MM-dd", "2014-13-01").is_err());
        assert!(DatePattern::compile("yyyy-ww").unwrap_err().contains("'w'"));
        assert!(DatePattern::compile("yyyy-qq").unwrap_err().contains("'q'"));
        assert!(DatePattern::compile("'open").is_err());
        assert!(zone("Mars/Olympus").is_err());
        assert_eq!(zone("CST").unwrap(), Tz::America__Chicago);
    }
}
