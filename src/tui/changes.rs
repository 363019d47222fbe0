//! Applying in-place changes of writers (a delta from the controller, an operation's answer,
//! a writer read afresh) to the fleet and to the table, in time proportional to the writers
//! changed: rows leave and enter the sorted table by binary search (or one merge pass for
//! many), the status counts move by the changes, and the search hits, which depend only on
//! what an in-place change cannot touch (name, IP, project), stay.

use std::collections::HashSet;

use crate::domain::{Writer, WriterStatus};

use super::state::State;
use super::table::{self, SortKey, sort_key};

/// Up to this many rows leaving or entering, each is placed by binary search (each a move of
/// the rows after it); beyond, one pass over the table is cheaper.
const ONE_BY_ONE: usize = 8;

/// Replaces the writers at the given positions (same id, name, IP, region and project: see
/// [`super::fleet::Fleet::in_place_changes`]) and updates the table's rows and counts to
/// match, keeping the selection on its writer.
pub fn apply(state: &mut State, changes: Vec<(usize, Writer)>) {
    if changes.is_empty() {
        return;
    }
    if state.table.outdated {
        // The rows no longer match the writers (a batch's answers): the next tick recomputes
        // the table, these changes with it.
        write(state, changes);
        return;
    }
    let rows: Vec<usize> = changes.iter().map(|(row, _)| *row).collect();
    let hits = search_hits(state, &rows);
    let is_hit = |row: usize| hits.as_ref().is_none_or(|hits| hits.contains(&row));
    let relevance = hits.is_some() && state.search.relevance;

    // The rows among `rows` the table shows, by their keys, taken out of (or put into) the
    // status counts.
    let shown = |state: &mut State, by: isize| -> Vec<SortKey> {
        let mut keys = Vec::new();
        for &row in &rows {
            let found = state
                .fleet
                .writers
                .get(row)
                .filter(|_| table::admits(state, row) && is_hit(row))
                .map(|w| (w.status, sort_key(w, row, &state.fleet.ranks, state.sort)));
            if let Some((status, key)) = found {
                count(state, status, by);
                keys.push(key);
            }
        }
        keys
    };
    let leaving = shown(state, -1);

    write(state, changes);

    let entering = shown(state, 1);
    if relevance {
        // Best match first: the order is the hits', not a key; the hits are few next to
        // the fleet when a query narrows it, and this keeps their order exactly.
        state.table.rows = table::visible_rows(state);
    } else {
        let table = &mut state.table;
        replace_keys(&mut table.keys, &mut table.rows, leaving, entering);
    }
    table::reselect(state);
}

/// Puts the writers at the given positions into the fleet, received now, and leaves the
/// table as it is: for changes it takes in later (see `TableState::outdated`).
pub fn write(state: &mut State, changes: Vec<(usize, Writer)>) {
    state.fleet.replace(changes, state.now);
}

/// Which of `rows` the active search matches, when a search narrows the table (as
/// [`table::visible_rows`] decides).
fn search_hits(state: &State, rows: &[usize]) -> Option<HashSet<usize>> {
    let results = state
        .query()
        .and(state.search.results.as_ref())
        .filter(|results| results.shape == state.fleet.shape)?;
    let hits = state.fleet.index.search_rows(&results.query, rows);
    Some(hits.into_iter().map(|hit| hit.row).collect())
}

fn count(state: &mut State, status: WriterStatus, by: isize) {
    if let Some(slot) = state.table.status_counts.get_mut(status.index()) {
        *slot = slot.saturating_add_signed(by);
    }
}

/// Takes the keys `leaving` out of the sorted `keys` and puts the keys `entering` in, in
/// order, with `rows` (the rows of `keys`) kept alongside: one by one by binary search when
/// few, else in one merging pass.
fn replace_keys(
    keys: &mut Vec<SortKey>,
    rows: &mut Vec<usize>,
    mut leaving: Vec<SortKey>,
    mut entering: Vec<SortKey>,
) {
    leaving.sort_unstable();
    entering.sort_unstable();
    if leaving.len() + entering.len() <= ONE_BY_ONE && keys.len() == rows.len() {
        for key in leaving {
            if let Ok(at) = keys.binary_search(&key) {
                keys.remove(at);
                rows.remove(at);
            }
        }
        for key in entering {
            let at = keys.partition_point(|&k| k < key);
            keys.insert(at, key);
            rows.insert(at, key.2 as usize);
        }
        return;
    }
    let mut merged = Vec::with_capacity(keys.len() + entering.len());
    let mut gone = leaving.into_iter().peekable();
    let mut new = entering.into_iter().peekable();
    for &key in keys.iter() {
        while gone.next_if(|&g| g < key).is_some() {}
        if gone.next_if_eq(&key).is_some() {
            continue;
        }
        while let Some(next) = new.next_if(|&n| n < key) {
            merged.push(next);
        }
        merged.push(key);
    }
    merged.extend(new);
    *rows = merged.iter().map(|&(_, _, row)| row as usize).collect();
    *keys = merged;
}
