//! Timestamps on the wire: RFC 3339 in UTC, byte for byte as chrono's serde support writes a
//! `DateTime<Utc>` — `2026-11-24T10:30:00Z`, fractional seconds only when there are any, in
//! groups of three digits (`.250Z`, `.000250Z`, `.000000250Z`), a signed year of at least four
//! digits outside 0–9999 — but written without `core::fmt`, and read back with a fast path for
//! exactly that form. Any other form goes to chrono's own parser, so what is accepted, and how,
//! is unchanged.
//!
//! For `#[serde(with = "crate::domain::rfc3339")]` on a `DateTime<Utc>` and
//! `#[serde(with = "crate::domain::rfc3339::option", default)]` on an `Option<DateTime<Utc>>`.
//! A list of 100k writers carries 400k timestamps, which dominated encoding and decoding it.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};
use serde::{Deserializer, Serializer, de, ser};

/// The longest timestamp [`write`] produces: `+262143-12-31T23:59:60.999999999Z`.
pub const MAX_LEN: usize = 33;

/// Writes `at` into `out` as chrono's serde support does and returns the text.
pub fn write<'a>(at: &DateTime<Utc>, out: &'a mut [u8; MAX_LEN]) -> &'a str {
    let naive = at.naive_utc();
    let mut len = 0;
    let mut push = |byte: u8| {
        if let Some(slot) = out.get_mut(len) {
            *slot = byte;
            len += 1;
        }
    };
    let year = naive.year();
    if (0..=9999).contains(&year) {
        push_digits(&mut push, year.unsigned_abs(), 4);
    } else {
        push(if year < 0 { b'-' } else { b'+' });
        let digits = if year.unsigned_abs() >= 100_000 { 6 } else { 5 };
        let digits = if year.unsigned_abs() >= 10_000 {
            digits
        } else {
            4
        };
        push_digits(&mut push, year.unsigned_abs(), digits);
    }
    push(b'-');
    push_digits(&mut push, naive.month(), 2);
    push(b'-');
    push_digits(&mut push, naive.day(), 2);
    push(b'T');
    let mut second = naive.second();
    let mut nano = naive.nanosecond();
    // chrono keeps a leap second as nanoseconds past 1e9.
    if nano >= 1_000_000_000 {
        second += 1;
        nano -= 1_000_000_000;
    }
    push_digits(&mut push, naive.hour(), 2);
    push(b':');
    push_digits(&mut push, naive.minute(), 2);
    push(b':');
    push_digits(&mut push, second, 2);
    if nano != 0 {
        push(b'.');
        if nano.is_multiple_of(1_000_000) {
            push_digits(&mut push, nano / 1_000_000, 3);
        } else if nano.is_multiple_of(1_000) {
            push_digits(&mut push, nano / 1_000, 6);
        } else {
            push_digits(&mut push, nano, 9);
        }
    }
    push(b'Z');
    let written = out.get(..len).unwrap_or_default();
    // Every byte pushed is an ASCII digit or one of `+-T:.Z`.
    std::str::from_utf8(written).unwrap_or_default()
}

/// Pushes the last `digits` decimal digits of `value`, zero-padded.
fn push_digits(push: &mut impl FnMut(u8), value: u32, digits: u32) {
    let mut divisor = 10u32.pow(digits.saturating_sub(1));
    while divisor > 0 {
        push(b'0' + (value / divisor % 10) as u8);
        divisor /= 10;
    }
}

/// Reads a timestamp as chrono's `Deserialize` for `DateTime<Utc>` does: RFC 3339 (and
/// chrono's relaxations of it), converted to UTC.
pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_written(text.as_bytes()) {
        Some(at) => Ok(at),
        None => text
            .parse::<DateTime<FixedOffset>>()
            .map(|at| at.with_timezone(&Utc)),
    }
}

/// The fast path of [`parse`]: exactly `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, a valid date and a
/// time without a leap second; `None` for anything else, which chrono then reads.
fn parse_written(text: &[u8]) -> Option<DateTime<Utc>> {
    let (&b'Z', text) = text.split_last()? else {
        return None;
    };
    let (whole, fraction) = match text.get(19..) {
        Some([]) => (text, None),
        Some([b'.', digits @ ..]) if (1..=9).contains(&digits.len()) => {
            (text.get(..19)?, Some(digits))
        }
        _ => return None,
    };
    let [
        y1,
        y2,
        y3,
        y4,
        b'-',
        m1,
        m2,
        b'-',
        d1,
        d2,
        b'T',
        h1,
        h2,
        b':',
        i1,
        i2,
        b':',
        s1,
        s2,
    ] = *whole
    else {
        return None;
    };
    let year = number(&[y1, y2, y3, y4])?;
    let month = number(&[m1, m2])?;
    let day = number(&[d1, d2])?;
    let hour = number(&[h1, h2])?;
    let minute = number(&[i1, i2])?;
    let second = number(&[s1, s2])?;
    if second >= 60 {
        return None;
    }
    let nano = match fraction {
        Some(digits) => number(digits)? * 10u32.pow(9 - digits.len() as u32),
        None => 0,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(date.and_hms_nano_opt(hour, minute, second, nano)?.and_utc())
}

/// The value of ASCII decimal `digits` (at most nine).
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

/// Serialises a `DateTime<Utc>` as [`write`] does.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0; MAX_LEN];
    serializer.serialize_str(write(at, &mut buffer))
}

/// Deserialises a `DateTime<Utc>` as [`parse`] does.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(Visitor)
}

/// The same for an `Option<DateTime<Utc>>` (`null` is `None`).
pub mod option {
    use super::*;

    /// Serialises `None` as `null`, a time as [`super::write`] does.
    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_some(&Wire(at)),
            None => serializer.serialize_none(),
        }
    }

    /// Deserialises `null` as `None`, a time as [`super::parse`] does.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }
}

/// A borrowed time serialised as [`write`] does.
struct Wire<'a>(&'a DateTime<Utc>);

impl ser::Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, serializer)
    }
}

struct Visitor;

impl de::Visitor<'_> for Visitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        parse(value).map_err(E::custom)
    }
}

struct OptionVisitor;

impl<'de> de::Visitor<'de> for OptionVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an RFC 3339 formatted date and time string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What chrono's own serde support writes for `at`, and what this module writes.
    fn both(at: DateTime<Utc>) -> (String, String) {
        let chrono = serde_json::to_string(&at).unwrap_or_default();
        let ours = serde_json::to_string(&Wire(&at)).unwrap_or_default();
        (chrono, ours)
    }

    fn chrono_parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
        text.parse::<DateTime<FixedOffset>>()
            .map(|at| at.with_timezone(&Utc))
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nano: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_nano_opt(h, mi, s, nano))
            .map(|naive| naive.and_utc())
            .unwrap_or_default()
    }

    #[test]
    fn writes_what_chrono_writes_at_the_edges() {
        let edges = [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::UNIX_EPOCH,
            at(0, 1, 1, 0, 0, 0, 0),
            at(-1, 12, 31, 23, 59, 59, 999_999_999),
            at(9999, 12, 31, 23, 59, 59, 999_000_000),
            at(10000, 1, 1, 0, 0, 0, 1),
            at(-10000, 1, 1, 0, 0, 0, 0),
            at(-100_000, 6, 15, 12, 0, 0, 0),
            at(2025, 12, 31, 23, 59, 59, 999_000_000),
            at(2026, 1, 1, 0, 0, 0, 0),
            at(2024, 2, 29, 9, 5, 3, 250_000_000),
            at(2026, 11, 24, 10, 30, 0, 1_000),
            at(2026, 11, 24, 10, 30, 0, 123_456_789),
            at(2026, 11, 24, 10, 30, 0, 120_000),
            // A leap second: chrono holds it as nanoseconds past 1e9.
            at(2016, 12, 31, 23, 59, 59, 1_000_000_000),
            at(2016, 12, 31, 23, 59, 59, 1_500_000_000),
        ];
        for edge in edges {
            let (chrono, ours) = both(edge);
            assert_eq!(ours, chrono);
            let text = ours.trim_matches('"');
            assert_eq!(parse(text), chrono_parse(text), "{text}");
        }
        let mut longest = [0; MAX_LEN];
        assert_eq!(
            write(&at(-262_143, 1, 1, 23, 59, 59, 1_999_999_999), &mut longest).len(),
            MAX_LEN
        );
        assert_eq!(
            parse("2026-11-24T10:30:00Z"),
            Ok(at(2026, 11, 24, 10, 30, 0, 0))
        );
    }

    #[test]
    fn reads_other_forms_and_refuses_bad_ones_exactly_as_chrono_does() {
        let texts = [
            "2026-11-24T18:30:00+08:00",
            "2026-11-24T10:30:00.5Z",
            "2026-11-24T10:30:00.1234567891Z",
            "2026-11-24T10:30:00.Z",
            "2026-11-24 10:30:00Z",
            "2026-11-24t10:30:00z",
            "2026-11-24T10:30:60Z",
            "2016-12-31T23:59:60.5Z",
            "+12026-11-24T10:30:00Z",
            "-0001-11-24T10:30:00Z",
            "2026-13-24T10:30:00Z",
            "2026-02-29T10:30:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T10:61:00Z",
            "2026-11-24T10:30:00",
            "2026-11-24T10:30Z",
            "2026-11-2410:30:00Z",
            "2026-1a-24T10:30:00Z",
            "2026-11-24T10:30:00Z ",
            "Z",
            "",
            "yesterday",
        ];
        for text in texts {
            assert_eq!(parse(text), chrono_parse(text), "{text:?}");
        }
    }

    #[test]
    fn decodes_through_serde_with_chronos_messages() {
        #[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
        struct Times {
            #[serde(with = "super")]
            at: DateTime<Utc>,
            #[serde(with = "super::option", default)]
            maybe: Option<DateTime<Utc>>,
        }
        let decoded: Result<Times, _> =
            serde_json::from_str(r#"{"at":"2026-11-24T10:30:00.250Z","maybe":null}"#);
        let expected = Times {
            at: at(2026, 11, 24, 10, 30, 0, 250_000_000),
            maybe: None,
        };
        assert_eq!(decoded.as_ref().ok(), Some(&expected));
        let missing: Result<Times, _> = serde_json::from_str(r#"{"at":"2026-11-24T10:30:00Z"}"#);
        assert_eq!(missing.map(|t| t.maybe).ok(), Some(None));
        let some: Result<Times, _> = serde_json::from_str(
            r#"{"at":"2026-11-24T10:30:00Z","maybe":"2026-11-24T18:30:00+08:00"}"#,
        );
        assert_eq!(
            some.map(|t| t.maybe).ok(),
            Some(Some(at(2026, 11, 24, 10, 30, 0, 0)))
        );
        let bad = serde_json::from_str::<Times>(r#"{"at":"2026-13-24T10:30:00Z"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let chrono = serde_json::from_str::<DateTime<Utc>>(r#""2026-13-24T10:30:00Z""#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!chrono.is_empty());
        assert_eq!(
            bad.split(" at line").next(),
            chrono.split(" at line").next()
        );
        let wrong_type = serde_json::from_str::<Times>(r#"{"at":12}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(wrong_type.contains("an RFC 3339 formatted date and time string"));
        assert_eq!(
            serde_json::to_string(&expected).ok().as_deref(),
            Some(r#"{"at":"2026-11-24T10:30:00.250Z","maybe":null}"#)
        );
    }

    proptest! {
        #[test]
        fn writes_and_reads_any_instant_as_chrono_does(
            seconds in DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            nano in prop_oneof![
                Just(0u32),
                (0u32..1_000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..1_000_000_000,
            ],
        ) {
            let instant = DateTime::from_timestamp(seconds, nano).unwrap_or_default();
            let (chrono, ours) = both(instant);
            prop_assert_eq!(&ours, &chrono);
            let text = ours.trim_matches('"');
            prop_assert_eq!(parse(text), Ok(instant));
        }

        #[test]
        fn reads_any_near_miss_as_chrono_does(
            text in "[0-9]{4}-[0-9]{2}-[0-3][0-9][Tt ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,11})?(Z|z|[+-][01][0-9]:[0-5][0-9])?",
        ) {
            prop_assert_eq!(parse(&text), chrono_parse(&text));
        }

    }
}
