//! One writer's history, pure and compact: a ring of points per window, each point two bytes
//! (the status at the end of the step and the highest latency seen in it while running, to
//! three significant digits). 90 + 360 points and two step numbers come to 908 bytes; a
//! writer that holds still (stopped, or running at a steady latency) is kept as its one point
//! and the steps it covers (40 bytes, a run of steps missed while the controller was down
//! included) until it moves. Saved, a writer holding still takes a few bytes.

use chrono::{DateTime, Utc};

use crate::api::HistoryPoint;
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

/// The forms a saved series takes: its points as they are, or as runs of equal points.
const FORM_RAW: u8 = 1;
const FORM_RUNS: u8 = 2;

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

fn status_code(status: WriterStatus) -> u16 {
    status.index() as u16 + 1
}

/// The step starting at `t` holding `point`, as the API answers it.
fn decode(t: DateTime<Utc>, point: u16) -> HistoryPoint {
    let latency = point & LATENCY_MASK;
    let status = usize::from(point >> LATENCY_BITS);
    HistoryPoint {
        t,
        latency_ms: (latency != NO_LATENCY).then(|| decode_latency(latency)),
        status: status
            .checked_sub(1)
            .and_then(|i| WriterStatus::ALL.get(i).copied()),
    }
}

/// `point` after the writer is seen with `status` and `latency_ms`: the status replaces its
/// own, a running writer's latency raises its highest.
fn merged(point: u16, status: WriterStatus, latency_ms: Option<u64>) -> u16 {
    let mut latency = point & LATENCY_MASK;
    if status == WriterStatus::Running
        && let Some(ms) = latency_ms
    {
        let code = encode_latency(ms);
        if latency == NO_LATENCY || code > latency {
            latency = code;
        }
    }
    (status_code(status) << LATENCY_BITS) | latency
}

/// What moving rings' 10 s step held after they last took a writer in, kept beside the
/// pointer to them so a scan can tell, without touching the rings, that seeing the writer
/// again changes nothing (a million rings are a million cache misses a second).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Observed {
    step: u32,
    point: u16,
}

impl Observed {
    /// Whether seeing the writer at `now` with `status` and `latency_ms` leaves its series as
    /// it is: the same 10 s step (so the same minute) and the same point after merging.
    fn unchanged(&self, now: DateTime<Utc>, status: WriterStatus, latency_ms: Option<u64>) -> bool {
        HistoryWindow::Minutes15.step_of(now) == self.step
            && merged(self.point, status, latency_ms) == self.point
    }
}

/// One writer's rings of points, one per window.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rings {
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

impl Rings {
    /// The rings a still writer's history reads as.
    fn of_still(still: &Still) -> Box<Rings> {
        let mut rings = Box::new(Rings {
            newest: still.newest,
            points: [EMPTY; POINTS],
        });
        for window in HistoryWindow::ALL {
            let (which, range) = ring(window);
            let Some(points) = rings.points.get_mut(range) else {
                continue;
            };
            let len = points.len() as u32;
            let newest = still.newest[which];
            for step in newest.saturating_sub(len - 1)..=newest {
                if still.holds(which, step) {
                    points[(step % len) as usize] = still.point;
                }
            }
        }
        rings
    }

    /// These rings as a still writer's history, when they are one: in each window the same
    /// point from the newest step back, with at most one run of steps not seen in between,
    /// and nothing else.
    fn as_still(&self) -> Option<Still> {
        let mut still = Still {
            first: [0; 2],
            newest: self.newest,
            gap: [NO_GAP; 2],
            point: EMPTY,
        };
        for window in HistoryWindow::ALL {
            let (which, range) = ring(window);
            let points = self.points.get(range)?;
            let len = points.len();
            let newest = self.newest[which];
            // Back from the newest step: the point, maybe a gap and the point again, then
            // nothing.
            let at = |k: usize| points[(newest as usize + len - k % len) % len];
            let p = at(0);
            if p == EMPTY || (still.point != EMPTY && still.point != p) {
                return None;
            }
            still.point = p;
            let seen = (0..len).take_while(|&k| at(k) == p).count();
            let gap = (seen..len).take_while(|&k| at(k) == EMPTY).count();
            let before = (seen + gap..len).take_while(|&k| at(k) == p).count();
            let end = seen + gap + before;
            if (end..len).any(|k| at(k) != EMPTY) || end as u32 > newest + 1 {
                return None;
            }
            if before > 0 {
                still.gap[which] = [newest + 1 - (seen + gap) as u32, newest - seen as u32];
                still.first[which] = newest + 1 - end as u32;
            } else {
                still.first[which] = newest + 1 - seen as u32;
            }
        }
        Some(still)
    }

    /// Takes in the writer as seen at `now`: its status becomes the step's, and its latency
    /// raises the step's highest while it runs. A `now` before the newest step (the clock
    /// went back) is not recorded. Answers what its 10 s step holds now.
    fn observe(
        &mut self,
        now: DateTime<Utc>,
        status: WriterStatus,
        latency_ms: Option<u64>,
    ) -> Observed {
        let mut observed = Observed::default();
        // A clock gone back to an earlier 10 s step records nothing, in either window.
        if HistoryWindow::Minutes15.step_of(now) < self.newest[0] {
            return observed;
        }
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
            *point = merged(*point, status, latency_ms);
            if window == HistoryWindow::Minutes15 {
                observed = Observed {
                    step,
                    point: *point,
                };
            }
        }
        observed
    }

    /// The window's points at `now`, oldest first, the last the step now filling.
    fn points(&self, window: HistoryWindow, now: DateTime<Utc>) -> Vec<HistoryPoint> {
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
    fn is_empty(&self) -> bool {
        self.points.iter().all(|&p| p == EMPTY)
    }

    /// Appends the series as saved with the controller's state: a form byte, the two newest
    /// steps, then the points as they are or, when shorter (a writer whose status and latency
    /// hold still), as runs of equal points.
    fn encode(&self, out: &mut Vec<u8>) {
        let mut runs: Vec<(u16, u16)> = Vec::new();
        for &point in &self.points {
            match runs.last_mut() {
                Some((len, last)) if *last == point => *len += 1,
                _ => runs.push((1, point)),
            }
        }
        let as_runs = 2 + 4 * runs.len() < 2 * POINTS;
        out.push(if as_runs { FORM_RUNS } else { FORM_RAW });
        for newest in self.newest {
            out.extend_from_slice(&newest.to_le_bytes());
        }
        if as_runs {
            out.extend_from_slice(&(runs.len() as u16).to_le_bytes());
            for (len, point) in runs {
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&point.to_le_bytes());
            }
        } else {
            for point in self.points {
                out.extend_from_slice(&point.to_le_bytes());
            }
        }
    }

    /// Rings written by [`Rings::encode`] at the start of `bytes`, and the bytes they took;
    /// `None` for anything else.
    fn decode(bytes: &[u8]) -> Option<(Box<Rings>, usize)> {
        let mut reader = Reader { bytes, at: 0 };
        let form = reader.take(1)?.first().copied()?;
        let newest = [reader.u32()?, reader.u32()?];
        let mut series = Box::new(Rings {
            newest,
            points: [EMPTY; POINTS],
        });
        match form {
            FORM_RAW => {
                for point in series.points.iter_mut() {
                    *point = reader.u16()?;
                }
            }
            FORM_RUNS => {
                let runs = reader.u16()?;
                let mut at = 0usize;
                for _ in 0..runs {
                    let (len, point) = (usize::from(reader.u16()?), reader.u16()?);
                    series.points.get_mut(at..at + len)?.fill(point);
                    at += len;
                }
                if at != POINTS {
                    return None;
                }
            }
            _ => return None,
        }
        Some((series, reader.at))
    }
}

/// No steps missed: an empty range.
const NO_GAP: [u32; 2] = [1, 0];

/// The history of a writer that held still: in each window every step from `first` to
/// `newest` holds `point`, but those in `gap` (steps not seen, at most one run of them: the
/// controller was down).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Still {
    first: [u32; 2],
    newest: [u32; 2],
    gap: [[u32; 2]; 2],
    point: u16,
}

impl Still {
    /// Whether step `step` of window `which` holds the point.
    fn holds(&self, which: usize, step: u32) -> bool {
        let [from, to] = self.gap[which];
        (self.first[which]..=self.newest[which]).contains(&step) && !(from..=to).contains(&step)
    }

    /// The history after the writer is seen again at steps `steps` (not before the newest),
    /// if it still holds still: the same point after merging, and no second run of missed
    /// steps while the first is still in its window.
    fn seen_again(
        &self,
        steps: [u32; 2],
        status: WriterStatus,
        latency_ms: Option<u64>,
    ) -> Option<Still> {
        let mut next = self.clone();
        for window in HistoryWindow::ALL {
            let (which, range) = ring(window);
            let len = range.len() as u32;
            let (step, newest) = (steps[which], self.newest[which]);
            let before = match step.checked_sub(newest)? {
                0 => self.point,
                1 => EMPTY,
                _ => {
                    // Steps missed. An older gap that left the window is forgotten, with
                    // what came before it.
                    let [_, to] = self.gap[which];
                    if self.gap[which] != NO_GAP {
                        if step.saturating_sub(to) < len {
                            return None;
                        }
                        next.first[which] = next.first[which].max(to + 1);
                    }
                    next.gap[which] = [newest + 1, step - 1];
                    EMPTY
                }
            };
            if merged(before, status, latency_ms) != self.point {
                return None;
            }
            next.newest[which] = step;
        }
        Some(next)
    }
}

/// One writer's history. Most writers hold still — stopped, or running at a steady latency —
/// and take 40 bytes; a writer whose points differ gets its rings (908 bytes) the first time
/// they do, and reads back exactly as if it had had them all along.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Series(Form);

/// The forms of a [`Series`].
#[derive(Debug, Clone, Default)]
enum Form {
    /// Nothing seen yet.
    #[default]
    Unseen,
    /// A writer that held still: see [`Still`].
    Still(Still),
    /// Anything else, with what its step held after the last change.
    Moving { rings: Box<Rings>, seen: Observed },
}

/// Forms are equal when they hold the same history (the moving form's scan cache aside).
impl PartialEq for Form {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Form::Unseen, Form::Unseen) => true,
            (Form::Still(a), Form::Still(b)) => a == b,
            (Form::Moving { rings: a, .. }, Form::Moving { rings: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Form {}

impl Series {
    /// Takes in the writer as seen at `now` (see [`Rings::observe`]).
    pub fn observe(&mut self, now: DateTime<Utc>, status: WriterStatus, latency_ms: Option<u64>) {
        let steps = HistoryWindow::ALL.map(|w| w.step_of(now));
        match &mut self.0 {
            Form::Unseen => {
                self.0 = Form::Still(Still {
                    first: steps,
                    newest: steps,
                    gap: [NO_GAP; 2],
                    point: merged(EMPTY, status, latency_ms),
                });
            }
            // The clock went back: not recorded.
            Form::Still(still) if steps[0] < still.newest[0] => {}
            Form::Still(still) => match still.seen_again(steps, status, latency_ms) {
                Some(next) => *still = next,
                None => {
                    let mut rings = Rings::of_still(still);
                    let seen = rings.observe(now, status, latency_ms);
                    self.0 = Form::Moving { rings, seen };
                }
            },
            Form::Moving { rings, seen } => {
                if !seen.unchanged(now, status, latency_ms) {
                    *seen = rings.observe(now, status, latency_ms);
                }
            }
        }
    }

    /// The window's points at `now`, oldest first, the last the step now filling.
    pub fn points(&self, window: HistoryWindow, now: DateTime<Utc>) -> Vec<HistoryPoint> {
        match &self.0 {
            Form::Moving { rings, .. } => rings.points(window, now),
            Form::Unseen | Form::Still(_) => {
                let which = ring(window).0;
                let first_step = window.first_step(now);
                (0..window.points() as u32)
                    .map(|k| {
                        let step = first_step.saturating_add(k);
                        let point = match &self.0 {
                            Form::Still(still) if still.holds(which, step) => still.point,
                            _ => EMPTY,
                        };
                        decode(window.step_start(step), point)
                    })
                    .collect()
            }
        }
    }

    /// Whether it holds anything seen.
    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Form::Unseen => true,
            Form::Still(_) => false,
            Form::Moving { rings, .. } => rings.is_empty(),
        }
    }

    /// Appends the series as saved with the controller's state (see [`Rings::encode`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match &self.0 {
            Form::Unseen => Rings {
                newest: [0, 0],
                points: [EMPTY; POINTS],
            }
            .encode(out),
            Form::Still(still) => Rings::of_still(still).encode(out),
            Form::Moving { rings, .. } => rings.encode(out),
        }
    }

    /// A series written by [`Series::encode`] at the start of `bytes`, and the bytes it took;
    /// `None` for anything else. A steady one is read back steady.
    pub fn decode(bytes: &[u8]) -> Option<(Series, usize)> {
        let (rings, used) = Rings::decode(bytes)?;
        let form = match rings.as_still() {
            Some(still) => Form::Still(still),
            None if rings.is_empty() => Form::Unseen,
            None => Form::Moving {
                rings,
                seen: Observed::default(),
            },
        };
        Some((Series(form), used))
    }
}

/// Reads little-endian numbers off a byte slice.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let taken = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(taken)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
#[path = "series_tests.rs"]
mod tests;
