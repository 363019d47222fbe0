//! The Start and Pause dialogs of one writer and the region picker. Each dialog holds its
//! pending operation as data; handling a key says whether to stay, cancel or submit, and
//! `update` turns a submission into an effect. The Start dialog is checked with
//! [`StartDialog::check`](super::start_check) before anything is sent.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::keymap::Command;
use super::start_form::{FormOutcome, StartForm};
use super::state::{RegionPicker, Submission};
use crate::domain::{Writer, Zone};

/// What a key did to a dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutcome<T> {
    /// Keep the dialog open.
    Stay,
    /// Close the dialog without doing anything.
    Cancel,
    /// Send the operation.
    Submit(T),
}

/// The Start dialog of one writer; it holds the pending operation as data.
#[derive(Debug, Clone)]
pub struct StartDialog {
    /// The writer as shown (its version is sent as If-Match).
    pub writer: Writer,
    pub form: StartForm,
    pub submission: Submission,
}

/// Focusable parts of the Pause dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseFocus {
    Ok,
    Cancel,
}

/// The Pause confirmation of one writer; it holds the pending operation as data.
#[derive(Debug, Clone)]
pub struct PauseDialog {
    /// The writer as shown (its version is sent as If-Match).
    pub writer: Writer,
    pub focus: PauseFocus,
    pub submission: Submission,
    /// The controller's answer to the last attempt.
    pub error: Option<String>,
}

impl StartDialog {
    /// The dialog for `writer`: no replay, focus on "No".
    pub fn new(writer: Writer) -> Self {
        StartDialog {
            writer,
            form: StartForm::new(),
            submission: Submission::Idle,
        }
    }

    /// Handles a key (see [`StartForm::handle`]); while a request is in flight only Esc acts.
    pub fn handle(
        &mut self,
        command: Option<Command>,
        key: KeyEvent,
        now: DateTime<Utc>,
        zone: &Zone,
    ) -> DialogOutcome<Option<DateTime<Utc>>> {
        if self.submission == Submission::InFlight {
            return match command {
                Some(Command::Cancel) => DialogOutcome::Cancel,
                _ => DialogOutcome::Stay,
            };
        }
        let check = self.check(now, zone);
        match self.form.handle(command, key, |_| check.verdict()) {
            FormOutcome::Stay => DialogOutcome::Stay,
            FormOutcome::Cancel => DialogOutcome::Cancel,
            FormOutcome::Submit(replay_from) => {
                self.submission = Submission::InFlight;
                DialogOutcome::Submit(replay_from)
            }
        }
    }
}

impl PauseDialog {
    /// The confirmation for `writer`, focus on Cancel.
    pub fn new(writer: Writer) -> Self {
        PauseDialog {
            writer,
            focus: PauseFocus::Cancel,
            submission: Submission::Idle,
            error: None,
        }
    }

    /// Handles a command of the Pause keymap: switch OK/Cancel, activate, cancel. While a
    /// request is in flight only Esc acts.
    pub fn handle(&mut self, command: Option<Command>) -> DialogOutcome<()> {
        if command == Some(Command::Cancel) {
            return DialogOutcome::Cancel;
        }
        if self.submission == Submission::InFlight {
            return DialogOutcome::Stay;
        }
        match (command, self.focus) {
            (Some(Command::NextFocus), focus) => {
                self.focus = match focus {
                    PauseFocus::Ok => PauseFocus::Cancel,
                    PauseFocus::Cancel => PauseFocus::Ok,
                };
            }
            (Some(Command::Activate), PauseFocus::Cancel) => return DialogOutcome::Cancel,
            (Some(Command::Activate), PauseFocus::Ok) => {
                self.error = None;
                self.submission = Submission::InFlight;
                return DialogOutcome::Submit(());
            }
            _ => {}
        }
        DialogOutcome::Stay
    }
}

impl RegionPicker {
    /// The picker with the current filter ticked, cursor on "All regions".
    pub fn new(current: &BTreeSet<String>) -> Self {
        RegionPicker {
            cursor: 0,
            chosen: current.clone(),
        }
    }

    /// The region under the cursor (`None` on "All regions").
    pub fn region_at_cursor<'a>(&self, regions: &'a [String]) -> Option<&'a String> {
        self.cursor.checked_sub(1).and_then(|i| regions.get(i))
    }

    /// Handles a command of the region keymap: move, tick (on "All regions" it clears the
    /// ticks), apply, cancel. Applying with nothing ticked gives the region under the cursor
    /// alone, or all regions on "All regions"; ticking every region means all.
    pub fn handle(
        &mut self,
        command: Option<Command>,
        regions: &[String],
    ) -> DialogOutcome<BTreeSet<String>> {
        let last = regions.len();
        match command {
            Some(Command::Cancel) => return DialogOutcome::Cancel,
            Some(Command::Up) => self.cursor = self.cursor.saturating_sub(1),
            Some(Command::Down) => self.cursor = (self.cursor + 1).min(last),
            Some(Command::First) => self.cursor = 0,
            Some(Command::Last) => self.cursor = last,
            Some(Command::Toggle) => match self.region_at_cursor(regions) {
                None => self.chosen.clear(),
                Some(region) => {
                    if !self.chosen.remove(region) {
                        self.chosen.insert(region.clone());
                    }
                }
            },
            Some(Command::Activate) => {
                let mut chosen = self.chosen.clone();
                if chosen.is_empty()
                    && let Some(region) = self.region_at_cursor(regions)
                {
                    chosen.insert(region.clone());
                }
                if !regions.is_empty() && regions.iter().all(|r| chosen.contains(r)) {
                    chosen.clear();
                }
                return DialogOutcome::Submit(chosen);
            }
            _ => {}
        }
        DialogOutcome::Stay
    }
}
