//! The `:` command line, copying, refreshing now, the detail view's keys, the help and the
//! remembered view: pure tests of `update`.

#[path = "support/console.rs"]
mod console;

use crossterm::event::KeyCode;

use console::*;
use jwctl::client::ClientError;
use jwctl::domain::{StatusSet, WriterStatus};
use jwctl::tui::action::Action;
use jwctl::tui::effect::Effect;
use jwctl::tui::memory::ViewMemory;
use jwctl::tui::state::{Column, ConnectionState, Fleet, Popup, State};
use jwctl::tui::update::update;

/// Opens the command line, types `line` and presses Enter.
fn run(state: &mut State, line: &str) -> Vec<Effect> {
    press(state, KeyCode::Char(':'));
    chars(state, line);
    press(state, KeyCode::Enter)
}

#[test]
fn commands_filter_sort_and_mark() {
    let mut state = loaded(writers(30));
    run(&mut state, "status stopped,failed");
    assert!(state.command.is_none());
    assert_eq!(
        state.filter.status,
        StatusSet::of([WriterStatus::Stopped, WriterStatus::Failed])
    );
    assert_eq!(state.table.rows.len(), 12);
    run(&mut state, "region cn-hangzhou");
    assert_eq!(state.filter.regions, ["cn-hangzhou".to_string()].into());
    assert_eq!(state.table.rows.len(), 4);
    run(&mut state, "mark all");
    assert_eq!(state.marks.len(), 4);
    run(&mut state, "mark none");
    assert!(state.marks.is_empty());
    run(&mut state, "region all");
    run(&mut state, "status all");
    assert_eq!(state.table.rows.len(), 30);
    run(&mut state, "sort latency desc");
    assert_eq!(state.sort.column, Column::Latency);
    assert!(state.sort.descending);
    let latencies: Vec<Option<u64>> = state
        .table
        .rows
        .iter()
        .map(|&r| state.fleet.writers[r].latency_ms)
        .collect();
    assert!(latencies.windows(2).all(|p| p[0] >= p[1]), "{latencies:?}");
    run(&mut state, "help");
    assert!(matches!(state.popup, Some(Popup::Help(_))));
    press(&mut state, KeyCode::Esc);
    assert!(
        run(&mut state, "q")
            .iter()
            .any(|e| matches!(e, Effect::Quit))
    );
    assert!(state.quit);
}

#[test]
fn an_unknown_command_or_value_says_what_is_accepted_and_keeps_the_line() {
    let mut state = loaded(writers(30));
    let effects = run(&mut state, "stauts failed");
    assert!(without_saves(effects).is_empty());
    let line = state
        .command
        .clone()
        .unwrap_or_else(|| panic!("still open"));
    let error = line.error.unwrap_or_default();
    assert!(
        error.contains("use region, status, sort, mark, health, help, q"),
        "{error}"
    );
    assert_eq!(line.input.value, "stauts failed", "kept to correct");
    // Editing clears the message; Esc closes the line and nothing changed.
    press(&mut state, KeyCode::Backspace);
    assert!(state.command.as_ref().is_some_and(|l| l.error.is_none()));
    press(&mut state, KeyCode::Esc);
    assert!(state.command.is_none());
    assert!(state.filter.status.is_all());
    run(&mut state, "region mars");
    let error = state
        .command
        .clone()
        .and_then(|l| l.error)
        .unwrap_or_default();
    assert!(
        error.contains("the regions are cn-beijing, cn-hangzhou, cn-shanghai"),
        "{error}"
    );
}

#[test]
fn tab_completes_and_arrows_walk_the_history() {
    let mut state = loaded(writers(30));
    run(&mut state, "status failed");
    run(&mut state, "sort name desc");
    press(&mut state, KeyCode::Char(':'));
    chars(&mut state, "re");
    press(&mut state, KeyCode::Tab);
    assert_eq!(
        state.command.as_ref().map(|l| l.input.value.clone()),
        Some("region ".into())
    );
    chars(&mut state, "cn-");
    press(&mut state, KeyCode::Tab);
    let candidates = state
        .command
        .as_ref()
        .and_then(|l| l.completion.clone())
        .map(|c| c.candidates)
        .unwrap_or_default();
    assert_eq!(candidates, REGIONS);
    press(&mut state, KeyCode::Tab);
    assert_eq!(
        state.command.as_ref().map(|l| l.input.value.clone()),
        Some("region cn-beijing".into())
    );
    // ↑ goes back through the history, ↓ returns to what was typed.
    press(&mut state, KeyCode::Up);
    assert_eq!(
        state.command.as_ref().map(|l| l.input.value.clone()),
        Some("sort name desc".into())
    );
    press(&mut state, KeyCode::Up);
    assert_eq!(
        state.command.as_ref().map(|l| l.input.value.clone()),
        Some("status failed".into())
    );
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Down);
    assert_eq!(
        state.command.as_ref().map(|l| l.input.value.clone()),
        Some("region cn-beijing".into())
    );
    assert_eq!(state.history, ["status failed", "sort name desc"]);
}

#[test]
fn y_copies_the_writer_id_from_the_table_and_the_detail() {
    let mut state = loaded(writers(10));
    press(&mut state, KeyCode::Down);
    let id = state
        .selected_writer()
        .map(|w| w.id.clone())
        .unwrap_or_default();
    let effects = press(&mut state, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Copy(copied)] if *copied == id));
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert!(
        notice.contains(&id) && notice.contains("clipboard"),
        "{notice}"
    );
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Up);
    let effects = press(&mut state, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Copy(copied)] if *copied == id));
}

#[test]
fn capital_r_refreshes_now_and_retries_now_during_an_outage() {
    let mut state = loaded(writers(10));
    assert!(matches!(
        without_saves(press(&mut state, KeyCode::Char('R'))).as_slice(),
        [Effect::FetchFleet]
    ));
    // While that refresh is under way, R says so instead of piling up.
    assert!(without_saves(press(&mut state, KeyCode::Char('R'))).is_empty());
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert!(
        notice.contains("already under way") && notice.contains("10s"),
        "{notice}"
    );
    // The controller is gone: the next retry is 30 s away after a few failures.
    let error = ClientError::Unreachable {
        url: "http://127.0.0.1:7465".into(),
        detail: "connection refused".into(),
    };
    for _ in 0..6 {
        update(&mut state, Action::FleetLoaded(Err(error.clone())));
        state.refresh_in_flight = false;
    }
    assert!(matches!(
        state.connection,
        ConnectionState::Failed { attempts: 6, .. }
    ));
    assert!(matches!(
        without_saves(press(&mut state, KeyCode::Char('R'))).as_slice(),
        [Effect::FetchFleet]
    ));
}

#[test]
fn the_refreshing_notice_goes_when_the_refresh_ends_and_no_other_notice_does() {
    let mut state = loaded(writers(10));
    press(&mut state, KeyCode::Char('R'));
    let text = |state: &State| state.notice.as_ref().map(|n| n.text.clone());
    assert_eq!(text(&state).as_deref(), Some("Refreshing …"));
    update(
        &mut state,
        Action::FleetLoaded(Ok(Fleet::new(2, writers(10)))),
    );
    assert_eq!(text(&state), None);
    // A notice of something else stays for its time.
    press(&mut state, KeyCode::Char('R'));
    press(&mut state, KeyCode::Char('R'));
    let busy = text(&state).unwrap_or_default();
    assert!(busy.contains("already under way"), "{busy}");
    update(
        &mut state,
        Action::FleetLoaded(Ok(Fleet::new(3, writers(10)))),
    );
    assert_eq!(text(&state), Some(busy));
}

#[test]
fn s_and_p_in_the_detail_view_act_on_its_writer_and_return_to_it() {
    let mut state = loaded(writers(30));
    let stopped = first_in(&state, WriterStatus::Stopped);
    select_name(&mut state, &stopped.name);
    // A mark elsewhere does not turn the detail view's `s` into a batch.
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Up);
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Char('s'));
    assert!(matches!(&state.popup, Some(Popup::Start(d)) if d.writer.id == stopped.id));
    press(&mut state, KeyCode::Esc);
    assert!(state.popup.is_none());
    assert_eq!(
        state.detail.as_ref().map(|d| d.writer_id.clone()),
        Some(stopped.id.clone()),
        "back to the detail view"
    );
    press(&mut state, KeyCode::Char('p'));
    let notice = state.notice.clone().map(|n| n.text).unwrap_or_default();
    assert_eq!(notice, format!("{} is already stopped", stopped.name));
}

#[test]
fn the_help_scrolls_within_its_lines() {
    let mut state = loaded(writers(10));
    update(&mut state, Action::Resize(80, 16));
    press(&mut state, KeyCode::Char('?'));
    let scroll = |state: &State| match &state.popup {
        Some(Popup::Help(view)) => view.scroll,
        _ => usize::MAX,
    };
    press(&mut state, KeyCode::Down);
    assert_eq!(scroll(&state), 1);
    press(&mut state, KeyCode::PageDown);
    assert_eq!(scroll(&state), 14);
    press(&mut state, KeyCode::End);
    let last = scroll(&state);
    press(&mut state, KeyCode::Down);
    assert_eq!(scroll(&state), last, "no scrolling past the end");
    press(&mut state, KeyCode::Home);
    assert_eq!(scroll(&state), 0);
}

#[test]
fn the_view_is_saved_when_it_changes_and_restored() {
    let mut state = loaded(writers(30));
    let saved = |effects: &[Effect]| {
        effects.iter().find_map(|e| match e {
            Effect::SaveView(view) => Some(view.clone()),
            _ => None,
        })
    };
    assert!(
        saved(&press(&mut state, KeyCode::Down)).is_none(),
        "moving is not saved"
    );
    let view = saved(&press(&mut state, KeyCode::Char('f'))).unwrap_or_else(|| panic!("saved"));
    assert_eq!(view.statuses, [WriterStatus::Running]);
    // Typing a search is saved once it is kept.
    press(&mut state, KeyCode::Char('/'));
    assert!(saved(&chars(&mut state, "np_p00")).is_none());
    let view = saved(&press(&mut state, KeyCode::Enter)).unwrap_or_else(|| panic!("saved"));
    assert_eq!(view.search, "np_p00");
    run(&mut state, "sort latency desc");
    let memory = ViewMemory::of(&state);
    assert_eq!((memory.sort.as_str(), memory.descending), ("latency", true));
    assert_eq!(memory.history, ["sort latency desc"]);

    let mut fresh = new_state();
    memory.restore(&mut fresh);
    assert_eq!(fresh.filter.status, StatusSet::RUNNING);
    assert_eq!(fresh.sort.column, Column::Latency);
    assert_eq!(fresh.search.input.value, "np_p00");
    assert_eq!(fresh.history, ["sort latency desc"]);
}
