//! The detail view of one writer: opening it, its keys, and keeping its audit and latency
//! history fresh while it is open (read again every few seconds, and at once after an
//! operation on it).

use chrono::{DateTime, Duration, Utc};

use super::super::effect::Effect;
use super::super::keymap::Command;
use super::super::state::{DetailView, Loadable, State};
use super::{dialogs, quit, refresh, table};
use crate::api::WriterHistory;
use crate::client::ClientError;
use crate::domain::HistoryWindow;

/// How often an open detail view reads its history again: often enough that the step now
/// filling moves while the operator watches.
fn refresh_every(window: HistoryWindow) -> Duration {
    match window {
        HistoryWindow::Minutes15 => Duration::seconds(5),
        HistoryWindow::Hours6 => Duration::seconds(30),
    }
}

pub(super) fn open_detail(state: &mut State) -> Vec<Effect> {
    let Some(id) = state.selected_writer().map(|w| w.id.clone()) else {
        return Vec::new();
    };
    let mut detail = DetailView::new(id.clone(), state.detail_window);
    let history = fetch_history(&mut detail, state.now);
    state.detail = Some(detail);
    // The table's copy may hold progress up to 10 s old: the detail reads the writer afresh.
    vec![
        Effect::FetchWriter { id: id.clone() },
        Effect::FetchAudit { id },
        history,
    ]
}

fn fetch_history(detail: &mut DetailView, now: DateTime<Utc>) -> Effect {
    detail.history_asked = Some(now);
    detail.history_in_flight = true;
    Effect::FetchHistory {
        id: detail.writer_id.clone(),
        window: detail.window,
    }
}

pub(super) fn on_detail_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    let now = state.now;
    let Some(detail) = &mut state.detail else {
        return Vec::new();
    };
    match command {
        Some(Command::Up) => detail.scroll = detail.scroll.saturating_sub(1),
        Some(Command::Down) => detail.scroll = detail.scroll.saturating_add(1),
        Some(Command::PageUp) => detail.scroll = detail.scroll.saturating_sub(10),
        Some(Command::PageDown) => detail.scroll = detail.scroll.saturating_add(10),
        Some(Command::First) => detail.scroll = 0,
        Some(Command::Window) => {
            detail.window = detail.window.other();
            detail.history = Loadable::Loading;
            let effect = fetch_history(detail, now);
            // The next detail opened shows the window chosen last.
            state.detail_window = detail.window;
            return vec![effect];
        }
        Some(Command::Close) => state.detail = None,
        Some(Command::Start) => return dialogs::open_start(state),
        Some(Command::Pause) => return dialogs::open_pause(state),
        Some(Command::Copy) => return table::copy_selected(state),
        Some(Command::Refresh) => return refresh::refresh_now(state),
        Some(Command::Help) => dialogs::open_help(state),
        Some(Command::Quit) => return quit(state),
        _ => {}
    }
    Vec::new()
}

/// A history arrived: shown if it is the open view's writer and window (a late answer for
/// another is dropped).
pub(super) fn on_history_loaded(
    state: &mut State,
    id: &str,
    window: HistoryWindow,
    result: Result<WriterHistory, ClientError>,
) {
    let Some(detail) = &mut state.detail else {
        return;
    };
    if detail.writer_id != id || detail.window != window {
        return;
    }
    detail.history_in_flight = false;
    match result {
        Ok(history) => {
            detail.history = Loadable::Loaded(history);
            detail.history_error = None;
        }
        // A chart shown stays, the error said beside it.
        Err(error) if matches!(detail.history, Loadable::Loaded(_)) => {
            detail.history_error = Some(error.to_string());
        }
        Err(error) => detail.history = Loadable::Failed(error.to_string()),
    }
}

/// Once a second: the open detail view reads its history again when it is due.
pub(super) fn on_tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let Some(detail) = &mut state.detail else {
        return Vec::new();
    };
    let due = !detail.history_in_flight
        && detail
            .history_asked
            .is_none_or(|asked| now - asked >= refresh_every(detail.window));
    due.then(|| fetch_history(detail, now))
        .into_iter()
        .collect()
}

/// An operation on writer `id` was answered: the open detail view of it reads its audit and
/// history again, so the operation shows at once.
pub(super) fn after_operation(state: &mut State, id: &str) -> Vec<Effect> {
    let now = state.now;
    match &mut state.detail {
        Some(detail) if detail.writer_id == id => vec![
            Effect::FetchAudit { id: id.to_string() },
            fetch_history(detail, now),
        ],
        _ => Vec::new(),
    }
}
