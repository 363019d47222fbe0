//! Opening and driving the popups: help, region picker, and the Start and Pause
//! dialogs — of one writer, or of the marked writers as a batch.

use crossterm::event::KeyEvent;

use super::super::batch::{BatchDialog, BatchKind, BatchStage};
use super::super::dialogs::{DialogOutcome, PauseDialog, PauseFocus, StartDialog};
use super::super::effect::{Effect, Operation, OperationKind, Origin};
use super::super::help;
use super::super::keymap::{Command, START};
use super::super::start_form::FormOutcome;
use super::super::state::{HelpView, NoticeLevel, Popup, RegionPicker, State};
use super::super::table;
use super::{notify, quit, refuse_when_read_only};
use crate::domain::{Writer, WriterStatus, plan_pause};

pub(super) fn open_help(state: &mut State) {
    state.popup = Some(Popup::Help(HelpView::default()));
}

pub(super) fn open_region_picker(state: &mut State) {
    match &state.deployment {
        None => notify(
            state,
            NoticeLevel::Info,
            "The regions are not known yet; try again once the controller answers",
        ),
        Some(d) if !d.multi_region => {
            let text = match d.regions.first() {
                Some(region) => format!("Single-region deployment: every writer is in {region}"),
                None => "Single-region deployment: there is no region to choose".to_string(),
            };
            notify(state, NoticeLevel::Info, text);
        }
        Some(_) => state.popup = Some(Popup::Regions(RegionPicker::new(&state.filter.regions))),
    }
}

/// The writer `s` and `p` act on: the detail view's, else the selected one.
fn target(state: &State) -> Option<Writer> {
    match &state.detail {
        Some(detail) => state.fleet.get(&detail.writer_id).cloned(),
        None => state.selected_writer().cloned(),
    }
}

/// Whether `s`/`p` act on the marks: in the table, when there are any.
fn on_marks(state: &State) -> bool {
    state.detail.is_none() && !state.marks.is_empty()
}

fn open_batch(state: &mut State, kind: BatchKind) {
    let writers = state.marked_writers();
    let shown = state
        .table
        .rows
        .iter()
        .filter(|&&row| {
            state
                .fleet
                .writers
                .get(row)
                .is_some_and(|w| state.marks.contains(&w.id))
        })
        .count();
    let hidden = writers.len().saturating_sub(shown);
    state.batches += 1;
    let dialog = BatchDialog::new(state.batches, kind, writers, hidden, state.now, &state.zone);
    state.popup = Some(Popup::Batch(dialog));
}

/// The one writer `s` or `p` acts on, or `None` when read-only refuses, the marks make it a
/// batch (opened here), or nothing is selected (said here).
fn single_target(state: &mut State, kind: BatchKind) -> Option<Writer> {
    if refuse_when_read_only(state) {
        return None;
    }
    if on_marks(state) {
        open_batch(state, kind);
        return None;
    }
    let writer = target(state);
    if writer.is_none() {
        notify(state, NoticeLevel::Info, "No writer selected");
    }
    writer
}

/// Says that a writer in a state jwctl does not know is neither started nor paused here.
fn notify_unknown(state: &mut State, writer: &Writer) {
    let reason = plan_pause(writer)
        .err()
        .map(|violation| violation.describe(Some(&state.zone)))
        .unwrap_or_default();
    notify(state, NoticeLevel::Warning, reason);
}

pub(super) fn open_start(state: &mut State) -> Vec<Effect> {
    let Some(writer) = single_target(state, BatchKind::Start) else {
        return Vec::new();
    };
    let why_not = match writer.status {
        WriterStatus::Stopped | WriterStatus::Failed => None,
        WriterStatus::Running | WriterStatus::Starting => Some("pause it first"),
        WriterStatus::Pausing => Some("wait until it has stopped"),
        WriterStatus::Unknown => {
            notify_unknown(state, &writer);
            return Vec::new();
        }
    };
    match why_not {
        None => state.popup = Some(Popup::Start(StartDialog::new(writer))),
        Some(advice) => notify(
            state,
            NoticeLevel::Warning,
            format!("{} is {}; {advice}", writer.name, writer.status),
        ),
    }
    Vec::new()
}

pub(super) fn open_pause(state: &mut State) -> Vec<Effect> {
    let Some(writer) = single_target(state, BatchKind::Pause) else {
        return Vec::new();
    };
    if writer.status.can_pause() {
        state.popup = Some(Popup::Pause(PauseDialog::new(writer)));
        return Vec::new();
    }
    let text = match writer.status {
        WriterStatus::Unknown => {
            notify_unknown(state, &writer);
            return Vec::new();
        }
        WriterStatus::Pausing => format!("{} is already pausing", writer.name),
        WriterStatus::Failed => format!("{} has failed and is not running", writer.name),
        _ => format!("{} is already stopped", writer.name),
    };
    notify(state, NoticeLevel::Warning, text);
    Vec::new()
}

pub(super) fn on_help_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    let total = help::lines(state.settings.read_only).len();
    let page = help::visible_lines(state.size, total);
    let last = total.saturating_sub(page);
    let Some(Popup::Help(view)) = &mut state.popup else {
        return Vec::new();
    };
    let scroll = &mut view.scroll;
    match command {
        Some(Command::Up) => *scroll = scroll.saturating_sub(1),
        Some(Command::Down) => *scroll = (*scroll + 1).min(last),
        Some(Command::PageUp) => *scroll = scroll.saturating_sub(page),
        Some(Command::PageDown) => *scroll = (*scroll + page).min(last),
        Some(Command::First) => *scroll = 0,
        Some(Command::Last) => *scroll = last,
        Some(Command::Close) => state.popup = None,
        Some(Command::Quit) => return quit(state),
        _ => {}
    }
    Vec::new()
}

pub(super) fn on_regions_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    if command == Some(Command::Quit) {
        return quit(state);
    }
    let regions = state
        .deployment
        .as_ref()
        .map(|d| d.regions.clone())
        .unwrap_or_default();
    let Some(Popup::Regions(picker)) = &mut state.popup else {
        return Vec::new();
    };
    match picker.handle(command, &regions) {
        DialogOutcome::Stay => {}
        DialogOutcome::Cancel => state.popup = None,
        DialogOutcome::Submit(chosen) => {
            state.popup = None;
            state.filter.regions = chosen;
            table::recompute(state);
        }
    }
    Vec::new()
}

/// Rows one page of a batch's writer list moves.
pub(super) fn batch_page(state: &State) -> usize {
    usize::from(state.size.1 / 2).max(1)
}

pub(super) fn on_start_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let command = START.command(&key);
    if command == Some(Command::Quit) {
        return quit(state);
    }
    let (now, page) = (state.now, batch_page(state));
    let zone = state.zone;
    match &mut state.popup {
        Some(Popup::Start(dialog)) => match dialog.handle(command, key, now, &zone) {
            DialogOutcome::Stay => Vec::new(),
            DialogOutcome::Cancel => {
                state.popup = None;
                Vec::new()
            }
            DialogOutcome::Submit(replay_from) => vec![Effect::Operate(Operation {
                id: dialog.writer.id.clone(),
                kind: OperationKind::Start { replay_from },
                if_match: dialog.writer.version,
                origin: Origin::Dialog,
            })],
        },
        Some(Popup::Batch(batch)) if batch.stage == BatchStage::Confirm => {
            if super::batch::scroll(
                batch,
                command.filter(|c| matches!(c, Command::PageUp | Command::PageDown)),
                page,
            ) {
                return Vec::new();
            }
            let verdict = batch.verdict(now, &zone);
            let outcome = batch.form.handle(command, key, |_| verdict);
            batch.replan(now, &zone);
            match outcome {
                FormOutcome::Stay => Vec::new(),
                FormOutcome::Cancel => {
                    state.popup = None;
                    Vec::new()
                }
                FormOutcome::Submit(_) => batch.begin().into_iter().map(Effect::Operate).collect(),
            }
        }
        _ => Vec::new(),
    }
}

pub(super) fn on_pause_key(state: &mut State, command: Option<Command>) -> Vec<Effect> {
    if command == Some(Command::Quit) {
        return quit(state);
    }
    let (now, page) = (state.now, batch_page(state));
    let zone = state.zone;
    match &mut state.popup {
        Some(Popup::Pause(dialog)) => match dialog.handle(command) {
            DialogOutcome::Stay => Vec::new(),
            DialogOutcome::Cancel => {
                state.popup = None;
                Vec::new()
            }
            DialogOutcome::Submit(()) => vec![Effect::Operate(Operation {
                id: dialog.writer.id.clone(),
                kind: OperationKind::Pause,
                if_match: dialog.writer.version,
                origin: Origin::Dialog,
            })],
        },
        Some(Popup::Batch(batch)) if batch.stage == BatchStage::Confirm => {
            if super::batch::scroll(batch, command, page) {
                return Vec::new();
            }
            match (command, batch.pause_focus) {
                (Some(Command::Cancel), _) | (Some(Command::Activate), PauseFocus::Cancel) => {
                    state.popup = None;
                    Vec::new()
                }
                (Some(Command::NextFocus), focus) => {
                    batch.pause_focus = match focus {
                        PauseFocus::Ok => PauseFocus::Cancel,
                        PauseFocus::Cancel => PauseFocus::Ok,
                    };
                    Vec::new()
                }
                (Some(Command::Activate), PauseFocus::Ok) => {
                    batch.replan(now, &zone);
                    match batch.verdict(now, &zone).submission {
                        Ok(_) => batch.begin().into_iter().map(Effect::Operate).collect(),
                        Err(problem) => {
                            batch.form.error = Some(problem);
                            Vec::new()
                        }
                    }
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}
