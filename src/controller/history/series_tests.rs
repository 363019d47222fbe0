//! The series' tests: the step aggregation, the latency code, the still form against the
//! rings, and what is saved.

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
    let mut s = Series::default();
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
    let mut s = Series::default();
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
fn seeing_a_writer_again_in_its_step_with_nothing_new_is_known_without_the_rings() {
    let mut rings = bare_rings();
    let seen = rings.observe(t0(), WriterStatus::Running, Some(5_000));
    let at = t0() + Duration::seconds(3);
    assert!(
        seen.unchanged(at, WriterStatus::Running, Some(4_000)),
        "lower"
    );
    assert!(seen.unchanged(at, WriterStatus::Running, Some(5_000)));
    assert!(
        !seen.unchanged(at, WriterStatus::Running, Some(6_000)),
        "higher"
    );
    assert!(
        !seen.unchanged(at, WriterStatus::Stopped, None),
        "another status"
    );
    let next_step = t0() + Duration::seconds(10);
    assert!(!seen.unchanged(next_step, WriterStatus::Running, Some(5_000)));
    assert!(!Observed::default().unchanged(at, WriterStatus::Running, None));
}

/// Rings that saw nothing: what every writer would have without the steady form.
fn bare_rings() -> Rings {
    Rings {
        newest: [0, 0],
        points: [EMPTY; POINTS],
    }
}

#[test]
fn the_steady_form_reads_back_exactly_as_rings_would() {
    // A fixed pseudo-random walk: writers that hold still for a while, change status or
    // latency, are not seen for a while, or see the clock go back.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut steady_seen = 0;
    for _ in 0..300 {
        let mut now = t0();
        let mut series = Series::default();
        let mut rings = bare_rings();
        let (mut status, mut latency) = (WriterStatus::Running, Some(2_000));
        for i in 0..400 {
            now += match next(20) {
                0 => Duration::seconds(-7),
                1 => Duration::seconds(45),
                2 => Duration::minutes(3),
                _ => Duration::seconds(next(4) as i64),
            };
            match next(30) {
                0 => status = WriterStatus::Stopped,
                1 => status = WriterStatus::Running,
                2 => latency = Some(next(3) * 1_000),
                _ => {}
            }
            series.observe(now, status, latency);
            rings.observe(now, status, latency);
            if matches!(series.0, Form::Still(_)) {
                steady_seen += 1;
            }
            if i % 8 == 0 {
                for window in HistoryWindow::ALL {
                    assert_eq!(series.points(window, now), rings.points(window, now));
                }
            }
        }
        let mut saved = Vec::new();
        series.encode(&mut saved);
        let (back, _) = Series::decode(&saved).unwrap();
        for window in HistoryWindow::ALL {
            assert_eq!(back.points(window, now), rings.points(window, now));
        }
    }
    assert!(
        steady_seen > 1_000,
        "the walks hold still often: {steady_seen}"
    );
    assert!(steady_seen < 300 * 400, "and move: {steady_seen}");
}

#[test]
fn a_writer_holding_still_stays_small_until_it_moves_and_is_read_back_small() {
    let mut s = Series::default();
    for i in 0..100 {
        s.observe(
            t0() + Duration::seconds(i * 5),
            WriterStatus::Stopped,
            Some(9),
        );
    }
    assert!(matches!(s.0, Form::Still(_)), "{s:?}");
    let mut saved = Vec::new();
    s.encode(&mut saved);
    assert!(matches!(
        Series::decode(&saved).unwrap().0.0,
        Form::Still(_)
    ));
    s.observe(
        t0() + Duration::seconds(500),
        WriterStatus::Running,
        Some(9),
    );
    assert!(matches!(s.0, Form::Moving { .. }));
}

#[test]
fn a_still_writer_stays_small_across_a_restart_but_not_two() {
    let mut s = Series::default();
    let mut rings = bare_rings();
    let mut see = |s: &mut Series, at: DateTime<Utc>| {
        s.observe(at, WriterStatus::Stopped, None);
        rings.observe(at, WriterStatus::Stopped, None);
        for window in HistoryWindow::ALL {
            assert_eq!(s.points(window, at), rings.points(window, at));
        }
    };
    see(&mut s, t0());
    see(&mut s, t0() + Duration::seconds(10));
    // Down for five minutes, then seen again: one gap, still small, saved and read back so.
    see(&mut s, t0() + Duration::minutes(5));
    assert!(matches!(s.0, Form::Still(_)), "{s:?}");
    let mut saved = Vec::new();
    s.encode(&mut saved);
    let (back, _) = Series::decode(&saved).unwrap();
    assert_eq!(back, s);
    // Down again while the first gap is in the 6 h window: its rings.
    see(&mut s, t0() + Duration::minutes(9));
    assert!(matches!(s.0, Form::Moving { .. }), "{s:?}");
}

#[test]
fn a_clock_that_goes_back_records_nothing() {
    let mut s = Series::default();
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
    let mut still = Series::default();
    still.observe(t0(), WriterStatus::Running, Some(12_345));
    let mut moving = Series::default();
    // A latency of its own every minute for 6 hours.
    for i in 0..360 {
        moving.observe(
            t0() + Duration::minutes(i),
            WriterStatus::Running,
            Some(i as u64),
        );
    }
    assert!(!still.is_empty());
    assert!(Series::default().is_empty());
    let mut bytes = Vec::new();
    still.encode(&mut bytes);
    let still_len = bytes.len();
    assert!(
        still_len < 40,
        "a writer holding still takes a few runs: {still_len}"
    );
    moving.encode(&mut bytes);
    assert_eq!(bytes.len() - still_len, 1 + 8 + 900, "as they are");
    let (first, used) = Series::decode(&bytes).unwrap();
    assert_eq!((&first, used), (&still, still_len));
    let (second, used) = Series::decode(&bytes[still_len..]).unwrap();
    assert_eq!((&second, used), (&moving, 909));
    assert!(std::mem::size_of::<Rings>() + std::mem::size_of::<Series>() <= 1024);
    assert!(
        std::mem::size_of::<Series>() <= 40,
        "a writer holding still"
    );
    // Cut short, an unknown form, runs that do not add up: refused, no panic.
    assert!(Series::decode(&bytes[..still_len - 1]).is_none());
    assert!(Series::decode(&bytes[still_len..bytes.len() - 1]).is_none());
    let mut other = bytes.clone();
    other[0] = 9;
    assert!(Series::decode(&other).is_none());
    let mut short = bytes[..still_len].to_vec();
    short[9] = short[9].wrapping_sub(1);
    assert!(Series::decode(&short).is_none());
}
