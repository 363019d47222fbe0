//! The `:` command line: editing, Tab completion, history, and running a command.

use crossterm::event::KeyEvent;

use super::super::command::{ConsoleCommand, parse, remember};
use super::super::effect::Effect;
use super::super::keymap::{COMMAND_LINE, Command};
use super::super::state::{Column, NoticeLevel, State};
use super::super::table;
use super::super::text_input::Edit;
use super::{dialogs, notify, quit, table as table_keys};

fn regions(state: &State) -> Vec<String> {
    state
        .deployment
        .as_ref()
        .map(|d| d.regions.clone())
        .unwrap_or_default()
}

pub(super) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let regions = regions(state);
    let history = state.history.clone();
    let Some(line) = &mut state.command else {
        return Vec::new();
    };
    match COMMAND_LINE.command(&key) {
        Some(Command::Cancel) => state.command = None,
        Some(Command::Quit) => return quit(state),
        Some(Command::Complete) => line.complete(&regions, true),
        Some(Command::CompleteBack) => line.complete(&regions, false),
        Some(Command::HistoryBack) => line.browse(&history, true),
        Some(Command::HistoryForward) => line.browse(&history, false),
        Some(Command::Run) => {
            let text = line.input.value.trim().to_string();
            if text.is_empty() {
                state.command = None;
                return Vec::new();
            }
            match parse(&text, &regions) {
                Ok(command) => {
                    state.command = None;
                    remember(&mut state.history, &text);
                    return run(state, command);
                }
                Err(error) => line.error = Some(error),
            }
        }
        _ => {
            if line.input.handle_key(key) == Edit::Changed {
                line.completion = None;
                line.error = None;
                line.history_at = None;
            }
        }
    }
    Vec::new()
}

fn run(state: &mut State, command: ConsoleCommand) -> Vec<Effect> {
    match command {
        ConsoleCommand::Region(chosen) => {
            if !state.multi_region() {
                dialogs::open_region_picker(state);
                return Vec::new();
            }
            let text = if chosen.is_empty() {
                "Showing all regions".to_string()
            } else {
                let names: Vec<&str> = chosen.iter().map(String::as_str).collect();
                format!("Showing {}", names.join(", "))
            };
            state.filter.regions = chosen;
            table::recompute(state);
            notify(state, NoticeLevel::Info, text);
        }
        ConsoleCommand::Status(set) => {
            state.filter.status = set;
            table::recompute(state);
            notify(state, NoticeLevel::Info, format!("Status filter: {set}"));
        }
        ConsoleCommand::Sort { column, .. }
            if column == Column::Region && !state.multi_region() =>
        {
            notify(
                state,
                NoticeLevel::Warning,
                "Single-region deployment: there is no region column to sort by",
            );
        }
        ConsoleCommand::Sort { column, descending } => {
            table_keys::sort_by(state, column, descending);
        }
        ConsoleCommand::Mark(true) => table_keys::mark_shown(state),
        ConsoleCommand::Mark(false) => table_keys::clear_marks(state),
        ConsoleCommand::Health => super::health::open(state),
        ConsoleCommand::Help => dialogs::open_help(state),
        ConsoleCommand::Quit => return quit(state),
    }
    Vec::new()
}
