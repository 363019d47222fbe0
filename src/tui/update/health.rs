//! The fleet health view: opening it (`H`, `:health`), moving along regions, statuses and
//! bands, and filtering the table to the one chosen; `Esc` in the table clears that filter.

use super::super::effect::Effect;
use super::super::health::{HealthView, count, describe};
use super::super::keymap::Command;
use super::super::state::{Filter, NoticeLevel, Popup, State};
use super::super::table;
use super::{notify, quit};

pub(super) fn open(state: &mut State) {
    if state.fleet.writers.is_empty() {
        notify(
            state,
            NoticeLevel::Info,
            "No writers yet: the health view counts them once the list is loaded",
        );
        return;
    }
    let rows = count(&state.fleet, state.now);
    state.popup = Some(Popup::Health(HealthView::new(rows)));
}

/// Once a second while open: the counts follow the fleet.
pub(super) fn on_tick(state: &mut State) {
    if let Some(Popup::Health(view)) = &state.popup {
        let rows = count(&state.fleet, state.now);
        if rows != view.rows
            && let Some(Popup::Health(view)) = &mut state.popup
        {
            view.recount(rows);
        }
    }
}

pub(super) fn on_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    let Some(Popup::Health(view)) = &mut state.popup else {
        return Vec::new();
    };
    match command {
        Some(Command::Up) => view.move_row(-1),
        Some(Command::Down) => view.move_row(1),
        Some(Command::PrevFocus) => view.move_item(-1),
        Some(Command::NextFocus) => view.move_item(1),
        Some(Command::Activate) => {
            if let Some(filter) = view.filter() {
                state.popup = None;
                apply(state, filter);
            }
        }
        Some(Command::Close) => state.popup = None,
        Some(Command::Quit) => return quit(state),
        _ => {}
    }
    Vec::new()
}

fn apply(state: &mut State, filter: Filter) {
    let text = format!("Showing {} (Esc clears)", describe(&filter));
    state.filter = filter;
    state.table.selected = 0;
    table::recompute(state);
    notify(state, NoticeLevel::Info, text);
}

/// `Esc` in the table with no search: clears a filter the health view set. Whether it did.
pub(super) fn clear_filter(state: &mut State) -> bool {
    if !state.filter.from_health {
        return false;
    }
    state.filter = Filter::default();
    table::recompute(state);
    notify(state, NoticeLevel::Info, "Showing every writer");
    true
}
