//! Human-readable renderings of instants and durations shared by the CLI and the TUI.

use chrono::{DateTime, SecondsFormat, Utc};

use super::timestamp::Zone;

/// RFC 3339 in UTC with whole seconds, e.g. `2026-11-24T10:30:00Z`.
pub fn format_utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A compact duration: `0s`, `4s`, `12m 05s`, `3h 02m`, `2d 04h`.
pub fn format_duration_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, hours, minutes, seconds) =
        (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if days > 0 {
        format!("{days}d {hours:02}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

/// How long ago `at` was, seen from `now`: `12m 05s ago`, or `in 5s` for the future.
pub fn format_ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let delta = now.signed_duration_since(at).num_milliseconds();
    if delta >= 0 {
        format!("{} ago", format_duration_ms(delta.unsigned_abs()))
    } else {
        format!("in {}", format_duration_ms(delta.unsigned_abs()))
    }
}

/// `from → to` as wall times in `zone`; the date is written once when both share it:
/// `2026-11-24 06:40:55 → 08:26:00`.
pub fn format_range(from: DateTime<Utc>, to: DateTime<Utc>, zone: &Zone) -> String {
    let (start, end) = (zone.format(from), zone.format(to));
    match (start.split_once(' '), end.split_once(' ')) {
        (Some((day, _)), Some((end_day, end_time))) if day == end_day => {
            format!("{start} → {end_time}")
        }
        _ => format!("{start} → {end}"),
    }
}

/// `text` with every RFC 3339 UTC instant the controller wrote (`2026-11-24T10:30:00Z`)
/// turned into a wall time in `zone`, and the zone named once at the end when any was.
pub fn localize_times(text: &str, zone: &Zone) -> String {
    const LEN: usize = "2026-11-24T10:30:00Z".len();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut replaced = false;
    while let Some(at) = rest.find('T') {
        let start = at.saturating_sub(10);
        let candidate = rest.get(start..start + LEN);
        let parsed = candidate
            .filter(|c| c.ends_with('Z'))
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok());
        match parsed {
            Some(instant) if at >= 10 => {
                out.push_str(&rest[..start]);
                out.push_str(&zone.format(instant.with_timezone(&Utc)));
                rest = &rest[start + LEN..];
                replaced = true;
            }
            _ => {
                out.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    if replaced {
        out.push_str(&format!(" (times in {zone})"));
    }
    out
}

/// A byte count as people read it: `812 kB`, `48.3 MB`.
pub fn format_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{} kB", bytes / 1000),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_write_a_shared_date_once() {
        let utc: Zone = "UTC".parse().unwrap_or_default();
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        assert_eq!(
            format_range(at("2026-11-24T06:40:55Z"), at("2026-11-24T08:26:00Z"), &utc),
            "2026-11-24 06:40:55 → 08:26:00"
        );
        assert_eq!(
            format_range(at("2026-11-23T23:00:00Z"), at("2026-11-24T01:00:00Z"), &utc),
            "2026-11-23 23:00:00 → 2026-11-24 01:00:00"
        );
    }

    #[test]
    fn controller_instants_are_shown_in_the_operators_zone() {
        let shanghai: Zone = "Asia/Shanghai".parse().unwrap_or_default();
        assert_eq!(
            localize_times(
                "replay timestamp 2026-11-24T10:30:00Z is outside (2026-11-23T10:00:00Z to now)",
                &shanghai
            ),
            "replay timestamp 2026-11-24 18:30:00 is outside (2026-11-23 18:00:00 to now) \
             (times in Asia/Shanghai)"
        );
        for plain in [
            "no times here",
            "T",
            "xT2026",
            "id 10.0.0.1-9000:connector_v2:T",
        ] {
            assert_eq!(localize_times(plain, &shanghai), plain);
        }
    }

    #[test]
    fn durations_read_like_the_console() {
        assert_eq!(format_duration_ms(0), "0s");
        assert_eq!(format_duration_ms(4_999), "4s");
        assert_eq!(format_duration_ms(725_000), "12m 05s");
        assert_eq!(format_duration_ms(3 * 3_600_000 + 120_000), "3h 02m");
        assert_eq!(format_duration_ms(2 * 86_400_000 + 4 * 3_600_000), "2d 04h");
    }

    #[test]
    fn ago_handles_past_and_future() {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        let past = DateTime::from_timestamp(1_000_000 - 65, 0).unwrap_or_default();
        let future = DateTime::from_timestamp(1_000_000 + 5, 0).unwrap_or_default();
        assert_eq!(format_ago(past, now), "1m 05s ago");
        assert_eq!(format_ago(future, now), "in 5s");
    }

    #[test]
    fn bytes_read_as_kilobytes_then_megabytes() {
        assert_eq!(format_bytes(812_345), "812 kB");
        assert_eq!(format_bytes(48_300_000), "48.3 MB");
    }
}
