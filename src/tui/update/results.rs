//! Answers to starts and pauses: a dialog that still waits closes (or shows the refusal); a
//! batch records them; the table shows the writer as the controller returned it. A version
//! mismatch says what the writer is now, from the controller's current record.

use super::super::changes;
use super::super::effect::{Effect, Operation, OperationKind, Origin};
use super::super::state::{NoticeLevel, Popup, State, Submission};
use super::{batch, notify};
use crate::client::ClientError;
use crate::domain::{Writer, localize_times};

pub(super) fn on_operation(
    state: &mut State,
    operation: Operation,
    result: Result<Writer, ClientError>,
) -> Vec<Effect> {
    let answered = match &result {
        Ok(writer) => Some(writer),
        Err(error) => error.current_writer(),
    };
    // The answer is the controller's record as the operation left it, the newest the console
    // has heard of (versions cannot say which of two records is newer: an OMS's are hashes).
    if let Some(writer) = answered
        && let Some(row) = state.fleet.row_of(&writer.id)
    {
        let change = vec![(row, writer.clone())];
        // A row shows its writer at once; a batch's answers reorder and refilter the table
        // once a tick rather than once each.
        match operation.origin {
            Origin::Batch { .. } => {
                changes::write(state, change);
                state.table.outdated = true;
            }
            Origin::Dialog => changes::apply(state, change),
        }
    }
    let mut effects = super::detail::after_operation(state, &operation.id);
    effects.extend(match operation.origin {
        Origin::Batch { batch, item } => batch::on_answer(state, batch, item, &result),
        Origin::Dialog => on_dialog_answer(state, &operation, result),
    });
    effects
}

/// The writer as the dialog waiting for `operation` showed it, if one waits.
fn waiting_dialog(state: &State, operation: &Operation) -> Option<Writer> {
    match (&state.popup, operation.kind) {
        (Some(Popup::Start(d)), OperationKind::Start { .. })
            if d.writer.id == operation.id && d.submission == Submission::InFlight =>
        {
            Some(d.writer.clone())
        }
        (Some(Popup::Pause(d)), OperationKind::Pause)
            if d.writer.id == operation.id && d.submission == Submission::InFlight =>
        {
            Some(d.writer.clone())
        }
        _ => None,
    }
}

fn on_dialog_answer(
    state: &mut State,
    operation: &Operation,
    result: Result<Writer, ClientError>,
) -> Vec<Effect> {
    let shown = waiting_dialog(state, operation);
    match result {
        Ok(writer) => {
            if shown.is_some() {
                state.popup = None;
            }
            let unchanged = writer.version == operation.if_match;
            let text = match operation.kind {
                OperationKind::Start { .. } if unchanged => {
                    format!(
                        "{} is already {}; nothing to do",
                        writer.name, writer.status
                    )
                }
                OperationKind::Start {
                    replay_from: Some(at),
                } => format!(
                    "Started {}, replaying from {} ({})",
                    writer.name,
                    state.zone.format(at),
                    state.zone
                ),
                OperationKind::Start { replay_from: None } => format!("Started {}", writer.name),
                OperationKind::Pause if unchanged => {
                    format!(
                        "{} is already {}; nothing to do",
                        writer.name, writer.status
                    )
                }
                OperationKind::Pause => {
                    let checkpoint = writer.checkpoint.map_or_else(
                        || "no checkpoint yet".to_string(),
                        |at| format!("checkpoint kept at {}", state.zone.format(at)),
                    );
                    format!(
                        "Paused {}: it stops writing until started again; {checkpoint}",
                        writer.name
                    )
                }
            };
            notify(state, NoticeLevel::Success, text);
            Vec::new()
        }
        Err(error) => refused(state, operation, shown, &error),
    }
}

/// A start or pause was refused or failed: the dialog (if still waiting) shows why and stays
/// open; otherwise a notice does. After a version mismatch the dialog shows the writer as it
/// is now, so the operator decides again on the truth.
fn refused(
    state: &mut State,
    operation: &Operation,
    shown: Option<Writer>,
    error: &ClientError,
) -> Vec<Effect> {
    let name = shown
        .as_ref()
        .map(|w| w.name.clone())
        .or_else(|| state.fleet.get(&operation.id).map(|w| w.name.clone()))
        .unwrap_or_else(|| operation.id.clone());
    let current = error.current_writer().cloned();
    let message = match &current {
        Some(now) => format!(
            "{name} was changed by someone else: it is now {} (version {}, was {}). Check \
             it, then confirm again or press Esc",
            now.status_label(),
            now.version,
            operation.if_match
        ),
        None => localize_times(&error.to_string(), &state.zone),
    };
    let in_dialog = match (&mut state.popup, shown.is_some()) {
        (Some(Popup::Start(d)), true) => {
            d.submission = Submission::Idle;
            d.form.error = Some(message.clone());
            d.form.confirming_skip = false;
            if let Some(now) = &current {
                d.writer = now.clone();
            }
            true
        }
        (Some(Popup::Pause(d)), true) => {
            d.submission = Submission::Idle;
            d.error = Some(message.clone());
            if let Some(now) = &current {
                d.writer = now.clone();
            }
            true
        }
        _ => false,
    };
    if !in_dialog {
        let doing = match operation.kind {
            OperationKind::Start { .. } => "Starting",
            OperationKind::Pause => "Pausing",
        };
        notify(
            state,
            NoticeLevel::Error,
            format!("{doing} {name} failed: {message}"),
        );
    }
    Vec::new()
}
