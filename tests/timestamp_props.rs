//! Property tests of the timestamp parser operators type replay times into.

use chrono::{DateTime, FixedOffset, Offset, SecondsFormat, TimeDelta, Utc};
use jwctl::domain::{Zone, parse_timestamp};
use proptest::prelude::*;

/// Instants between 1970 and the end of 2999.
const MAX_SECS: i64 = 32_503_679_999;

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0..=MAX_SECS).prop_map(|secs| DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

fn offset() -> impl Strategy<Value = FixedOffset> {
    // RFC 3339 offsets have minute precision.
    (-(23 * 60 + 59)..=(23 * 60 + 59))
        .prop_map(|minutes: i32| FixedOffset::east_opt(minutes * 60).unwrap_or(Utc.fix()))
}

fn zone() -> impl Strategy<Value = Zone> {
    prop_oneof![
        Just(Zone::Local),
        offset().prop_map(Zone::Fixed),
        Just("Asia/Shanghai".parse().unwrap_or_default()),
        Just("Europe/Berlin".parse().unwrap_or_default()),
    ]
}

/// A precision and a sub-second part that it represents exactly.
fn precision_and_nanos() -> impl Strategy<Value = (SecondsFormat, u32)> {
    prop_oneof![
        Just((SecondsFormat::Secs, 0)),
        (0..1_000u32).prop_map(|ms| (SecondsFormat::Millis, ms * 1_000_000)),
        (0..1_000_000u32).prop_map(|us| (SecondsFormat::Micros, us * 1_000)),
        (0..1_000_000_000u32).prop_map(|ns| (SecondsFormat::Nanos, ns)),
        (0..1_000_000_000u32).prop_map(|ns| (SecondsFormat::AutoSi, ns)),
    ]
}

/// Text built from the pieces timestamps are made of, in any order.
fn timestamp_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,20}",
        Just("-".to_string()),
        Just("+".to_string()),
        Just(":".to_string()),
        Just("T".to_string()),
        Just(" ".to_string()),
        Just("ago".to_string()),
        Just("now".to_string()),
        Just("Z".to_string()),
        Just(".".to_string()),
        "[smhdwSMHDW]",
        Just("hours".to_string()),
        Just("mins".to_string()),
        Just(",".to_string()),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_any_text(text in any::<String>(), now in instant(), zone in zone()) {
        let _ = parse_timestamp(&text, now, &zone);
    }

    #[test]
    fn never_panics_on_timestamp_like_text(text in timestamp_like(), now in instant(), zone in zone()) {
        let parsed = parse_timestamp(&text, now, &zone);
        if let Err(error) = parsed {
            prop_assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn rfc3339_round_trips(
        at in instant(),
        (precision, nanos) in precision_and_nanos(),
        offset in offset(),
        use_z in any::<bool>(),
        now in instant(),
        zone in zone(),
    ) {
        let at = at + TimeDelta::nanoseconds(i64::from(nanos));
        let text = at.with_timezone(&offset).to_rfc3339_opts(precision, use_z);
        prop_assert_eq!(parse_timestamp(&text, now, &zone), Ok(at), "{}", text);
    }

    #[test]
    fn epoch_seconds_round_trip(at in instant(), now in instant(), zone in zone()) {
        let text = at.timestamp().to_string();
        prop_assert_eq!(parse_timestamp(&text, now, &zone), Ok(at));
    }

    #[test]
    fn relative_hours_count_back_from_now(hours in 0..=1_000_000i64, now in instant(), zone in zone()) {
        let expected = now.checked_sub_signed(TimeDelta::hours(hours));
        for text in [format!("-{hours}h"), format!("{hours}h ago"), format!("{hours} hours ago")] {
            let parsed = parse_timestamp(&text, now, &zone).ok();
            prop_assert_eq!(parsed, expected, "{}", text);
        }
    }

    #[test]
    fn wall_times_shown_in_a_fixed_zone_read_back(at in instant(), offset in offset(), now in instant()) {
        let zone = Zone::Fixed(offset);
        let text = zone.format(at);
        prop_assert_eq!(parse_timestamp(&text, now, &zone), Ok(at), "{}", text);
    }
}
