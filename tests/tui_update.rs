//! Pure tests of the console's `update`: actions in, state and effects out. Searches are run
//! synchronously with the real search index, the way the runtime's search thread runs them.

#[path = "support/console.rs"]
mod console;

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use console::*;
use jwctl::client::ClientError;
use jwctl::domain::{StatusSet, Writer, WriterKind, WriterStatus};
use jwctl::tui::action::Action;
use jwctl::tui::dialogs::PauseFocus;
use jwctl::tui::effect::Effect;
use jwctl::tui::start_check::StartCheck;
use jwctl::tui::start_form::StartFocus;
use jwctl::tui::state::{
    Column, ConnectionState, Fleet, Loadable, NoticeLevel, Popup, State, Submission,
};
use jwctl::tui::update::{init, update};

// ---------------------------------------------------------------------------------------
// Navigation

#[test]
fn arrows_pages_and_ends_move_the_selection_and_scroll_only_when_needed() {
    let mut state = loaded(writers(100));
    // 30 lines: title, table header, 26 body rows, status and keys lines.
    assert_eq!(state.table.rows.len(), 100);
    assert_eq!(state.table.selected, 0);
    press(&mut state, KeyCode::Char('j'));
    press(&mut state, KeyCode::Down);
    assert_eq!((state.table.selected, state.table.offset), (2, 0));
    press(&mut state, KeyCode::Char('k'));
    assert_eq!(state.table.selected, 1);
    press(&mut state, KeyCode::PageDown);
    assert_eq!((state.table.selected, state.table.offset), (27, 2));
    press(&mut state, KeyCode::PageUp);
    assert_eq!((state.table.selected, state.table.offset), (1, 1));
    press(&mut state, KeyCode::Char('G'));
    assert_eq!((state.table.selected, state.table.offset), (99, 74));
    press(&mut state, KeyCode::Char('g'));
    assert_eq!((state.table.selected, state.table.offset), (0, 0));
    press(&mut state, KeyCode::End);
    press(&mut state, KeyCode::Down);
    assert_eq!(state.table.selected, 99, "stays on the last row");
    press(&mut state, KeyCode::Home);
    press(&mut state, KeyCode::Up);
    assert_eq!(state.table.selected, 0, "stays on the first row");
    assert_eq!(selected_name(&state), Some(names(&state)[0].clone()));
}

#[test]
fn mouse_click_selects_the_row_under_it_and_the_wheel_scrolls() {
    let mut state = loaded(writers(100));
    let mouse = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Title on line 0, table header on line 1: line 5 is body row 3.
    update(
        &mut state,
        mouse(MouseEventKind::Down(MouseButton::Left), 10, 5),
    );
    assert_eq!(state.table.selected, 3);
    update(&mut state, mouse(MouseEventKind::ScrollDown, 10, 5));
    assert_eq!((state.table.offset, state.table.selected), (3, 3));
    update(&mut state, mouse(MouseEventKind::ScrollDown, 10, 5));
    assert_eq!((state.table.offset, state.table.selected), (6, 6));
    update(
        &mut state,
        mouse(MouseEventKind::Down(MouseButton::Left), 10, 2),
    );
    assert_eq!(state.table.selected, 6, "line 2 is the first visible row");
    update(&mut state, mouse(MouseEventKind::ScrollUp, 10, 5));
    assert_eq!((state.table.offset, state.table.selected), (3, 6));
}

#[test]
fn a_click_on_a_column_header_sorts_by_it_and_again_reverses() {
    let mut state = loaded(writers(40));
    let click = |state: &mut State, column: u16| {
        update(
            state,
            Action::Mouse(MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column,
                row: 1,
                modifiers: KeyModifiers::NONE,
            }),
        )
    };
    let selected = selected_name(&state);
    // The header line (line 1): the mark column, then Name from x = 2. Find Status's x by
    // clicking along the header.
    let mut seen = Vec::new();
    for x in 0..100 {
        let before = state.sort;
        click(&mut state, x);
        if state.sort.column != before.column {
            seen.push(state.sort.column);
        }
    }
    for column in [
        Column::ServerIp,
        Column::Project,
        Column::Status,
        Column::Latency,
    ] {
        assert!(
            seen.contains(&column),
            "{column:?} sorts by a click: {seen:?}"
        );
    }
    assert_eq!(
        selected_name(&state),
        selected,
        "the selection stays on its writer"
    );
    // Clicking the same header again reverses the order.
    let latency_x = (0..100)
        .find(|&x| {
            let mut probe = loaded(writers(40));
            click(&mut probe, x);
            probe.sort.column == Column::Latency
        })
        .unwrap_or_else(|| panic!("the Latency header"));
    click(&mut state, latency_x);
    let first = state.sort;
    click(&mut state, latency_x);
    assert_eq!(state.sort.column, Column::Latency);
    assert_ne!(state.sort.descending, first.descending);
}

#[test]
fn resize_keeps_the_selection_visible() {
    let mut state = loaded(writers(100));
    press(&mut state, KeyCode::PageDown);
    assert_eq!((state.table.selected, state.table.offset), (26, 1));
    update(&mut state, Action::Resize(100, 14));
    // 14 lines leave 10 body rows.
    assert_eq!(state.size, (100, 14));
    assert_eq!((state.table.selected, state.table.offset), (26, 17));
}

// ---------------------------------------------------------------------------------------
// Search

#[test]
fn typing_searches_with_rising_generations_and_narrows_within_earlier_hits() {
    let mut state = loaded(writers(60));
    press(&mut state, KeyCode::Char('/'));
    assert!(state.search.editing);
    let first = search_request(&chars(&mut state, "p"));
    assert_eq!(first.generation, 1);
    assert_eq!(first.query, "p");
    assert_eq!(first.shape, state.fleet.shape);
    assert!(first.within.is_none(), "nothing to narrow yet");
    update(&mut state, run_search(&first));

    let second = search_request(&chars(&mut state, "A"));
    assert_eq!(second.generation, 2);
    let within = second.within.clone().map(|w| w.len());
    assert_eq!(within, Some(first.index.search("p").len()), "pA narrows p");
    // A newer keystroke before the answer: the older answer is stale and dropped.
    let third = search_request(&chars(&mut state, "y"));
    assert_eq!(third.generation, 3);
    let before = names(&state);
    update(&mut state, run_search(&second));
    assert_eq!(names(&state), before, "stale results are dropped");
    update(&mut state, run_search(&third));
    assert!(!state.search.pending);
    let shown = names(&state);
    assert!(!shown.is_empty());
    // "pay" matches the payments projects (project % 4 == 1) only.
    for name in &shown {
        let writer = state.fleet.writers.iter().find(|w| &w.name == name);
        assert_eq!(writer.map(|w| w.project.name.as_str()), Some("payments"));
    }

    // Deleting a character widens the query: a full search, no narrowing.
    let wider = search_request(&press(&mut state, KeyCode::Backspace));
    assert_eq!(wider.query, "pA");
    assert!(wider.within.is_none());
    // Emptying the box clears the results without a search.
    press(&mut state, KeyCode::Backspace);
    let effects = press(&mut state, KeyCode::Backspace);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(state.search.results.is_none());
    assert_eq!(state.table.rows.len(), 60);
    // And the last in-flight answer is stale now.
    update(&mut state, run_search(&wider));
    assert_eq!(state.table.rows.len(), 60);
}

#[test]
fn enter_keeps_the_filter_and_esc_clears_it() {
    let mut state = loaded(writers(60));
    press(&mut state, KeyCode::Char('/'));
    let request = last_search(&chars(&mut state, "10.0.0.4"));
    update(&mut state, run_search(&request));
    let filtered = names(&state);
    // 10.0.0.4 and 10.0.0.40 .. 10.0.0.49, best (exact) first.
    assert_eq!(filtered.len(), 11);
    assert!(filtered[0].ends_with("-004"), "{filtered:?}");
    press(&mut state, KeyCode::Enter);
    assert!(!state.search.editing);
    assert_eq!(names(&state), filtered, "Enter keeps the filter");
    // Table keys work again: j moves instead of typing.
    press(&mut state, KeyCode::Char('j'));
    assert_eq!(state.table.selected, 1);
    press(&mut state, KeyCode::Esc);
    assert_eq!(state.search.input.value, "");
    assert_eq!(state.table.rows.len(), 60);
    // Esc in the box clears too.
    press(&mut state, KeyCode::Char('/'));
    chars(&mut state, "xyz");
    press(&mut state, KeyCode::Esc);
    assert!(!state.search.editing);
    assert!(state.query().is_none());
}

#[test]
fn a_refresh_with_an_active_query_searches_again_without_narrowing_and_without_flicker() {
    let mut state = loaded(writers(60));
    press(&mut state, KeyCode::Char('/'));
    let request = last_search(&chars(&mut state, "billing"));
    update(&mut state, run_search(&request));
    let filtered = names(&state);
    assert_eq!(filtered.len(), 15);
    let effects = update(
        &mut state,
        Action::FleetLoaded(Ok(Fleet::new(2, writers(60)))),
    );
    let again = search_request(&effects);
    assert_eq!(
        (again.shape, again.query.as_str()),
        (state.fleet.shape, "billing")
    );
    assert!(again.generation > request.generation);
    assert!(again.within.is_none());
    assert_eq!(
        names(&state),
        filtered,
        "old hits stay until the new ones arrive"
    );
    update(&mut state, run_search(&again));
    assert_eq!(names(&state), filtered);
}

#[test]
fn sorting_while_searching_orders_the_hits_by_the_column() {
    let mut state = loaded(writers(60));
    press(&mut state, KeyCode::Char('/'));
    let request = last_search(&chars(&mut state, "10.0.0.4"));
    update(&mut state, run_search(&request));
    assert!(names(&state)[0].ends_with("-004"), "relevance first");
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Char('O'));
    // Name descending over the same hits.
    let mut expected = names(&state);
    expected.sort();
    expected.reverse();
    assert_eq!(names(&state), expected);
}

// ---------------------------------------------------------------------------------------
// Filters and sorting

#[test]
fn the_region_picker_selects_several_regions_and_all() {
    let mut state = loaded(writers(30));
    press(&mut state, KeyCode::Char('r'));
    assert!(matches!(state.popup, Some(Popup::Regions(_))));
    press(&mut state, KeyCode::Down); // cn-beijing
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Down); // cn-shanghai
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Enter);
    assert!(state.popup.is_none());
    let chosen: BTreeSet<String> = ["cn-beijing", "cn-shanghai"].map(String::from).into();
    assert_eq!(state.filter.regions, chosen);
    assert_eq!(state.table.rows.len(), 20);
    assert!(
        state
            .table
            .rows
            .iter()
            .all(|&row| state.fleet.writers[row].region != "cn-hangzhou")
    );

    // Nothing ticked, cursor on a region: that region alone.
    press(&mut state, KeyCode::Char('r'));
    press(&mut state, KeyCode::Char(' ')); // on "All regions": clears the ticks
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Down); // cn-hangzhou
    press(&mut state, KeyCode::Enter);
    assert_eq!(state.filter.regions, ["cn-hangzhou".to_string()].into());
    assert_eq!(state.table.rows.len(), 10);

    // Esc cancels; Enter on "All regions" with nothing ticked shows all.
    press(&mut state, KeyCode::Char('r'));
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Esc);
    assert_eq!(state.filter.regions, ["cn-hangzhou".to_string()].into());
    press(&mut state, KeyCode::Char('r'));
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Enter);
    assert!(state.filter.regions.is_empty());
    assert_eq!(state.table.rows.len(), 30);
}

#[test]
fn single_region_deployments_have_no_picker_and_no_region_sort() {
    let mut state = loaded(writers(10));
    update(&mut state, Action::DeploymentLoaded(Ok(deployment(false))));
    press(&mut state, KeyCode::Char('r'));
    assert!(state.popup.is_none());
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert!(notice.contains("single-region") || notice.contains("Single-region"));
    assert!(notice.contains("cn-hangzhou"), "{notice}");
    let mut seen = Vec::new();
    for _ in 0..7 {
        press(&mut state, KeyCode::Char('o'));
        seen.push(state.sort.column);
    }
    assert!(!seen.contains(&Column::Region), "{seen:?}");
    assert_eq!(seen.last(), Some(&Column::Name), "wraps around");
}

#[test]
fn the_status_filter_cycles_all_running_not_running_failed() {
    let mut state = loaded(writers(30));
    let count = |state: &State, f: fn(WriterStatus) -> bool| {
        state
            .table
            .rows
            .iter()
            .filter(|&&row| f(state.fleet.writers[row].status))
            .count()
    };
    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.filter.status, StatusSet::RUNNING);
    assert_eq!(state.table.rows.len(), 18);
    assert_eq!(count(&state, |s| s == WriterStatus::Running), 18);
    assert_eq!(state.table.status_counts, [18, 0, 0, 0, 0, 0]);
    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.filter.status, StatusSet::NOT_RUNNING);
    assert_eq!(state.table.rows.len(), 12);
    assert_eq!(count(&state, |s| s != WriterStatus::Running), 12);
    assert_eq!(state.table.status_counts, [0, 0, 0, 6, 6, 0]);
    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.filter.status, StatusSet::FAILED);
    assert_eq!(state.table.rows.len(), 6);
    assert_eq!(state.table.status_counts, [0, 0, 0, 0, 6, 0]);
    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.filter.status, StatusSet::ALL);
    assert_eq!(state.table.rows.len(), 30);
}

#[test]
fn every_column_sorts_both_ways_with_ties_by_name() {
    let mut state = loaded(writers(40));
    let rows = |state: &State| -> Vec<Writer> {
        state
            .table
            .rows
            .iter()
            .map(|&row| state.fleet.writers[row].clone())
            .collect()
    };
    let ip = |w: &Writer| w.server_ip.parse::<std::net::IpAddr>().ok();
    let key = |column: Column, w: &Writer| -> String {
        match column {
            Column::Name => String::new(),
            Column::ServerIp => format!(
                "{:?}",
                ip(w).map(|ip| match ip {
                    std::net::IpAddr::V4(v4) => u32::from(v4),
                    std::net::IpAddr::V6(_) => 0,
                })
            ),
            Column::Project => format!("{}\u{0}{}", w.project.name, w.project.id),
            Column::Region => w.region.to_string(),
            Column::Kind => w.kind.label().to_string(),
            Column::Status => format!("{}", w.status as u8),
            Column::Latency => format!("{:?}", w.latency_ms.map(|l| format!("{l:012}"))),
            Column::Checkpoint => format!("{:?}", w.checkpoint.map(|c| c.timestamp())),
        }
    };
    for expected_column in &Column::ALL[1..] {
        press(&mut state, KeyCode::Char('o'));
        assert_eq!(state.sort.column, *expected_column);
        for descending in [false, true] {
            assert_eq!(state.sort.descending, descending);
            let shown = rows(&state);
            assert_eq!(shown.len(), 40);
            for pair in shown.windows(2) {
                let (a, b) = (
                    key(*expected_column, &pair[0]),
                    key(*expected_column, &pair[1]),
                );
                let ordered = if descending { a >= b } else { a <= b };
                assert!(
                    ordered,
                    "{expected_column:?} desc={descending}: {a} then {b}"
                );
                if a == b {
                    assert!(pair[0].name < pair[1].name, "ties by name");
                }
            }
            press(&mut state, KeyCode::Char('O'));
        }
    }
    // Latency: missing latency sorts lowest.
    while state.sort.column != Column::Latency {
        press(&mut state, KeyCode::Char('o'));
    }
    let first = rows(&state).first().map(|w| w.latency_ms);
    assert_eq!(first, Some(None));
    press(&mut state, KeyCode::Char('O'));
    let last = rows(&state).last().map(|w| w.latency_ms);
    assert_eq!(last, Some(None));
    // Back to Name: descending reverses the names.
    press(&mut state, KeyCode::Char('o'));
    press(&mut state, KeyCode::Char('o'));
    assert_eq!(state.sort.column, Column::Name);
    press(&mut state, KeyCode::Char('O'));
    let mut expected = names(&state);
    expected.sort();
    expected.reverse();
    assert_eq!(names(&state), expected);
}

#[test]
fn a_refresh_that_reorders_rows_keeps_the_selected_writer_and_the_scroll() {
    let mut state = loaded(writers(100));
    // Sort by latency, scroll down a bit and select a writer in the middle of the window.
    while state.sort.column != Column::Latency {
        press(&mut state, KeyCode::Char('o'));
    }
    press(&mut state, KeyCode::PageDown);
    press(&mut state, KeyCode::PageDown);
    for _ in 0..10 {
        press(&mut state, KeyCode::Up);
    }
    let (selected, offset) = (state.table.selected, state.table.offset);
    assert_eq!((selected, offset), (42, 27));
    let chosen = selected_name(&state);

    // Same latencies, new revision: nothing moves at all.
    update(
        &mut state,
        Action::FleetLoaded(Ok(Fleet::new(2, writers(100)))),
    );
    assert_eq!((state.table.selected, state.table.offset), (42, 27));
    assert_eq!(selected_name(&state), chosen);

    // The chosen writer's latency grows: it moves down a few rows but stays in view.
    let mut list = writers(100);
    let others: Vec<u64> = state.table.rows[43..46]
        .iter()
        .filter_map(|&row| state.fleet.writers[row].latency_ms)
        .collect();
    let bump = others.iter().max().copied().unwrap_or(0) + 1;
    if let Some(w) = list.iter_mut().find(|w| Some(&w.name) == chosen.as_ref()) {
        w.latency_ms = Some(bump);
    }
    update(&mut state, Action::FleetLoaded(Ok(Fleet::new(3, list))));
    assert_eq!(
        selected_name(&state),
        chosen,
        "the same writer stays selected"
    );
    assert_eq!(state.table.selected, 45);
    assert_eq!(state.table.offset, 27, "no scroll jump");

    // The writer disappears: the position stays, clamped.
    let list: Vec<Writer> = writers(100)
        .into_iter()
        .filter(|w| Some(&w.name) != chosen.as_ref())
        .collect();
    update(&mut state, Action::FleetLoaded(Ok(Fleet::new(4, list))));
    assert_eq!(state.table.selected, 45);
    assert_eq!(state.table.offset, 27);
    assert_ne!(selected_name(&state), chosen);
}

// ---------------------------------------------------------------------------------------
// Start dialog

/// A state with a stopped incremental writer selected.
fn stopped_selected() -> (State, Writer) {
    let mut state = loaded(writers(30));
    let target = state
        .fleet
        .writers
        .iter()
        .find(|w| w.status == WriterStatus::Stopped && w.kind == WriterKind::Incremental)
        .cloned()
        .unwrap_or_else(|| panic!("the fixture has a stopped incremental writer"));
    select_name(&mut state, &target.name);
    (state, target)
}

fn start_dialog(state: &State) -> &jwctl::tui::dialogs::StartDialog {
    match &state.popup {
        Some(Popup::Start(dialog)) => dialog,
        other => panic!("expected the Start dialog, got {other:?}"),
    }
}

/// Opens the Start dialog, chooses Yes and types `timestamp`.
fn start_with_replay(state: &mut State, timestamp: &str) {
    press(state, KeyCode::Char('s'));
    assert_eq!(start_dialog(state).form.focus, StartFocus::ReplayNo);
    assert!(!start_dialog(state).form.replay);
    press(state, KeyCode::Right);
    assert!(start_dialog(state).form.replay);
    assert_eq!(start_dialog(state).form.focus, StartFocus::ReplayYes);
    press(state, KeyCode::Tab);
    assert_eq!(start_dialog(state).form.focus, StartFocus::Timestamp);
    chars(state, timestamp);
    assert_eq!(start_dialog(state).form.timestamp.value, timestamp);
}

#[test]
fn start_without_replay_sends_start_with_if_match() {
    let (mut state, target) = stopped_selected();
    press(&mut state, KeyCode::Char('s'));
    // Enter on "No" chooses it and moves to the Start button.
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    assert_eq!(start_dialog(&state).form.focus, StartFocus::Submit);
    let effects = press(&mut state, KeyCode::Enter);
    assert_eq!(operation(&effects), start_of(&target.id, None, 3));
    assert_eq!(start_dialog(&state).submission, Submission::InFlight);
    // A second Enter while in flight does nothing.
    assert!(press(&mut state, KeyCode::Enter).is_empty());
}

#[test]
fn replay_without_a_timestamp_is_refused_before_sending() {
    let (mut state, _) = stopped_selected();
    start_with_replay(&mut state, "");
    assert_eq!(
        start_dialog(&state).check(state.now, &state.zone),
        StartCheck::Missing
    );
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    assert_eq!(
        start_dialog(&state).form.error.as_deref(),
        Some("Timestamp is required when replaying data")
    );
    assert_eq!(start_dialog(&state).submission, Submission::Idle);
}

#[test]
fn an_unreadable_timestamp_shows_the_parser_message() {
    let (mut state, _) = stopped_selected();
    start_with_replay(&mut state, "yesterday-ish");
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    let error = start_dialog(&state).form.error.clone().unwrap_or_default();
    assert!(error.contains("'yesterday-ish'"), "{error}");
    assert!(error.contains("accepted forms"), "{error}");
    // Editing clears the error.
    press(&mut state, KeyCode::Backspace);
    assert!(start_dialog(&state).form.error.is_none());
}

#[test]
fn a_timestamp_outside_the_store_range_is_refused_with_the_range() {
    let (mut state, _) = stopped_selected();
    start_with_replay(&mut state, "2026-11-20 10:00:00");
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    let error = start_dialog(&state).form.error.clone().unwrap_or_default();
    assert!(error.contains("is outside the change data"), "{error}");
    assert!(
        error.contains("2026-11-23 10:00:00"),
        "names the earliest, in the operator's zone: {error}"
    );
    assert!(!error.contains("store store"), "{error}");
    // A future timestamp is refused the same way, from the Start button too.
    let (mut state, _) = stopped_selected();
    start_with_replay(&mut state, "2026-11-24 10:00:05");
    press(&mut state, KeyCode::Tab);
    assert_eq!(start_dialog(&state).form.focus, StartFocus::Submit);
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    let error = start_dialog(&state).form.error.clone().unwrap_or_default();
    assert!(error.contains("is outside the change data"), "{error}");
}

#[test]
fn replay_on_a_full_migration_writer_is_refused() {
    let mut state = loaded(writers(30));
    let target = state
        .fleet
        .writers
        .iter()
        .find(|w| w.status.can_start() && w.kind == WriterKind::Full)
        .cloned()
        .unwrap_or_else(|| panic!("the fixture has a startable full writer"));
    select_name(&mut state, &target.name);
    start_with_replay(&mut state, "-1h");
    assert!(matches!(
        start_dialog(&state).check(state.now, &state.zone),
        StartCheck::Parsed {
            problem: Some(_),
            ..
        }
    ));
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    let error = start_dialog(&state).form.error.clone().unwrap_or_default();
    assert!(error.contains("incremental"), "{error}");
}

#[test]
fn a_valid_timestamp_sends_the_instant_and_success_closes_with_a_notice() {
    let (mut state, target) = stopped_selected();
    start_with_replay(&mut state, "2026-11-24 08:30:00");
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 8, 30, 0).single();
    assert_eq!(
        start_dialog(&state)
            .check(state.now, &state.zone)
            .submission(),
        Ok(at)
    );
    let effects = press(&mut state, KeyCode::Enter);
    assert_eq!(operation(&effects), start_of(&target.id, at, 3));
    let mut started = target.clone();
    started.status = WriterStatus::Starting;
    started.checkpoint = at;
    started.version = 4;
    let effects = update(
        &mut state,
        Action::OperationFinished {
            operation: start_of(&target.id, at, 3),
            result: Ok(Box::new(started)),
        },
    );
    assert!(effects.is_empty());
    assert!(state.popup.is_none());
    let notice = state.notice.clone().unwrap_or_else(|| panic!("a notice"));
    assert_eq!(notice.level, NoticeLevel::Success);
    assert_eq!(
        notice.text,
        format!(
            "Started {}, replaying from 2026-11-24 08:30:00 (UTC)",
            target.name
        )
    );
    // The table shows the new status at once.
    assert_eq!(
        state.selected_writer().map(|w| w.status),
        Some(WriterStatus::Starting)
    );
    // The notice goes away after a while.
    state.now += chrono::Duration::seconds(7);
    update(&mut state, Action::Tick);
    assert!(state.notice.is_none());
}

#[test]
fn a_controller_error_keeps_the_dialog_open_with_its_message() {
    let (mut state, target) = stopped_selected();
    start_with_replay(&mut state, "-2h");
    assert_eq!(press(&mut state, KeyCode::Enter).len(), 1);
    let message = "replay timestamp 2026-11-24T08:00:00Z is outside the change data s holds";
    let effects = update(
        &mut state,
        Action::OperationFinished {
            operation: start_of(&target.id, Some(now() - chrono::Duration::hours(2)), 3),
            result: Err(api_error(422, "replay_out_of_range", message)),
        },
    );
    assert!(effects.is_empty());
    let dialog = start_dialog(&state);
    assert_eq!(
        dialog.form.error.as_deref(),
        Some(
            "replay timestamp 2026-11-24 08:00:00 is outside the change data s holds \
             (times in UTC)"
        ),
        "the controller's instants are shown in the operator's zone"
    );
    assert_eq!(dialog.submission, Submission::Idle);
    assert_eq!(
        dialog.form.timestamp.value, "-2h",
        "the input is kept to correct"
    );
    // It can be corrected and sent again.
    assert_eq!(press(&mut state, KeyCode::Enter).len(), 1);
}

#[test]
fn a_version_conflict_says_what_the_writer_is_now_from_the_controllers_record() {
    let (mut state, target) = stopped_selected();
    // Someone else started and stopped it again meanwhile; this console still shows a stale
    // "running" row at version 5 from a refresh in between.
    let mut list = writers(30);
    if let Some(w) = list.iter_mut().find(|w| w.id == target.id) {
        w.status = WriterStatus::Running;
        w.version = 5;
    }
    press(&mut state, KeyCode::Char('s'));
    press(&mut state, KeyCode::Enter);
    let sent = operation(&press(&mut state, KeyCode::Enter));
    update(&mut state, Action::FleetLoaded(Ok(Fleet::new(2, list))));
    let mut current = target.clone();
    current.status = WriterStatus::Stopped;
    current.version = 7;
    let effects = update(
        &mut state,
        Action::OperationFinished {
            operation: sent,
            result: Err(ClientError::Api {
                status: 412,
                code: "version_mismatch".into(),
                message: "changed since you looked".into(),
                current: Some(Box::new(current.clone())),
            }),
        },
    );
    assert!(
        effects.iter().all(|e| matches!(e, Effect::SaveView(_))),
        "{effects:?}"
    );
    let dialog = start_dialog(&state);
    let error = dialog.form.error.clone().unwrap_or_default();
    assert_eq!(
        error,
        format!(
            "{} was changed by someone else: it is now Stopped (version 7, was 3). Check it, \
             then confirm again or press Esc",
            target.name
        )
    );
    assert!(!error.contains("running"), "{error}");
    assert_eq!(
        dialog.writer, current,
        "the dialog shows the writer as it is now"
    );
    assert_eq!(dialog.submission, Submission::Idle);
    let row = state.fleet.get(&target.id).cloned();
    assert_eq!(
        row,
        Some(current),
        "the row is refreshed from the controller's record"
    );
    // Confirming again sends the version the operator now sees.
    let again = operation(&press(&mut state, KeyCode::Enter));
    assert_eq!(again.if_match, 7);
}

#[test]
fn a_result_after_the_dialog_was_closed_becomes_a_notice() {
    let (mut state, target) = stopped_selected();
    press(&mut state, KeyCode::Char('s'));
    press(&mut state, KeyCode::Enter);
    let sent = operation(&press(&mut state, KeyCode::Enter));
    press(&mut state, KeyCode::Esc);
    assert!(state.popup.is_none());
    update(
        &mut state,
        Action::OperationFinished {
            operation: sent.clone(),
            result: Err(api_error(409, "invalid_state", "it is pausing")),
        },
    );
    let notice = state.notice.clone().unwrap_or_else(|| panic!("a notice"));
    assert_eq!(notice.level, NoticeLevel::Error);
    assert_eq!(
        notice.text,
        format!("Starting {} failed: it is pausing", target.name)
    );
    // A conflict on a closed dialog says what the writer is now.
    let mut current = target.clone();
    current.status = WriterStatus::Running;
    current.version = 9;
    update(
        &mut state,
        Action::OperationFinished {
            operation: sent,
            result: Err(ClientError::Api {
                status: 412,
                code: "version_mismatch".into(),
                message: "stale".into(),
                current: Some(Box::new(current)),
            }),
        },
    );
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert!(
        notice.starts_with(&format!(
            "Starting {0} failed: {0} was changed by someone else: it is now Running (version 9",
            target.name
        )),
        "{notice}"
    );
}

#[test]
fn start_on_a_running_or_pausing_writer_says_why_not() {
    let mut state = loaded(writers(30));
    let running = first_in(&state, WriterStatus::Running);
    select_name(&mut state, &running.name);
    assert!(press(&mut state, KeyCode::Char('s')).is_empty());
    assert!(state.popup.is_none());
    let notice = state.notice.clone().unwrap_or_else(|| panic!("a notice"));
    assert_eq!(notice.level, NoticeLevel::Warning);
    assert_eq!(
        notice.text,
        format!("{} is running; pause it first", running.name)
    );

    let mut list = writers(30);
    if let Some(w) = list.iter_mut().find(|w| w.id == running.id) {
        w.status = WriterStatus::Pausing;
    }
    update(&mut state, Action::FleetLoaded(Ok(Fleet::new(2, list))));
    press(&mut state, KeyCode::Char('s'));
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert_eq!(
        notice,
        format!("{} is pausing; wait until it has stopped", running.name)
    );
}

// ---------------------------------------------------------------------------------------
// Pause dialog

#[test]
fn the_pause_dialog_starts_on_cancel_and_ok_sends_pause_with_if_match() {
    let mut state = loaded(writers(30));
    let running = first_in(&state, WriterStatus::Running);
    select_name(&mut state, &running.name);
    press(&mut state, KeyCode::Char('p'));
    let focus = |state: &State| match &state.popup {
        Some(Popup::Pause(dialog)) => Some(dialog.focus),
        _ => None,
    };
    assert_eq!(focus(&state), Some(PauseFocus::Cancel));
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    assert!(state.popup.is_none(), "Enter on Cancel closes");

    press(&mut state, KeyCode::Char('p'));
    press(&mut state, KeyCode::Tab);
    assert_eq!(focus(&state), Some(PauseFocus::Ok));
    let effects = press(&mut state, KeyCode::Enter);
    assert_eq!(operation(&effects), pause_of(&running.id, 3));
    assert!(press(&mut state, KeyCode::Enter).is_empty(), "in flight");
    let mut paused = running.clone();
    paused.status = WriterStatus::Pausing;
    paused.version = 4;
    paused.checkpoint = Utc.with_ymd_and_hms(2026, 11, 24, 9, 59, 30).single();
    update(
        &mut state,
        Action::OperationFinished {
            operation: pause_of(&running.id, 3),
            result: Ok(Box::new(paused)),
        },
    );
    assert!(state.popup.is_none());
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert_eq!(
        notice,
        format!(
            "Paused {}: it stops writing until started again; checkpoint kept at 2026-11-24 09:59:30",
            running.name
        )
    );
}

#[test]
fn pause_on_a_stopped_writer_says_it_is_already_stopped() {
    let (mut state, target) = stopped_selected();
    assert!(press(&mut state, KeyCode::Char('p')).is_empty());
    assert!(state.popup.is_none());
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert_eq!(notice, format!("{} is already stopped", target.name));
}

// ---------------------------------------------------------------------------------------
// Detail, help, quit

#[test]
fn detail_loads_the_audit_of_the_selected_writer_only() {
    let mut state = loaded(writers(10));
    press(&mut state, KeyCode::Down);
    let id = state
        .selected_writer()
        .map(|w| w.id.clone())
        .unwrap_or_default();
    let effects = press(&mut state, KeyCode::Enter);
    // The writer is read afresh (the table's copy may hold progress up to 10 s old) with
    // its audit and its history.
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::FetchWriter { id: fresh },
            Effect::FetchAudit { id: asked },
            Effect::FetchHistory { id: charted, .. },
        ] if *asked == id && *fresh == id && *charted == id
    ));
    update(
        &mut state,
        Action::AuditLoaded {
            id: "someone-else".into(),
            result: Ok(Vec::new()),
        },
    );
    let audit = |state: &State| state.detail.as_ref().map(|d| d.audit.clone());
    assert_eq!(audit(&state), Some(Loadable::Loading));
    update(
        &mut state,
        Action::AuditLoaded {
            id: id.clone(),
            result: Err(api_error(500, "internal", "database is locked")),
        },
    );
    assert_eq!(
        audit(&state),
        Some(Loadable::Failed("database is locked".into()))
    );
    press(&mut state, KeyCode::Down);
    assert!(matches!(&state.detail, Some(d) if d.scroll == 1));
    press(&mut state, KeyCode::Char('q'));
    assert!(state.detail.is_none());
    assert!(!state.quit, "q closes the detail view, not the console");
}

#[test]
fn help_toggles_and_q_or_ctrl_c_quit() {
    let mut state = loaded(writers(10));
    press(&mut state, KeyCode::Char('?'));
    assert!(matches!(state.popup, Some(Popup::Help(_))));
    press(&mut state, KeyCode::Char('?'));
    assert!(state.popup.is_none());
    let effects = press(&mut state, KeyCode::Char('q'));
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
    assert!(state.quit);

    let mut state = loaded(writers(10));
    press(&mut state, KeyCode::Char('/'));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let effects = update(&mut state, Action::Key(ctrl_c));
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
    let mut state = loaded(writers(10));
    assert!(matches!(
        update(&mut state, Action::Quit).as_slice(),
        [Effect::Quit]
    ));
}

// ---------------------------------------------------------------------------------------
// Connection

#[test]
fn a_lost_controller_backs_off_keeps_the_data_and_recovers() {
    let mut state = loaded(writers(20));
    assert_eq!(state.connection, ConnectionState::Connected);
    assert_eq!(state.last_refresh, Some(now()));
    assert!(!state.refresh_in_flight);
    let error = ClientError::Unreachable {
        url: "http://127.0.0.1:7465".into(),
        detail: "connection refused".into(),
    };
    let mut waits = Vec::new();
    for attempt in 1..=7u32 {
        assert!(matches!(
            update(&mut state, Action::RefreshDue).as_slice(),
            [Effect::FetchFleet]
        ));
        assert!(
            update(&mut state, Action::RefreshDue).is_empty(),
            "no pile-up"
        );
        let effects = update(&mut state, Action::FleetLoaded(Err(error.clone())));
        let [Effect::ScheduleRefresh(wait)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        waits.push(wait.as_secs());
        let ConnectionState::Failed {
            attempts,
            retry_at,
            error: shown,
        } = &state.connection
        else {
            panic!("{:?}", state.connection);
        };
        assert_eq!(*attempts, attempt);
        assert_eq!(
            *retry_at,
            state.now + chrono::Duration::from_std(*wait).unwrap_or_default()
        );
        assert!(shown.contains("connection refused"), "{shown}");
        assert!(state.banner_visible());
        assert_eq!(state.table.rows.len(), 20, "the last data is kept");
        state.now += chrono::Duration::from_std(*wait).unwrap_or_default();
    }
    assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30]);
    update(&mut state, Action::RefreshDue);
    let effects = update(
        &mut state,
        Action::FleetLoaded(Ok(Fleet::new(9, writers(20)))),
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Follow { since: 9, .. }))
    );
    assert_eq!(state.connection, ConnectionState::Connected);
    assert_eq!(state.last_refresh, Some(state.now));
}

#[test]
fn a_failed_deployment_load_is_retried_with_the_next_refresh() {
    let mut state = new_state();
    init(&mut state);
    update(
        &mut state,
        Action::DeploymentLoaded(Err(api_error(500, "internal", "boom"))),
    );
    assert!(state.deployment.is_none());
    let effects = update(
        &mut state,
        Action::FleetLoaded(Ok(Fleet::new(1, writers(5)))),
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::FetchDeployment)));
    update(&mut state, Action::DeploymentLoaded(Ok(deployment(true))));
    let effects = update(
        &mut state,
        Action::FleetLoaded(Ok(Fleet::new(2, writers(5)))),
    );
    assert!(!effects.iter().any(|e| matches!(e, Effect::FetchDeployment)));
}

#[test]
fn starting_without_replay_is_refused_early_when_the_checkpoint_left_the_store() {
    let mut list = writers(30);
    let target = list
        .iter_mut()
        .find(|w| w.status == WriterStatus::Stopped && w.kind == WriterKind::Incremental)
        .unwrap_or_else(|| panic!("the fixture has a stopped incremental writer"));
    target.checkpoint = Some(now() - chrono::Duration::hours(30));
    let name = target.name.clone();
    let mut state = loaded(list);
    select_name(&mut state, &name);
    press(&mut state, KeyCode::Char('s'));
    assert!(matches!(
        start_dialog(&state).check(state.now, &state.zone),
        StartCheck::NoReplay { problem: Some(_) }
    ));
    press(&mut state, KeyCode::Enter);
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    let error = start_dialog(&state).form.error.clone().unwrap_or_default();
    assert!(error.contains("start with replay"), "{error}");
    // Replaying from inside the range is the way out; it skips data, so it asks twice.
    start_dialog_replay(&mut state, "-1h");
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    assert!(start_dialog(&state).form.confirming_skip);
    press(&mut state, KeyCode::Left);
    assert_eq!(start_dialog(&state).form.focus, StartFocus::ConfirmSkip);
    assert_eq!(operation(&press(&mut state, KeyCode::Enter)).if_match, 3);
}

/// In an open Start dialog: choose Yes, go to the Timestamp field and type `timestamp`.
fn start_dialog_replay(state: &mut State, timestamp: &str) {
    while start_dialog(state).form.focus != StartFocus::ReplayYes {
        press(state, KeyCode::BackTab);
    }
    press(state, KeyCode::Enter);
    assert_eq!(start_dialog(state).form.focus, StartFocus::Timestamp);
    chars(state, timestamp);
}

/// Versions do not order records: an OMS's are hashes, so an answer whose version is
/// numerically lower is still the state the operation left.
#[test]
fn an_answer_shows_at_once_whatever_its_version() {
    let mut state = loaded(writers(6));
    let writer = first_in(&state, WriterStatus::Running);
    let op = pause_of(&writer.id, writer.version);
    let mut answered = after(&op, writer.clone());
    assert!(writer.version > 0);
    answered.version = 0;
    update(&mut state, answer(&op, Ok(answered.clone())));
    assert_eq!(
        state.fleet.get(&writer.id).map(|w| (w.status, w.version)),
        Some((WriterStatus::Pausing, answered.version))
    );
}
