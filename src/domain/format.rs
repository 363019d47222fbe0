//! Human-readable renderings of instants and durations shared by the CLI and the TUI.

use chrono::{DateTime, SecondsFormat, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
