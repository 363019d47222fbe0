//! Timestamps as operators type them: local wall time, RFC 3339, epoch seconds and relative
//! forms such as `-2h` or `30m ago`; and the time zone they are read and shown in.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The forms [`parse_timestamp`] accepts, for error messages and help texts.
pub const ACCEPTED_FORMS: &str = "'YYYY-MM-DD HH:MM:SS' (wall time in the operator's zone), \
RFC 3339 such as 2026-11-24T10:30:00Z or 2026-11-24T18:30:00+08:00, epoch seconds such as \
1795516200, relative times such as -2h, 30m ago or '1d 2h ago', and now";

const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
];

/// The time zone wall times are read and shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// The machine's local zone.
    #[default]
    Local,
    /// A fixed offset from UTC (`UTC`, `+08:00`).
    Fixed(FixedOffset),
    /// A named IANA zone (`Asia/Shanghai`).
    Named(Tz),
}

/// A zone name that is none of `local`, `UTC`, `±HH:MM` or an IANA name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone '{0}': use local, UTC, an offset such as +08:00, or an IANA name such as Asia/Shanghai"
)]
pub struct UnknownZone(pub String);

impl FromStr for Zone {
    type Err = UnknownZone;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        if trimmed.eq_ignore_ascii_case("utc") || trimmed == "Z" {
            return Ok(Zone::Fixed(Utc.fix()));
        }
        if let Some(offset) = parse_offset(trimmed) {
            return Ok(Zone::Fixed(offset));
        }
        trimmed
            .parse::<Tz>()
            .map(Zone::Named)
            .map_err(|_| UnknownZone(s.to_string()))
    }
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if !(0..=23).contains(&hours) || !(0..=59).contains(&minutes) {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Local => f.write_str("local time"),
            Zone::Fixed(offset) if offset.local_minus_utc() == 0 => f.write_str("UTC"),
            Zone::Fixed(offset) => write!(f, "UTC{offset}"),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

impl Zone {
    /// `at` as wall time in this zone: `2026-11-24 10:30:00`.
    pub fn format(&self, at: DateTime<Utc>) -> String {
        self.format_as(at, "%Y-%m-%d %H:%M:%S")
    }

    /// The wall time of `at` in this zone, without the date: `10:30:00`.
    pub fn time_of_day(&self, at: DateTime<Utc>) -> String {
        self.format_as(at, "%H:%M:%S")
    }

    /// The hour and minute of `at` in this zone: `10:30`.
    pub fn hour_minute(&self, at: DateTime<Utc>) -> String {
        self.format_as(at, "%H:%M")
    }

    fn format_as(&self, at: DateTime<Utc>, pattern: &str) -> String {
        match self {
            Zone::Local => at.with_timezone(&chrono::Local).format(pattern).to_string(),
            Zone::Fixed(offset) => at.with_timezone(offset).format(pattern).to_string(),
            Zone::Named(tz) => at.with_timezone(tz).format(pattern).to_string(),
        }
    }

    fn resolve(&self, naive: NaiveDateTime) -> LocalResult<DateTime<Utc>> {
        fn to_utc<T: TimeZone>(r: LocalResult<DateTime<T>>) -> LocalResult<DateTime<Utc>> {
            r.map(|at| at.with_timezone(&Utc))
        }
        match self {
            Zone::Local => to_utc(chrono::Local.from_local_datetime(&naive)),
            Zone::Fixed(offset) => to_utc(offset.from_local_datetime(&naive)),
            Zone::Named(tz) => to_utc(tz.from_local_datetime(&naive)),
        }
    }
}

/// Why a typed timestamp was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("no timestamp given; accepted forms: {ACCEPTED_FORMS}")]
    Empty,
    #[error("'{input}' is not a timestamp jwctl understands; accepted forms: {ACCEPTED_FORMS}")]
    Unrecognized { input: String },
    #[error("'{input}' is out of the range of representable times")]
    OutOfRange { input: String },
    #[error(
        "'{input}' does not exist in {zone} (the clocks skip it); give another time or RFC 3339 with an offset"
    )]
    Nonexistent { input: String, zone: String },
    #[error(
        "'{input}' happens twice in {zone} (the clocks repeat it); give it as RFC 3339 with an offset"
    )]
    Ambiguous { input: String, zone: String },
}

/// Reads a timestamp typed by an operator. Wall times are in `zone`; relative forms count
/// back from `now`.
pub fn parse_timestamp(
    input: &str,
    now: DateTime<Utc>,
    zone: &Zone,
) -> Result<DateTime<Utc>, TimestampError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(TimestampError::Empty);
    }
    let out_of_range = || TimestampError::OutOfRange {
        input: text.to_string(),
    };
    if text.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = text.parse().map_err(|_| out_of_range())?;
        return DateTime::from_timestamp(secs, 0).ok_or_else(out_of_range);
    }
    if let Some(relative) = parse_relative(text) {
        let delta = relative.ok_or_else(out_of_range)?;
        return now.checked_sub_signed(delta).ok_or_else(out_of_range);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let naive = LOCAL_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .ok_or_else(|| TimestampError::Unrecognized {
            input: text.to_string(),
        })?;
    match zone.resolve(naive) {
        LocalResult::Single(at) => Ok(at),
        LocalResult::None => Err(TimestampError::Nonexistent {
            input: text.to_string(),
            zone: zone.to_string(),
        }),
        LocalResult::Ambiguous(_, _) => Err(TimestampError::Ambiguous {
            input: text.to_string(),
            zone: zone.to_string(),
        }),
    }
}

/// `Some(Some(d))` for a relative form, `Some(None)` for one that overflows, `None` when the
/// text is not a relative form at all.
fn parse_relative(text: &str) -> Option<Option<TimeDelta>> {
    let lower = text.to_ascii_lowercase();
    let body = if let Some(rest) = lower.strip_prefix('-') {
        rest
    } else {
        lower.strip_suffix("ago")?
    };
    let mut rest = body.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total_secs: i64 = 0;
    let mut overflow = false;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let (number, after) = rest.split_at(digits);
        let after = after.trim_start();
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let unit_secs: i64 = match unit {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 604_800,
            _ => return None,
        };
        match number
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_secs))
            .and_then(|secs| total_secs.checked_add(secs))
        {
            Some(sum) => total_secs = sum,
            None => overflow = true,
        }
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    if overflow {
        return Some(None);
    }
    Some(TimeDelta::try_seconds(total_secs))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn shanghai() -> Zone {
        "Asia/Shanghai".parse().unwrap_or_default()
    }

    #[test]
    fn wall_time_is_read_in_the_given_zone() {
        let at = parse_timestamp("2026-11-24 18:00:00", now(), &shanghai());
        assert_eq!(at, Ok(now()));
        let utc: Zone = "UTC".parse().unwrap_or_default();
        assert_eq!(parse_timestamp("2026-11-24 10:00", now(), &utc), Ok(now()));
        let plus8: Zone = "+08:00".parse().unwrap_or_default();
        assert_eq!(
            parse_timestamp("2026-11-24T18:00:00", now(), &plus8),
            Ok(now())
        );
    }

    #[test]
    fn rfc3339_epoch_and_now() {
        let zone = shanghai();
        assert_eq!(
            parse_timestamp("2026-11-24T10:00:00Z", now(), &zone),
            Ok(now())
        );
        assert_eq!(
            parse_timestamp("2026-11-24T18:00:00+08:00", now(), &zone),
            Ok(now())
        );
        let epoch = now().timestamp().to_string();
        assert_eq!(parse_timestamp(&epoch, now(), &zone), Ok(now()));
        assert_eq!(parse_timestamp(" now ", now(), &zone), Ok(now()));
    }

    #[test]
    fn relative_forms_count_back_from_now() {
        let zone = shanghai();
        let cases = [
            ("-2h", Duration::hours(2)),
            ("30m ago", Duration::minutes(30)),
            ("1d 2h ago", Duration::hours(26)),
            ("-1h30m", Duration::minutes(90)),
            ("90 seconds ago", Duration::seconds(90)),
            ("-1w", Duration::weeks(1)),
        ];
        for (text, back) in cases {
            assert_eq!(
                parse_timestamp(text, now(), &zone),
                Ok(now() - back),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_input_names_the_accepted_forms() {
        for text in ["yesterday", "2h", "-", "ago", "2026-13-01 00:00:00", "-5x"] {
            let err = parse_timestamp(text, now(), &shanghai());
            let message = err.map(|_| String::new()).unwrap_or_else(|e| e.to_string());
            assert!(message.contains("accepted forms"), "{text}: {message}");
        }
        assert_eq!(
            parse_timestamp("  ", now(), &shanghai()),
            Err(TimestampError::Empty)
        );
    }

    #[test]
    fn huge_values_are_out_of_range_not_panics() {
        for text in [
            "99999999999999999999",
            "-9999999999999999w",
            "999999999999w ago",
        ] {
            let err = parse_timestamp(text, now(), &shanghai());
            assert!(
                matches!(err, Err(TimestampError::OutOfRange { .. })),
                "{text}: {err:?}"
            );
        }
    }

    #[test]
    fn skipped_and_repeated_wall_times_are_refused() {
        let berlin: Zone = "Europe/Berlin".parse().unwrap_or_default();
        let skipped = parse_timestamp("2026-03-29 02:30:00", now(), &berlin);
        assert!(matches!(skipped, Err(TimestampError::Nonexistent { .. })));
        let repeated = parse_timestamp("2026-10-25 02:30:00", now(), &berlin);
        assert!(matches!(repeated, Err(TimestampError::Ambiguous { .. })));
    }

    #[test]
    fn zones_parse_and_display() {
        assert_eq!("local".parse::<Zone>(), Ok(Zone::Local));
        assert_eq!(
            "UTC".parse::<Zone>().map(|z| z.to_string()),
            Ok("UTC".into())
        );
        assert_eq!(
            "+0800".parse::<Zone>().map(|z| z.to_string()),
            Ok("UTC+08:00".into())
        );
        assert!("Mars/Olympus".parse::<Zone>().is_err());
        assert_eq!(shanghai().format(now()), "2026-11-24 18:00:00");
    }
}
