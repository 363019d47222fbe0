//! A batch on its way: answers come in, the next requests go out, Esc stops sending the
//! rest, and `r` in the results retries the writers that failed — through the dialog again,
//! planned on their current state.

use super::super::batch::{BatchDialog, BatchStage};
use super::super::effect::Effect;
use super::super::keymap::Command;
use super::super::state::{Popup, State};
use super::{dialogs, quit, refuse_when_read_only};
use crate::client::ClientError;
use crate::domain::Writer;

/// The batch dialog with `id`, if it is the one open.
fn batch_mut(state: &mut State, id: u64) -> Option<&mut BatchDialog> {
    match &mut state.popup {
        Some(Popup::Batch(batch)) if batch.id == id => Some(batch),
        _ => None,
    }
}

pub(super) fn on_answer(
    state: &mut State,
    id: u64,
    item: usize,
    result: &Result<Writer, ClientError>,
) -> Vec<Effect> {
    let zone = state.zone;
    match batch_mut(state, id) {
        Some(batch) => batch
            .finished(item, result, &zone)
            .into_iter()
            .map(Effect::Operate)
            .collect(),
        None => Vec::new(),
    }
}

/// Time passes: a batch being confirmed with a replay is planned again (a relative timestamp
/// moves with the clock, and so does the end of the range a replay may start in). Without a
/// replay the plan does not depend on the time.
pub(super) fn on_tick(state: &mut State) {
    let (now, zone) = (state.now, state.zone);
    if let Some(Popup::Batch(batch)) = &mut state.popup
        && batch.stage == BatchStage::Confirm
        && batch.form.replay
    {
        batch.replan(now, &zone);
    }
}

/// New writers arrived: a batch being confirmed shows and plans them as they are now; writers
/// that are gone leave it.
pub(super) fn on_fleet(state: &mut State) {
    let (now, zone) = (state.now, state.zone);
    let fleet = &state.fleet;
    if let Some(Popup::Batch(batch)) = &mut state.popup
        && batch.stage == BatchStage::Confirm
    {
        batch.writers = batch
            .writers
            .iter()
            .filter_map(|w| fleet.get(&w.id).cloned())
            .collect();
        batch.replan(now, &zone);
    }
}

/// The writers at `rows` changed in place: a batch being confirmed is planned again only when
/// some of them are in it.
pub(super) fn on_changes(state: &mut State, rows: &[usize]) {
    let Some(Popup::Batch(batch)) = &state.popup else {
        return;
    };
    if batch.stage != BatchStage::Confirm {
        return;
    }
    let changed: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(|&row| state.fleet.writers.get(row))
        .map(|w| w.id.as_str())
        .collect();
    if batch
        .writers
        .iter()
        .any(|w| changed.contains(w.id.as_str()))
    {
        on_fleet(state);
    }
}

pub(super) fn on_running_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    let page = dialogs::batch_page(state);
    let Some(Popup::Batch(batch)) = &mut state.popup else {
        return Vec::new();
    };
    match command {
        Some(Command::Cancel) => batch.stop(),
        Some(Command::Quit) => return quit(state),
        other => {
            scroll(batch, other, page);
        }
    }
    Vec::new()
}

pub(super) fn on_results_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    let page = dialogs::batch_page(state);
    let Some(Popup::Batch(batch)) = &mut state.popup else {
        return Vec::new();
    };
    match command {
        Some(Command::Close) => state.popup = None,
        Some(Command::Quit) => return quit(state),
        Some(Command::Retry) => retry(state),
        other => {
            scroll(batch, other, page);
        }
    }
    Vec::new()
}

/// Scrolls a batch's writer list by a row or a page; says whether `command` was a scroll.
pub(super) fn scroll(batch: &mut BatchDialog, command: Option<Command>, page: usize) -> bool {
    let last = batch.rows().saturating_sub(1);
    match command {
        Some(Command::Up) => batch.scroll = batch.scroll.saturating_sub(1),
        Some(Command::Down) => batch.scroll = (batch.scroll + 1).min(last),
        Some(Command::PageUp) => batch.scroll = batch.scroll.saturating_sub(page),
        Some(Command::PageDown) => batch.scroll = (batch.scroll + page).min(last),
        _ => return false,
    }
    true
}

/// `r`: a new batch of the writers that failed, as they are now, back in the dialog with the
/// same choices.
fn retry(state: &mut State) {
    if refuse_when_read_only(state) {
        return;
    }
    let Some(Popup::Batch(batch)) = &state.popup else {
        return;
    };
    let ids = batch.failed_ids();
    if ids.is_empty() {
        super::notify(
            state,
            super::super::state::NoticeLevel::Info,
            "Nothing failed: there is nothing to retry",
        );
        return;
    }
    let writers: Vec<Writer> = ids
        .iter()
        .filter_map(|id| state.fleet.get(id).cloned())
        .collect();
    let (kind, mut form) = (batch.kind, batch.form.clone());
    form.error = None;
    form.confirming_skip = false;
    state.batches += 1;
    let mut retry = BatchDialog::new(state.batches, kind, writers, 0, state.now, &state.zone);
    retry.form = form;
    retry.replan(state.now, &state.zone);
    state.popup = Some(Popup::Batch(retry));
}
