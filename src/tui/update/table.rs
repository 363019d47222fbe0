//! The table: moving, filters, sorting, marks, and the keys that open everything else.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::super::columns;
use super::super::effect::Effect;
use super::super::keymap::Command;
use super::super::layout;
use super::super::state::{Column, Mode, NoticeLevel, State};
use super::super::table;
use super::{WHEEL_ROWS, dialogs, notify, quit, refresh, search};

/// Moves the selection for the moving commands; `false` for any other command. A move by the
/// operator ends the selection's following of the best search match.
pub(super) fn navigate(state: &mut State, command: Option<Command>) -> bool {
    let page = isize::try_from(table::page_rows(state)).unwrap_or(isize::MAX);
    match command {
        Some(Command::Up) => table::move_by(state, -1),
        Some(Command::Down) => table::move_by(state, 1),
        Some(Command::PageUp) => table::move_by(state, -page),
        Some(Command::PageDown) => table::move_by(state, page),
        Some(Command::First) => table::select(state, 0),
        Some(Command::Last) => table::select(state, usize::MAX),
        _ => return false,
    }
    state.search.follow_best = false;
    true
}

pub(super) fn on_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    if navigate(state, command) {
        return Vec::new();
    }
    let Some(command) = command else {
        return Vec::new();
    };
    match command {
        Command::Search => search::start_editing(state),
        Command::ClearSearch if state.query().is_some() => return search::clear(state),
        Command::ClearSearch => {
            super::health::clear_filter(state);
        }
        Command::Regions => dialogs::open_region_picker(state),
        Command::CycleStatus => {
            state.filter.status = state.filter.status.cycle();
            table::recompute(state);
        }
        Command::SortNext => {
            let column = next_column(state.sort.column, state.multi_region());
            sort_by(state, column, false);
        }
        Command::SortReverse => {
            let (column, descending) = (state.sort.column, !state.sort.descending);
            sort_by(state, column, descending);
        }
        Command::Detail => return super::detail::open_detail(state),
        Command::Start => return dialogs::open_start(state),
        Command::Pause => return dialogs::open_pause(state),
        Command::Mark => toggle_mark(state),
        Command::MarkShown => mark_shown(state),
        Command::ClearMarks => clear_marks(state),
        Command::Trend => state.trends.toggle(state.size.0),
        Command::Health => super::health::open(state),
        Command::CommandLine => state.command = Some(Default::default()),
        Command::Copy => return copy_selected(state),
        Command::Refresh => return refresh::refresh_now(state),
        Command::Help => dialogs::open_help(state),
        Command::Quit => return quit(state),
        _ => {}
    }
    Vec::new()
}

/// Orders the table by `column`; the hits of a search are then sorted too.
pub(super) fn sort_by(state: &mut State, column: Column, descending: bool) {
    state.sort.column = column;
    state.sort.descending = descending;
    state.search.relevance = false;
    table::recompute(state);
}

/// The column after `column` in display order, skipping Region in a single-region deployment.
pub fn next_column(column: Column, multi_region: bool) -> Column {
    let columns: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|&c| multi_region || c != Column::Region)
        .collect();
    let at = columns.iter().position(|&c| c == column).unwrap_or(0);
    columns
        .get((at + 1) % columns.len())
        .copied()
        .unwrap_or(Column::Name)
}

fn toggle_mark(state: &mut State) {
    let Some(id) = state.selected_writer().map(|w| w.id.clone()) else {
        notify(state, NoticeLevel::Info, "No writer selected");
        return;
    };
    if !state.marks.remove(&id) {
        state.marks.insert(id);
    }
}

/// Marks every writer the table shows (after search, region and status filters).
pub(super) fn mark_shown(state: &mut State) {
    let ids: Vec<String> = state
        .table
        .rows
        .iter()
        .filter_map(|&row| state.fleet.writers.get(row).map(|w| w.id.clone()))
        .collect();
    let count = ids.len();
    state.marks.extend(ids);
    let shown = if count == 1 {
        "the writer shown".to_string()
    } else {
        format!("the {count} writers shown")
    };
    notify(
        state,
        NoticeLevel::Info,
        format!(
            "Marked {shown}; {} marked in all (u clears)",
            state.marks.len()
        ),
    );
}

/// Clears every mark.
pub(super) fn clear_marks(state: &mut State) {
    let count = state.marks.len();
    state.marks.clear();
    let text = match count {
        0 => "No writer is marked".to_string(),
        1 => "Cleared 1 mark".to_string(),
        n => format!("Cleared {n} marks"),
    };
    notify(state, NoticeLevel::Info, text);
}

/// Copies the selected writer's id (or the detail view's) to the clipboard.
pub(super) fn copy_selected(state: &mut State) -> Vec<Effect> {
    let id = match &state.detail {
        Some(detail) => Some(detail.writer_id.clone()),
        None => state.selected_writer().map(|w| w.id.clone()),
    };
    let Some(id) = id else {
        notify(state, NoticeLevel::Info, "No writer selected");
        return Vec::new();
    };
    notify(
        state,
        NoticeLevel::Success,
        format!("Copied {id} to the clipboard (OSC 52)"),
    );
    vec![Effect::Copy(id)]
}

/// Clicks select a row or sort by a header; the wheel scrolls the table or the view on top.
pub(super) fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    match state.mode() {
        Mode::Table | Mode::Search => {}
        Mode::Detail => {
            if let Some(detail) = &mut state.detail {
                match mouse.kind {
                    MouseEventKind::ScrollDown => detail.scroll = detail.scroll.saturating_add(3),
                    MouseEventKind::ScrollUp => detail.scroll = detail.scroll.saturating_sub(3),
                    _ => {}
                }
            }
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    let (width, height) = state.size;
    let Some(areas) = layout::layout(Rect::new(0, 0, width, height), state.banner_visible()) else {
        return Vec::new();
    };
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) if mouse.row == areas.table.y => {
            if let Some(column) = columns::column_at(state, areas.table, mouse.column) {
                let descending = state.sort.column == column
                    && !state.sort.descending
                    && !(state.query().is_some() && state.search.relevance);
                sort_by(state, column, descending);
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            let at = areas
                .body_row_at(mouse.column, mouse.row)
                .map(|row| state.table.offset + row)
                .filter(|&pos| pos < state.table.rows.len());
            if let Some(pos) = at {
                table::select(state, pos);
                state.search.follow_best = false;
            }
        }
        MouseEventKind::ScrollDown => {
            table::scroll_by(state, WHEEL_ROWS);
            state.search.follow_best = false;
        }
        MouseEventKind::ScrollUp => {
            table::scroll_by(state, -WHEEL_ROWS);
            state.search.follow_best = false;
        }
        _ => {}
    }
    Vec::new()
}
