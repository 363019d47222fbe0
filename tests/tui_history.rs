//! The console's history: the detail view's latency chart and the trend column (drawn with a
//! fixed clock in UTC, in colour and mono, at 80x24 and 160x48), and how they are read.

#[path = "support/screen.rs"]
mod screen;

use chrono::{DateTime, Duration as Span, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jwctl::api::{HistoryEvent, HistoryEventKind, HistoryPoint, HistorySeries, WriterHistory};
use jwctl::client::ClientError;
use jwctl::domain::{HistoryWindow, WriterStatus};
use jwctl::tui::action::Action;
use jwctl::tui::effect::Effect;
use jwctl::tui::state::{DetailView, Loadable, State};
use jwctl::tui::update::update;
use screen::*;

fn event(
    t: DateTime<Utc>,
    kind: HistoryEventKind,
    actor: Option<&str>,
    detail: &str,
) -> HistoryEvent {
    HistoryEvent {
        t,
        kind,
        actor: actor.map(str::to_string),
        detail: detail.to_string(),
        replay_from: (kind == HistoryEventKind::Replay).then(|| now() - Span::hours(1)),
    }
}

/// A writer first seen a fifth into the window, its latency rising to 40 s, paused by alice,
/// started again replaying by bob, then recovering.
fn history(id: &str, window: HistoryWindow) -> WriterHistory {
    let n = window.points();
    let step = i64::from(window.step_secs());
    let first = now() - Span::seconds(step * (n as i64 - 1));
    let t = |i: usize| first + Span::seconds(step * i as i64);
    let (seen, paused, resumed) = (n / 5, n * 5 / 9, n * 7 / 11);
    let points = (0..n)
        .map(|i| {
            let (status, latency_ms) = if i < seen {
                (None, None)
            } else if i < paused {
                let rise = (i - seen) as u64 * 38_000 / (paused - seen) as u64;
                (Some(WriterStatus::Running), Some(2_000 + rise))
            } else if i < resumed {
                (Some(WriterStatus::Stopped), None)
            } else {
                let fall = (i - resumed) as u64 * 60_000 / (n - resumed) as u64;
                (Some(WriterStatus::Running), Some(65_000 - fall))
            };
            HistoryPoint {
                t: t(i),
                latency_ms,
                status,
            }
        })
        .collect();
    let events = vec![
        event(
            t(paused) - Span::seconds(3),
            HistoryEventKind::Pause,
            Some("alice"),
            "paused by alice",
        ),
        event(
            t(paused),
            HistoryEventKind::Status,
            None,
            "running → stopped",
        ),
        event(
            t(resumed) + Span::seconds(2),
            HistoryEventKind::Replay,
            Some("bob"),
            "started by bob, replaying from 2026-11-24T09:00:00Z",
        ),
        event(
            t(resumed + 1),
            HistoryEventKind::Status,
            None,
            "stopped → running",
        ),
    ];
    WriterHistory {
        writer: id.to_string(),
        window,
        step_s: window.step_secs(),
        points,
        events,
    }
}

fn detail_state(size: (u16, u16), window: HistoryWindow, mono: bool) -> State {
    let mut s = state(60, 3, size);
    s.settings.mono = mono;
    let row = row_in(&s, WriterStatus::Running);
    let id = s.fleet.writers[row].id.clone();
    s.detail = Some(DetailView {
        audit: Loadable::Loaded(Vec::new()),
        history: Loadable::Loaded(history(&id, window)),
        ..DetailView::new(id, window)
    });
    s
}

#[test]
fn the_detail_chart_in_colour_and_mono_at_80x24_and_160x48() {
    for window in HistoryWindow::ALL {
        for size in [(80, 24), (160, 48)] {
            for mono in [false, true] {
                let s = detail_state(size, window, mono);
                let text = screen(&s);
                let what = format!("{window} at {}x{} mono={mono}", size.0, size.1);
                assert!(text.contains("Latency, last"), "{what}: {text}");
                assert!(
                    text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
                    "{what}: the braille line: {text}"
                );
                for glyph in ['┄', 'P', 'R', '┊'] {
                    assert!(text.contains(glyph), "{what}: {glyph}: {text}");
                }
                assert!(text.contains("paused by alice"), "{what}: {text}");
                assert!(
                    text.contains("10:00"),
                    "{what}: the time axis ends now: {text}"
                );
                let name = snapshot_name(&format!("detail_chart_{window}"), size, mono);
                insta::assert_snapshot!(name, styled_screen(&s));
            }
        }
    }
}

#[test]
fn a_writer_that_did_not_run_in_the_window_says_so_instead_of_a_line() {
    let mut s = state(60, 3, (100, 30));
    let failed = s.fleet.writers[row_in(&s, WriterStatus::Failed)].id.clone();
    let mut failing = history(&failed, HistoryWindow::Minutes15);
    for point in &mut failing.points {
        point.latency_ms = None;
        point.status = point.status.map(|_| WriterStatus::Failed);
    }
    s.detail = Some(DetailView {
        history: Loadable::Loaded(failing),
        ..DetailView::new(failed, HistoryWindow::Minutes15)
    });
    let text = screen(&s);
    assert!(
        text.contains("No latency in this window: the writer did not run (now failed)"),
        "{text}"
    );
    let braille = text
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28ff}').contains(c))
        .count();
    assert_eq!(braille, 1, "the legend's ⣀ only, no line: {text}");
}

#[test]
fn below_80x24_the_numbers_stay_without_the_chart() {
    let s = detail_state((79, 24), HistoryWindow::Minutes15, false);
    let text = screen(&s);
    assert!(
        !text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
        "{text}"
    );
    assert!(text.contains("needs a terminal of 80x24"), "{text}");
    assert!(text.contains("Latency"), "{text}");
    assert!(text.contains("Status"), "{text}");
}

#[test]
fn a_critical_writer_draws_the_critical_line_and_the_scale_above_it() {
    let mut s = detail_state((100, 30), HistoryWindow::Minutes15, true);
    if let Some(detail) = &mut s.detail
        && let Loadable::Loaded(history) = &mut detail.history
    {
        for point in history.points.iter_mut().filter(|p| p.latency_ms.is_some()) {
            point.latency_ms = Some(700_000);
        }
    }
    let text = screen(&s);
    assert!(
        text.contains('━'),
        "the critical threshold (10 min): {text}"
    );
    assert!(
        text.contains("13m25s"),
        "the scale's top, 15% over 700 s: {text}"
    );
}

fn key(s: &mut State, c: char) -> Vec<Effect> {
    update(
        s,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    )
}

fn history_fetches(effects: &[Effect]) -> Vec<(String, HistoryWindow)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::FetchHistory { id, window } => Some((id.clone(), *window)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_detail_reads_its_history_switches_windows_and_follows() {
    let mut s = state(60, 3, (120, 40));
    let row = row_in(&s, WriterStatus::Running);
    s.table.selected = s.table.rows.iter().position(|&r| r == row).unwrap_or(0);
    let id = s.fleet.writers[row].id.clone();
    let opened = update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_eq!(
        history_fetches(&opened),
        [(id.clone(), HistoryWindow::Minutes15)]
    );

    // `w`: the 6 h window; an answer for the 15 min one arriving late is dropped.
    let switched = key(&mut s, 'w');
    assert_eq!(
        history_fetches(&switched),
        [(id.clone(), HistoryWindow::Hours6)]
    );
    let late = history(&id, HistoryWindow::Minutes15);
    update(
        &mut s,
        Action::HistoryLoaded {
            id: id.clone(),
            window: HistoryWindow::Minutes15,
            result: Ok(Box::new(late)),
        },
    );
    let detail = s.detail.as_ref().expect("open");
    assert!(matches!(detail.history, Loadable::Loading));
    let six = history(&id, HistoryWindow::Hours6);
    update(
        &mut s,
        Action::HistoryLoaded {
            id: id.clone(),
            window: HistoryWindow::Hours6,
            result: Ok(Box::new(six.clone())),
        },
    );
    assert!(matches!(&s.detail.as_ref().expect("open").history, Loadable::Loaded(h) if *h == six));

    // Followed: read again once due (30 s for 6 h), not before; a failure keeps the chart.
    s.now += Span::seconds(10);
    assert!(history_fetches(&update(&mut s, Action::Tick)).is_empty());
    s.now += Span::seconds(20);
    let due = update(&mut s, Action::Tick);
    assert_eq!(history_fetches(&due), [(id.clone(), HistoryWindow::Hours6)]);
    assert!(
        history_fetches(&update(&mut s, Action::Tick)).is_empty(),
        "one in flight"
    );
    update(
        &mut s,
        Action::HistoryLoaded {
            id: id.clone(),
            window: HistoryWindow::Hours6,
            result: Err(ClientError::Timeout {
                url: "http://127.0.0.1:7465/v1/writers/x/history".into(),
                timeout: std::time::Duration::from_secs(10),
            }),
        },
    );
    let detail = s.detail.as_ref().expect("open");
    assert!(matches!(detail.history, Loadable::Loaded(_)));
    assert!(
        detail
            .history_error
            .as_deref()
            .is_some_and(|e| e.contains("10s")),
        "{:?}",
        detail.history_error
    );
    assert!(screen(&s).contains("The chart was not refreshed"));

    // Closed and opened again: the window chosen last.
    key(&mut s, 'q');
    let again = update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_eq!(history_fetches(&again), [(id, HistoryWindow::Hours6)]);
}

/// Series for the first `n` writers of the table: rising, flat, gapped (paused for a while)
/// or critical.
fn load_trends(s: &mut State, n: usize) {
    let ids: Vec<String> = s.table.rows[..n]
        .iter()
        .map(|&r| s.fleet.writers[r].id.clone())
        .collect();
    let series = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let points = (0..90u64)
                .map(|i| match n % 4 {
                    0 => Some(1_000 + i * 700),
                    1 => Some(2_000),
                    2 if (30..60).contains(&i) => None,
                    2 => Some(5_000 + (i % 7) * 1_000),
                    _ => Some(600_000 + i * 1_000),
                })
                .collect();
            (id.clone(), points)
        })
        .collect();
    let answer = HistorySeries {
        step_s: 10,
        series,
        unknown: Vec::new(),
    };
    s.trends.asked();
    s.trends.answered(Some(answer), &ids, now());
}

#[test]
fn the_trend_column_in_colour_and_mono_at_80x24_and_160x48() {
    for size in [(80, 24), (160, 48)] {
        for mono in [false, true] {
            let mut s = state(60, 3, size);
            s.settings.mono = mono;
            // On by default from 120 columns; at 80 the operator turned it on with `t`.
            if size.0 < 120 {
                key(&mut s, 't');
            }
            load_trends(&mut s, 60);
            let text = screen(&s);
            let what = format!("{}x{} mono={mono}", size.0, size.1);
            assert!(text.contains("Trend 15m"), "{what}: {text}");
            assert!(
                text.contains("▁▂▂▃▃▄▄▅▅▆▆▇▇██"),
                "{what}: the rising one: {text}"
            );
            assert!(text.contains("▂▂▂▂▂     ▂▂▂▂▂"), "{what}: the gap: {text}");
            let name = snapshot_name("trend_column", size, mono);
            insta::assert_snapshot!(name, styled_screen(&s));
        }
    }
}

#[test]
fn the_trend_column_asks_for_the_visible_rows_only_in_one_request() {
    let mut s = state(300, 3, (160, 48));
    let fetches = |effects: &[Effect]| -> Vec<Vec<String>> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::FetchTrends { ids } => Some(ids.clone()),
                _ => None,
            })
            .collect()
    };
    let first = fetches(&update(&mut s, Action::Tick));
    let visible: Vec<String> = s.table.rows[s.table.offset..s.table.offset + 44]
        .iter()
        .map(|&r| s.fleet.writers[r].id.clone())
        .collect();
    assert_eq!(first, [visible], "the 44 rows on screen, once");
    assert!(
        fetches(&update(&mut s, Action::Tick)).is_empty(),
        "one at a time"
    );
    load_trends(&mut s, 44);
    assert!(fetches(&update(&mut s, Action::Tick)).is_empty(), "fresh");
    // Scrolled to the end: the rows now on screen, in one request.
    let scrolled = fetches(&key(&mut s, 'G'));
    let now_visible: Vec<String> = s.table.rows[s.table.offset..]
        .iter()
        .map(|&r| s.fleet.writers[r].id.clone())
        .collect();
    assert_eq!(now_visible.len(), 44);
    assert_eq!(scrolled, [now_visible]);
    // Turned off: nothing is asked.
    let mut off = state(300, 3, (160, 48));
    key(&mut off, 't');
    assert!(fetches(&update(&mut off, Action::Tick)).is_empty());
    assert!(!screen(&off).contains("Trend 15m"));
}
