//! Which writers the table shows, in which order, and keeping the selection put while rows
//! change underneath it.
//!
//! Rows are indices into `fleet.writers`; writers are never cloned. Sorting is a stable sort
//! of indices that start in name order, so ties always fall back to the name.

use std::cmp::Ordering;

use ratatui::layout::Rect;

use crate::domain::Writer;

use super::layout;
use super::state::{Column, Sort, State};

/// How many writer rows one page of the table has at the current terminal size (at least 1).
pub fn page_rows(state: &State) -> usize {
    let (width, height) = state.size;
    layout::layout(Rect::new(0, 0, width, height), state.banner_visible())
        .map_or(1, |areas| areas.body_rows())
        .max(1)
}

/// Recomputes `state.table.rows` from the fleet, filters, search results and sort, then puts
/// the selection back on the same writer (or the same position if it vanished).
pub fn recompute(state: &mut State) {
    state.table.rows = visible_rows(state);
    reselect(state);
}

/// The rows the table should show, in display order.
pub fn visible_rows(state: &State) -> Vec<usize> {
    let writers = state.fleet.writers.as_slice();
    let admits = |w: &Writer| {
        state.filter.status.admits(w.status)
            && (state.filter.regions.is_empty() || state.filter.regions.contains(&w.region))
    };
    let hits = state
        .query()
        .and(state.search.results.as_ref())
        .filter(|results| results.revision == state.fleet.revision)
        .map(|results| results.hits.as_slice());
    match hits {
        Some(hits) if state.search.relevance => hits
            .iter()
            .map(|hit| hit.row)
            .filter(|&row| writers.get(row).is_some_and(admits))
            .collect(),
        Some(hits) => {
            let mut hit = vec![false; writers.len()];
            for h in hits {
                if let Some(slot) = hit.get_mut(h.row) {
                    *slot = true;
                }
            }
            sorted(writers, state.sort, |row, w| hit[row] && admits(w))
        }
        None => sorted(writers, state.sort, |_, w| admits(w)),
    }
}

/// Rows of `writers` passing `keep`, ordered by `sort` with ties by name (ascending).
pub fn sorted(writers: &[Writer], sort: Sort, keep: impl Fn(usize, &Writer) -> bool) -> Vec<usize> {
    let mut rows: Vec<usize> = writers
        .iter()
        .enumerate()
        .filter(|(row, w)| keep(*row, w))
        .map(|(row, _)| row)
        .collect();
    // The controller sends writers sorted by name; only sort by name when it did not.
    let by_name = writers.windows(2).all(|pair| pair[0].name <= pair[1].name);
    if !by_name {
        rows.sort_by(|&a, &b| writers[a].name.cmp(&writers[b].name));
    }
    if sort.column == Column::Name {
        if sort.descending {
            rows.reverse();
        }
        return rows;
    }
    let column = sort.column;
    if sort.descending {
        rows.sort_by(|&a, &b| compare(column, &writers[b], &writers[a]));
    } else {
        rows.sort_by(|&a, &b| compare(column, &writers[a], &writers[b]));
    }
    rows
}

/// Order of two writers by one column (missing latency or checkpoint sorts lowest).
fn compare(column: Column, a: &Writer, b: &Writer) -> Ordering {
    match column {
        Column::Name => a.name.cmp(&b.name),
        Column::ServerIp => compare_ip(&a.server_ip, &b.server_ip),
        Column::Project => (&a.project.name, &a.project.id).cmp(&(&b.project.name, &b.project.id)),
        Column::Region => a.region.cmp(&b.region),
        Column::Kind => a.kind.label().cmp(b.kind.label()),
        Column::Status => a.status.cmp(&b.status),
        Column::Latency => a.latency_ms.cmp(&b.latency_ms),
        Column::Checkpoint => a.checkpoint.cmp(&b.checkpoint),
    }
}

/// IPv4 addresses in numeric order (10.0.0.9 before 10.0.0.10); anything else as text.
fn compare_ip(a: &str, b: &str) -> Ordering {
    match (a.parse::<std::net::IpAddr>(), b.parse::<std::net::IpAddr>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Finds the selected writer again after `rows` changed; keeps the position (clamped) when
/// it is gone, then scrolls only as far as needed to keep it visible.
fn reselect(state: &mut State) {
    let table = &mut state.table;
    let writers = state.fleet.writers.as_slice();
    let id_at = |pos: usize| {
        table
            .rows
            .get(pos)
            .and_then(|&row| writers.get(row))
            .map(|w| w.id.as_str())
    };
    if let Some(id) = table.selected_id.as_deref()
        && id_at(table.selected) != Some(id)
        && let Some(pos) = (0..table.rows.len()).find(|&pos| id_at(pos) == Some(id))
    {
        table.selected = pos;
    }
    let last = table.rows.len().saturating_sub(1);
    table.selected = table.selected.min(last);
    table.selected_id = id_at(table.selected).map(str::to_string);
    keep_visible(state);
}

/// Moves the selection to `pos` (clamped) and scrolls just enough to show it.
pub fn select(state: &mut State, pos: usize) {
    let last = state.table.rows.len().saturating_sub(1);
    state.table.selected = pos.min(last);
    state.table.selected_id = state.selected_writer().map(|w| w.id.clone());
    keep_visible(state);
}

/// Moves the selection by `delta` rows.
pub fn move_by(state: &mut State, delta: isize) {
    let pos = state.table.selected.saturating_add_signed(delta);
    select(state, pos);
}

/// Scrolls the view by `delta` rows (mouse wheel), dragging the selection along only when
/// it would leave the window.
pub fn scroll_by(state: &mut State, delta: isize) {
    let page = page_rows(state);
    let max_offset = state.table.rows.len().saturating_sub(page);
    let offset = state
        .table
        .offset
        .saturating_add_signed(delta)
        .min(max_offset);
    state.table.offset = offset;
    let selected = state
        .table
        .selected
        .clamp(offset, (offset + page).saturating_sub(1));
    select(state, selected);
}

/// Keeps `offset` unless the selection is outside the window, and never leaves the window
/// scrolled past the end of the rows.
pub fn keep_visible(state: &mut State) {
    let page = page_rows(state);
    let table = &mut state.table;
    let max_offset = table.rows.len().saturating_sub(page);
    table.offset = table.offset.min(max_offset);
    if table.selected < table.offset {
        table.offset = table.selected;
    } else if table.selected >= table.offset + page {
        table.offset = table.selected + 1 - page;
    }
}
