//! One writer's history, pure and compact: a ring of points per window, each point two bytes
//! (the status at the end of the step and the highest latency seen in it while running, to
//! three significant digits).
//! 90 + 360 points and two step numbers come to 908 bytes a writer.

use chrono::{DateTime, Utc};

use crate::domain::{HistoryWindow, WriterStatus};

/// The latency part of a point: 13 bits, all ones when none was seen.
const LATENCY_BITS: u32 = 13;
const LATENCY_MASK: u16 = (1 << LATENCY_BITS) - 1;
const NO_LATENCY: u16 = LATENCY_MASK;
/// A point nothing was seen in: no status, no latency.
const EMPTY: u16 = NO_LATENCY;
/// Latencies below this are kept exactly; above, to three significant digits.
const EXACT_BELOW: u64 = 1000;
/// Codes per decade above: mantissas 100 to 999.
const PER_DECADE: u64 = 900;
/// Decades above the exact ones: up to 9 990 000 000 ms (115 days); more is kept as that.
const DECADES: u32 = 7;

const POINTS_15M: usize = 90;
const POINTS_6H: usize = 360;
const POINTS: usize = POINTS_15M + POINTS_6H;

/// Bytes of a series as saved: a version, the two newest steps, the points.
pub(crate) const SAVED_LEN: usize = 1 + 4 + 4 + 2 * POINTS;
const SAVED_VERSION: u8 = 1;

/// Encodes a latency in 13 bits: exactly below a second, above to three significant digits
/// (within 0.5%, and round numbers exactly); monotonic, so the highest of two codes is the
/// code of the highest latency.
fn encode_latency(ms: u64) -> u16 {
    if ms < EXACT_BELOW {
        return ms as u16;
    }
    let mut decade = 1u32;
    let mut unit = 10u64;
    let mut mantissa = ms.saturating_add(unit / 2) / unit;
    while mantissa >= 1000 && decade < DECADES {
        decade += 1;
        unit *= 10;
        mantissa = ms.saturating_add(unit / 2) / unit;
    }
    let mantissa = mantissa.min(999);
    (EXACT_BELOW + u64::from(decade - 1) * PER_DECADE + (mantissa - 100)) as u16
}

fn decode_latency(code: u16) -> u64 {
    let code = u64::from(code);
    if code < EXACT_BELOW {
        return code;
    }
    let above = code - EXACT_BELOW;
    let decade = above / PER_DECADE + 1;
    (above % PER_DECADE + 100) * 10u64.pow(decade as u32)
}

/// One step of one window as the controller saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Point {
    /// The start of the step.
    pub t: DateTime<Utc>,
    /// The highest latency seen while the writer ran in the step.
    pub latency_ms: Option<u64>,
    /// Its status when last seen in the step.
    pub status: Option<WriterStatus>,
}

fn status_code(status: WriterStatus) -> u16 {
    status.index() as u16 + 1
}

fn decode(t: DateTime<Utc>, point: u16) -> Point {
    let latency = point & LATENCY_MASK;
    let status = usize::from(point >> LATENCY_BITS);
    Point {
        t,
        latency_ms: (latency != NO_LATENCY).then(|| decode_latency(latency)),
        status: status
            .checked_sub(1)
            .and_then(|i| WriterStatus::ALL.get(i).copied()),
    }
}

/// One writer's rings of points, one per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Series {
    /// The newest step written in each window's ring; steps after it were not seen.
    newest: [u32; 2],
    points: [u16; POINTS],
}

fn ring(window: HistoryWindow) -> (usize, std::ops::Range<usize>) {
    match window {
        HistoryWindow::Minutes15 => (0, 0..POINTS_15M),
        HistoryWindow::Hours6 => (1, POINTS_15M..POINTS),
    }
}

impl Series {
    /// A series that has seen nothing before `now`.
    pub fn new(now: DateTime<Utc>) -> Box<Series> {
        Box::new(Series {
            newest: HistoryWindow::ALL.map(|w| w.step_of(now)),
            points: [EMPTY; POINTS],
        })
    }

    /// Takes in the writer as seen at `now`: its status becomes the step's, and its latency
    /// raises the step's highest while it runs. A `now` before the newest step (the clock
    /// went back) is not recorded.
    pub fn observe(&mut self, now: DateTime<Utc>, status: WriterStatus, latency_ms: Option<u64>) {
        for window in HistoryWindow::ALL {
            let (which, range) = ring(window);
            let step = window.step_of(now);
            let Some(points) = self.points.get_mut(range) else {
                continue;
            };
            let newest = &mut self.newest[which];
            if step < *newest {
                continue;
            }
            let len = points.len();
            // Steps skipped since the newest saw nothing.
            let skipped = (step - *newest) as usize;
            for k in 1..=skipped.min(len) {
                points[(*newest as usize + k) % len] = EMPTY;
            }
            *newest = step;
            let point = &mut points[step as usize % len];
            let mut latency = *point & LATENCY_MASK;
            if status == WriterStatus::Running
                && let Some(ms) = latency_ms
            {
                let code = encode_latency(ms);
                if latency == NO_LATENCY || code > latency {
                    latency = code;
                }
            }
            *point = (status_code(status) << LATENCY_BITS) | latency;
        }
    }

    /// The window's points at `now`, oldest first, the last the step now filling.
    pub fn points(&self, window: HistoryWindow, now: DateTime<Utc>) -> Vec<Point> {
        let (which, range) = ring(window);
        let points = self.points.get(range).unwrap_or_default();
        let newest = self.newest[which];
        let first = window.first_step(now);
        (0..window.points() as u32)
            .map(|k| {
                let step = first.saturating_add(k);
                let t = window.step_start(step);
                // Older than the ring holds cannot happen: the window is as long as the ring.
                let seen = step <= newest && newest - step < points.len() as u32;
                let point = if seen {
                    points
                        .get(step as usize % points.len().max(1))
                        .copied()
                        .unwrap_or(EMPTY)
                } else {
                    EMPTY
                };
                decode(t, point)
            })
            .collect()
    }

    /// Whether it holds anything seen.
    pub fn is_empty(&self) -> bool {
        self.points.iter().all(|&p| p == EMPTY)
    }

    /// The series as saved with the controller's state.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(SAVED_LEN);
        bytes.push(SAVED_VERSION);
        for newest in self.newest {
            bytes.extend_from_slice(&newest.to_le_bytes());
        }
        for point in self.points {
            bytes.extend_from_slice(&point.to_le_bytes());
        }
        bytes
    }

    /// A series saved by [`Series::to_bytes`]; `None` for anything else.
    pub fn from_bytes(bytes: &[u8]) -> Option<Box<Series>> {
        if bytes.len() != SAVED_LEN || bytes.first() != Some(&SAVED_VERSION) {
            return None;
        }
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
        };
        let mut series = Box::new(Series {
            newest: [word(1)?, word(5)?],
            points: [EMPTY; POINTS],
        });
        for (point, pair) in series.points.iter_mut().zip(bytes[9..].chunks_exact(2)) {
            *point = u16::from_le_bytes([pair[0], pair[1]]);
        }
        Some(series)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
    }

    fn latencies(series: &Series, window: HistoryWindow, now: DateTime<Utc>) -> Vec<Option<u64>> {
        series
            .points(window, now)
            .iter()
            .map(|p| p.latency_ms)
            .collect()
    }

    #[test]
    fn latencies_are_exact_below_a_second_and_to_three_digits_above() {
        for ms in [
            0,
            1,
            999,
            1_000,
            1_005,
            1_234,
            9_996,
            60_000,
            86_400_000,
            9_990_000_000,
        ] {
            let back = decode_latency(encode_latency(ms));
            if ms < 1000 || ms % 10u64.pow(ms.ilog10() - 2) == 0 {
                assert_eq!(back, ms, "round numbers come back exactly");
            }
            let error = back.abs_diff(ms) as f64 / ms.max(1) as f64;
            assert!(error <= 0.005, "{ms} came back as {back}");
        }
        assert_eq!(decode_latency(encode_latency(1_234)), 1_230);
        let codes: Vec<u16> = (0..200_000u64).map(|ms| encode_latency(ms * 37)).collect();
        assert!(codes.windows(2).all(|w| w[0] <= w[1]), "monotonic");
        assert_eq!(decode_latency(encode_latency(u64::MAX)), 9_990_000_000);
        assert!(encode_latency(u64::MAX) < NO_LATENCY);
    }

    #[test]
    fn a_point_is_the_highest_running_latency_in_its_step_and_the_status_at_its_end() {
        let mut s = Series::new(t0());
        s.observe(t0(), WriterStatus::Running, Some(1_000));
        s.observe(
            t0() + Duration::seconds(3),
            WriterStatus::Running,
            Some(5_000),
        );
        s.observe(
            t0() + Duration::seconds(6),
            WriterStatus::Running,
            Some(2_000),
        );
        // Stopped: its latency grows with the clock and does not count.
        s.observe(
            t0() + Duration::seconds(9),
            WriterStatus::Stopped,
            Some(90_000),
        );
        let now = t0() + Duration::seconds(9);
        let points = s.points(HistoryWindow::Minutes15, now);
        assert_eq!(points.len(), 90);
        let last = points[89];
        assert_eq!(last.t, t0());
        assert_eq!(last.latency_ms, Some(5_000));
        assert_eq!(last.status, Some(WriterStatus::Stopped));
        // Before it was seen: null.
        assert_eq!(points[88].status, None);
        assert_eq!(points[88].latency_ms, None);
        let hours = s.points(HistoryWindow::Hours6, now);
        assert_eq!(hours.len(), 360);
        assert_eq!(hours[359].latency_ms, Some(5_000));
    }

    #[test]
    fn steps_not_seen_are_null_and_old_points_leave_the_window() {
        let mut s = Series::new(t0());
        s.observe(t0(), WriterStatus::Running, Some(100));
        s.observe(
            t0() + Duration::seconds(10),
            WriterStatus::Running,
            Some(200),
        );
        // Not seen for 30 s (a controller down), then seen again.
        let later = t0() + Duration::seconds(50);
        s.observe(later, WriterStatus::Running, Some(300));
        let l = latencies(&s, HistoryWindow::Minutes15, later);
        assert_eq!(
            &l[84..],
            &[Some(100), Some(200), None, None, None, Some(300)]
        );
        // Nothing seen since: the steps after the newest read as null, nothing repeats.
        let quiet = later + Duration::seconds(20);
        let l = latencies(&s, HistoryWindow::Minutes15, quiet);
        assert_eq!(&l[86..], &[None, Some(300), None, None][..]);
        // After a full ring of steps the old points are gone, not read back.
        let far = later + Duration::minutes(15);
        s.observe(far, WriterStatus::Running, Some(400));
        let l = latencies(&s, HistoryWindow::Minutes15, far);
        assert_eq!(l.iter().flatten().copied().collect::<Vec<_>>(), vec![400]);
        // The 6 h window still has them at minute steps: 10:00 held 100, 200 and 300.
        let h = latencies(&s, HistoryWindow::Hours6, far);
        assert_eq!(
            h.iter().flatten().copied().collect::<Vec<_>>(),
            vec![300, 400]
        );
    }

    #[test]
    fn a_clock_that_goes_back_records_nothing() {
        let mut s = Series::new(t0());
        s.observe(
            t0() + Duration::seconds(30),
            WriterStatus::Running,
            Some(100),
        );
        s.observe(t0(), WriterStatus::Failed, Some(999));
        let points = s.points(HistoryWindow::Minutes15, t0() + Duration::seconds(30));
        assert_eq!(points[89].status, Some(WriterStatus::Running));
        assert_eq!(points[86].status, None);
    }

    #[test]
    fn a_saved_series_reads_back_the_same_and_anything_else_is_refused() {
        let mut s = Series::new(t0());
        s.observe(t0(), WriterStatus::Running, Some(12_345));
        assert!(!s.is_empty());
        assert!(Series::new(t0()).is_empty());
        let bytes = s.to_bytes();
        assert_eq!(bytes.len(), SAVED_LEN);
        assert!(SAVED_LEN + std::mem::size_of::<usize>() <= 1024);
        assert_eq!(Series::from_bytes(&bytes).as_deref(), Some(&*s));
        assert_eq!(Series::from_bytes(&bytes[1..]), None);
        let mut other = bytes.clone();
        other[0] = 9;
        assert_eq!(Series::from_bytes(&other), None);
    }
}
