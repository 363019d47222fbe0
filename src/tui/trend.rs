//! The trend column: a sparkline of each visible writer's last 15 minutes of latency. Only the
//! rows on screen are asked for, all in one `GET /v1/history` off the UI thread, one request at
//! a time, and asked again once their series are a step old or as other rows scroll in.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::api::{HISTORY_MAX_IDS, HistorySeries};

/// From this terminal width up the column is on unless the operator turned it off.
pub const AUTO_FROM_WIDTH: u16 = 120;
/// Cells of the sparkline.
pub const WIDTH: u16 = 15;
/// A series is read again once this old (a step of the 15 minute window).
const FRESH_FOR: Duration = Duration::seconds(10);
/// Series kept for rows that scrolled away, so scrolling back is instant while fresh.
const KEPT: usize = 2_000;

/// The trend column's state.
#[derive(Debug, Clone, Default)]
pub struct Trends {
    /// The operator's choice (`t`); `None` follows the width.
    pub choice: Option<bool>,
    /// Latencies per writer id, oldest first, with when they were read.
    series: HashMap<String, (DateTime<Utc>, Vec<Option<u64>>)>,
    /// Whether a request is awaited.
    in_flight: bool,
}

impl Trends {
    /// Whether the column shows on a terminal `width` wide.
    pub fn shown(&self, width: u16) -> bool {
        self.choice.unwrap_or(width >= AUTO_FROM_WIDTH)
    }

    /// Turns the column off where it shows at `width`, on where it does not.
    pub fn toggle(&mut self, width: u16) {
        self.choice = Some(!self.shown(width));
    }

    /// The series of writer `id`, if read.
    pub fn series(&self, id: &str) -> Option<&[Option<u64>]> {
        self.series.get(id).map(|(_, s)| s.as_slice())
    }

    /// The ids of `visible` to ask for at `now`: all of them (up to the request's limit) once
    /// any is missing or a step old, none while a request is awaited.
    pub fn due<'a>(
        &self,
        visible: impl Iterator<Item = &'a str>,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        if self.in_flight {
            return Vec::new();
        }
        let visible: Vec<&str> = visible.take(HISTORY_MAX_IDS).collect();
        let stale = visible.iter().any(|id| {
            self.series
                .get(*id)
                .is_none_or(|(at, _)| now - *at >= FRESH_FOR)
        });
        if stale {
            visible.into_iter().map(str::to_string).collect()
        } else {
            Vec::new()
        }
    }

    /// A request went out.
    pub fn asked(&mut self) {
        self.in_flight = true;
    }

    /// Its answer, read at `now`; a failure leaves what was shown (asked again when due).
    pub fn answered(
        &mut self,
        answer: Option<HistorySeries>,
        asked: &[String],
        now: DateTime<Utc>,
    ) {
        self.in_flight = false;
        match answer {
            Some(answer) => {
                for (id, series) in answer.series {
                    self.series.insert(id, (now, series));
                }
                // A writer the controller no longer has shows no trend.
                for id in answer.unknown {
                    self.series.insert(id, (now, Vec::new()));
                }
            }
            None => {
                // Not asked again at once: the failed ones wait a step.
                for id in asked {
                    self.series
                        .entry(id.clone())
                        .and_modify(|(at, _)| *at = now)
                        .or_insert_with(|| (now, Vec::new()));
                }
            }
        }
        if self.series.len() > KEPT {
            let mut ages: Vec<DateTime<Utc>> = self.series.values().map(|(at, _)| *at).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() - KEPT];
            self.series.retain(|_, (at, _)| *at >= cut);
        }
    }
}

/// Levels of a sparkline cell, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One cell of a sparkline: the highest latency of the points it covers (`None` when none
/// was known).
pub fn buckets(series: &[Option<u64>], cells: usize) -> Vec<Option<u64>> {
    if series.is_empty() || cells == 0 {
        return vec![None; cells];
    }
    (0..cells)
        .map(|cell| {
            let from = cell * series.len() / cells;
            let to = ((cell + 1) * series.len() / cells).max(from + 1);
            series
                .get(from..to.min(series.len()))
                .unwrap_or_default()
                .iter()
                .flatten()
                .copied()
                .max()
        })
        .collect()
}

/// The bar of a cell holding `value` on a scale up to `top`: a space for no value.
pub fn bar(value: Option<u64>, top: u64) -> char {
    match value {
        None => ' ',
        Some(ms) => {
            let level = (ms.saturating_mul(8) / top.max(1)).min(7) as usize;
            BARS[level]
        }
    }
}

/// The scale of a sparkline: its highest value, but at least the warning threshold `warn_ms`
/// (and a second), so a writer well below it draws low and flat rather than as noise at full
/// height, while one past it fills the column at its peak.
pub fn scale(cells: &[Option<u64>], warn_ms: u64) -> u64 {
    let highest = cells.iter().flatten().copied().max().unwrap_or(0);
    highest.max(warn_ms).max(1_000)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
    }

    #[test]
    fn visible_rows_are_asked_for_once_missing_or_a_step_old_one_request_at_a_time() {
        let mut trends = Trends::default();
        let ids = ["a", "b"];
        assert_eq!(trends.due(ids.into_iter(), t0()), ["a", "b"]);
        trends.asked();
        assert!(
            trends.due(ids.into_iter(), t0()).is_empty(),
            "one at a time"
        );
        let answer = HistorySeries {
            step_s: 10,
            series: [
                ("a".to_string(), vec![Some(1)]),
                ("b".to_string(), vec![None]),
            ]
            .into_iter()
            .collect(),
            unknown: Vec::new(),
        };
        trends.answered(Some(answer), &["a".into(), "b".into()], t0());
        assert_eq!(trends.series("a"), Some(&[Some(1)][..]));
        assert!(
            trends
                .due(ids.into_iter(), t0() + Duration::seconds(9))
                .is_empty()
        );
        // A row scrolled in: all visible asked again, in one request.
        assert_eq!(
            trends.due(["b", "c"].into_iter(), t0() + Duration::seconds(1)),
            ["b", "c"]
        );
        assert_eq!(
            trends.due(ids.into_iter(), t0() + Duration::seconds(10)),
            ["a", "b"]
        );
        // A failure waits a step before asking again.
        trends.asked();
        trends.answered(None, &["c".into()], t0() + Duration::seconds(10));
        assert!(
            trends
                .due(["c"].into_iter(), t0() + Duration::seconds(11))
                .is_empty()
        );
        let many: Vec<String> = (0..500).map(|i| format!("w{i}")).collect();
        let asked = trends.due(many.iter().map(String::as_str), t0());
        assert_eq!(asked.len(), HISTORY_MAX_IDS);
    }

    #[test]
    fn the_column_follows_the_width_until_the_operator_chooses() {
        let mut trends = Trends::default();
        assert!(trends.shown(120) && !trends.shown(119));
        trends.toggle(160);
        assert!(!trends.shown(160));
        trends.toggle(160);
        assert!(trends.shown(80));
    }

    #[test]
    fn a_cell_is_the_highest_of_its_points_and_unknown_stays_blank() {
        let series = [
            Some(1_000),
            Some(3_000),
            None,
            None,
            Some(8_000),
            Some(2_000),
        ];
        let cells = buckets(&series, 3);
        assert_eq!(cells, [Some(3_000), None, Some(8_000)]);
        let top = scale(&cells, 4_000);
        let bars: String = cells.iter().map(|c| bar(*c, top)).collect();
        assert_eq!(bars, "▄ █");
        assert_eq!(
            scale(&cells, 60_000),
            60_000,
            "below the warning threshold: its scale"
        );
        assert_eq!(buckets(&[], 2), [None, None]);
        assert_eq!(scale(&[Some(5)], 0), 1_000, "at least a second");
        // More cells than points: each point spreads over its cells.
        assert_eq!(
            buckets(&[Some(1), Some(2)], 4),
            [Some(1), Some(1), Some(2), Some(2)]
        );
    }
}
