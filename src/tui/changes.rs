//! Applying in-place changes of writers (a delta from the controller, an operation's answer,
//! a writer read afresh) to the fleet and to the table, in time proportional to the writers
//! changed: rows leave and enter the sorted table by binary search (or one merge pass for
//! many), the status counts move by the changes, and the search hits, which depend only on
//! what an in-place change cannot touch (name, IP, project), stay.

use std::collections::HashSet;
use std::sync::Arc;

use crate::domain::{Writer, WriterStatus};

use super::state::Sort;
use super::state::State;
use super::table::{self, SortKey, SortRanks, sort_key};

/// Up to this many rows leaving or entering, each is placed by binary search; beyond, one
/// pass over the table is cheaper.
const ONE_BY_ONE: usize = 32;

/// Replaces the writers at the given positions (same id, name, IP, region and project: see
/// [`super::fleet::Fleet::in_place_changes`]) and updates the table's rows and counts to
/// match, keeping the selection on its writer.
pub fn apply(state: &mut State, changes: Vec<(usize, Writer)>) {
    if changes.is_empty() {
        return;
    }
    let rows: Vec<usize> = changes.iter().map(|(row, _)| *row).collect();
    let hits = search_hits(state, &rows);
    let is_hit = |row: usize| hits.as_ref().is_none_or(|hits| hits.contains(&row));
    let relevance = hits.is_some() && state.search.relevance;

    let mut leaving: Vec<SortKey> = Vec::new();
    for &row in &rows {
        let shown = state
            .fleet
            .writers
            .get(row)
            .filter(|w| admits(state, w) && is_hit(row))
            .map(|w| (w.status, sort_key(w, row, &state.fleet.ranks, state.sort)));
        if let Some((status, key)) = shown {
            count(state, status, -1);
            leaving.push(key);
        }
    }
    if !relevance {
        let (writers, ranks, sort) = (&state.fleet.writers, &state.fleet.ranks, state.sort);
        remove_rows(&mut state.table.rows, leaving, |row| {
            key_of(writers, ranks, sort, row)
        });
    }

    let now = state.now;
    let writers = Arc::make_mut(&mut state.fleet.writers);
    let received = Arc::make_mut(&mut state.fleet.received);
    for (row, writer) in changes {
        if let Some(slot) = writers.get_mut(row) {
            *slot = writer;
        }
        if let Some(at) = received.get_mut(row) {
            *at = now;
        }
    }

    let mut entering: Vec<SortKey> = Vec::new();
    for &row in &rows {
        let shown = state
            .fleet
            .writers
            .get(row)
            .filter(|w| admits(state, w) && is_hit(row))
            .map(|w| (w.status, sort_key(w, row, &state.fleet.ranks, state.sort)));
        if let Some((status, key)) = shown {
            count(state, status, 1);
            entering.push(key);
        }
    }
    if relevance {
        // Best match first: the order is the hits', not a key; the hits are few next to
        // the fleet when a query narrows it, and this keeps their order exactly.
        state.table.rows = table::visible_rows(state);
    } else {
        let (writers, ranks, sort) = (&state.fleet.writers, &state.fleet.ranks, state.sort);
        insert_rows(&mut state.table.rows, entering, |row| {
            key_of(writers, ranks, sort, row)
        });
    }
    table::reselect(state);
}

fn key_of(writers: &[Writer], ranks: &SortRanks, sort: Sort, row: usize) -> SortKey {
    writers
        .get(row)
        .map_or((0, 0, 0), |w| sort_key(w, row, ranks, sort))
}

/// Whether the table's filters (status, regions) let `writer` in.
fn admits(state: &State, writer: &Writer) -> bool {
    state.filter.status.contains(writer.status)
        && (state.filter.regions.is_empty() || state.filter.regions.contains(&writer.region))
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
    if let Some(slot) = WriterStatus::ALL
        .iter()
        .position(|&s| s == status)
        .and_then(|at| state.table.status_counts.get_mut(at))
    {
        *slot = slot.saturating_add_signed(by);
    }
}

/// Removes the rows with keys `leaving` from `rows`, sorted by `key_of`. The fleet still
/// holds the old writers, so `key_of` gives the keys the rows were sorted by.
fn remove_rows(rows: &mut Vec<usize>, leaving: Vec<SortKey>, key_of: impl Fn(usize) -> SortKey) {
    if leaving.len() <= ONE_BY_ONE {
        for key in leaving {
            let at = rows.partition_point(|&row| key_of(row) < key);
            if rows.get(at) == Some(&(key.2 as usize)) {
                rows.remove(at);
            }
        }
        return;
    }
    let gone: HashSet<usize> = leaving.iter().map(|&(_, _, row)| row as usize).collect();
    rows.retain(|row| !gone.contains(row));
}

/// Puts the rows with keys `entering` into `rows`, sorted by `key_of`.
fn insert_rows(
    rows: &mut Vec<usize>,
    mut entering: Vec<SortKey>,
    key_of: impl Fn(usize) -> SortKey,
) {
    entering.sort_unstable();
    if entering.len() <= ONE_BY_ONE {
        for key in entering {
            let at = rows.partition_point(|&row| key_of(row) < key);
            rows.insert(at, key.2 as usize);
        }
        return;
    }
    let mut merged = Vec::with_capacity(rows.len() + entering.len());
    let mut new = entering.into_iter().peekable();
    for &row in rows.iter() {
        let key = key_of(row);
        while let Some(&next) = new.peek().filter(|&&next| next < key) {
            merged.push(next.2 as usize);
            new.next();
        }
        merged.push(row);
    }
    merged.extend(new.map(|(_, _, row)| row as usize));
    *rows = merged;
}
