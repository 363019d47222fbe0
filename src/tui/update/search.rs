//! The search box. While the operator types, the selection follows the best match — the
//! first row, with the list at the top — until they move it themselves; once the filter is
//! kept, the selection is theirs and stays on its writer.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::super::effect::{Effect, SearchRequest};
use super::super::keymap::{Command, SEARCH};
use super::super::state::{SearchResults, State};
use super::super::table;
use super::super::text_input::Edit;
use super::{quit, table as table_keys};
use crate::search::SearchHit;

pub(super) fn start_editing(state: &mut State) {
    state.search.editing = true;
    state.search.follow_best = true;
    let len = state.search.input.value.chars().count();
    state.search.input.cursor = len;
}

pub(super) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let command = SEARCH.command(&key);
    match command {
        Some(Command::KeepSearch) => {
            state.search.editing = false;
            // The hits of what was typed are in: the selection is the operator's from now on.
            if !state.search.pending {
                state.search.follow_best = false;
            }
            Vec::new()
        }
        Some(Command::ClearSearch) => clear(state),
        Some(Command::Quit) => quit(state),
        _ if table_keys::navigate(state, command) => Vec::new(),
        _ => match state.search.input.handle_key(key) {
            Edit::Changed => query_changed(state),
            Edit::Moved | Edit::Ignored => Vec::new(),
        },
    }
}

pub(super) fn clear(state: &mut State) -> Vec<Effect> {
    state.search.editing = false;
    state.search.follow_best = false;
    state.search.input.clear();
    query_changed(state)
}

/// The selection goes to the best match at the top of the list.
fn select_best(state: &mut State) {
    state.table.offset = 0;
    table::select(state, 0);
}

/// The query text changed: search again (narrowing when it only grew), or drop the results.
fn query_changed(state: &mut State) -> Vec<Effect> {
    state.search.relevance = true;
    state.search.generation += 1;
    let Some(query) = state.query().map(str::to_string) else {
        state.search.results = None;
        state.search.pending = false;
        table::recompute(state);
        return Vec::new();
    };
    if state.search.follow_best {
        select_best(state);
    }
    let needle = query.to_lowercase();
    let within = state
        .search
        .results
        .as_ref()
        .filter(|r| r.shape == state.fleet.shape && needle.starts_with(&r.query.to_lowercase()))
        .map(|r| Arc::clone(&r.hits));
    vec![search_effect(state, query, within)]
}

/// A search for `query` over the current fleet.
pub(super) fn search_effect(
    state: &mut State,
    query: String,
    within: Option<Arc<Vec<SearchHit>>>,
) -> Effect {
    state.search.pending = true;
    Effect::Search(SearchRequest {
        generation: state.search.generation,
        query,
        shape: state.fleet.shape,
        index: Arc::clone(&state.fleet.index),
        within,
    })
}

pub(super) fn on_search_done(state: &mut State, generation: u64, results: SearchResults) {
    if generation != state.search.generation || results.shape != state.fleet.shape {
        return;
    }
    state.search.pending = false;
    state.search.results = Some(results);
    let chosen = state.table.selected_id.clone();
    table::recompute(state);
    // The operator's own choice is no longer a hit: back to the best match.
    if state.search.editing && state.table.selected_id != chosen {
        state.search.follow_best = true;
    }
    if state.search.follow_best {
        select_best(state);
        // Kept with Enter before the hits came in: now they are, the selection is theirs.
        if !state.search.editing {
            state.search.follow_best = false;
        }
    }
}
