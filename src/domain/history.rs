//! The windows of a writer's latency and status history: how long each looks back and how
//! wide its steps are. Steps are aligned to the Unix epoch, so every writer's points share
//! their instants and a step's start is the same for the controller and every console.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A history window: the last 15 minutes at 10 s steps, or the last 6 hours at 1 minute steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HistoryWindow {
    #[default]
    #[serde(rename = "15m")]
    Minutes15,
    #[serde(rename = "6h")]
    Hours6,
}

/// A window word that is neither `15m` nor `6h`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown history window {0:?}: use 15m or 6h")]
pub struct UnknownWindow(pub String);

impl HistoryWindow {
    /// Both windows, the shorter first.
    pub const ALL: [HistoryWindow; 2] = [HistoryWindow::Minutes15, HistoryWindow::Hours6];

    /// As written on the wire and in queries.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryWindow::Minutes15 => "15m",
            HistoryWindow::Hours6 => "6h",
        }
    }

    /// Seconds per step.
    pub fn step_secs(self) -> u32 {
        match self {
            HistoryWindow::Minutes15 => 10,
            HistoryWindow::Hours6 => 60,
        }
    }

    /// Points in the window, the step now filling included.
    pub fn points(self) -> usize {
        match self {
            HistoryWindow::Minutes15 => 90,
            HistoryWindow::Hours6 => 360,
        }
    }

    /// The other window (what the console's `w` switches to).
    pub fn other(self) -> HistoryWindow {
        match self {
            HistoryWindow::Minutes15 => HistoryWindow::Hours6,
            HistoryWindow::Hours6 => HistoryWindow::Minutes15,
        }
    }

    /// The number of the step holding `at` (seconds since the epoch over the step width;
    /// 0 before the epoch).
    pub fn step_of(self, at: DateTime<Utc>) -> u32 {
        let step = at.timestamp().max(0) / i64::from(self.step_secs());
        u32::try_from(step).unwrap_or(u32::MAX)
    }

    /// When step `step` starts.
    pub fn step_start(self, step: u32) -> DateTime<Utc> {
        let secs = i64::from(step) * i64::from(self.step_secs());
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    /// The first step of the window ending with the step that holds `now`.
    pub fn first_step(self, now: DateTime<Utc>) -> u32 {
        let points = u32::try_from(self.points()).unwrap_or(u32::MAX);
        self.step_of(now).saturating_sub(points - 1)
    }
}

impl fmt::Display for HistoryWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HistoryWindow {
    type Err = UnknownWindow;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HistoryWindow::ALL
            .into_iter()
            .find(|w| w.as_str() == s.trim())
            .ok_or_else(|| UnknownWindow(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn steps_are_aligned_to_the_epoch_and_the_window_ends_with_the_step_now_filling() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 7).unwrap();
        let w = HistoryWindow::Minutes15;
        let step = w.step_of(now);
        assert_eq!(
            w.step_start(step),
            Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
        );
        assert_eq!(
            w.step_start(w.first_step(now)),
            Utc.with_ymd_and_hms(2026, 11, 24, 9, 45, 10).unwrap()
        );
        let h = HistoryWindow::Hours6;
        assert_eq!(
            h.step_start(h.first_step(now)),
            Utc.with_ymd_and_hms(2026, 11, 24, 4, 1, 0).unwrap()
        );
        assert_eq!(HistoryWindow::ALL.map(HistoryWindow::points), [90, 360]);
    }

    #[test]
    fn windows_read_back_as_written_and_others_are_refused() {
        for w in HistoryWindow::ALL {
            assert_eq!(w.as_str().parse::<HistoryWindow>(), Ok(w));
            assert_eq!(w.other().other(), w);
        }
        let err = "1h".parse::<HistoryWindow>().unwrap_err();
        assert!(err.to_string().contains("use 15m or 6h"), "{err}");
    }
}
