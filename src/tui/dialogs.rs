//! Keys of the Start and Pause dialogs and of the region picker. Each dialog holds its
//! pending operation as data; handling a key says whether to stay, cancel or submit, and
//! `update` turns a submission into an effect. The Start dialog is checked with
//! [`StartDialog::check`](super::start_check) before anything is sent.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};

use crate::domain::{Writer, Zone};

use super::state::{
    PauseDialog, PauseFocus, RegionPicker, StartDialog, StartFocus, Submission, TextInput,
};
use super::text_input::Edit;

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

fn step<T: Copy + PartialEq>(order: &[T], current: T, forward: bool) -> T {
    let len = order.len();
    let at = order.iter().position(|&f| f == current).unwrap_or(0);
    let next = if forward {
        (at + 1) % len
    } else {
        (at + len - 1) % len
    };
    order.get(next).copied().unwrap_or(current)
}

impl StartDialog {
    /// The dialog for `writer`: no replay, focus on "No".
    pub fn new(writer: Writer) -> Self {
        StartDialog {
            writer,
            replay: false,
            timestamp: TextInput::default(),
            focus: StartFocus::ReplayNo,
            submission: Submission::Idle,
            error: None,
        }
    }

    /// The focusable parts in Tab order (the Timestamp field only with replay).
    pub fn focus_order(&self) -> &'static [StartFocus] {
        use StartFocus::*;
        if self.replay {
            &[ReplayNo, ReplayYes, Timestamp, StartButton, CancelButton]
        } else {
            &[ReplayNo, ReplayYes, StartButton, CancelButton]
        }
    }

    fn choose(&mut self, replay: bool) {
        if self.replay != replay {
            self.error = None;
        }
        self.replay = replay;
    }

    /// Handles a key: Tab/Shift-Tab/↑/↓ move the focus; ←/→ choose No/Yes or move between
    /// the buttons (or the cursor in the Timestamp field); Space/Enter on No/Yes choose
    /// (Enter also moves on); Enter on Timestamp or Start submits; Enter on Cancel or Esc
    /// cancels. While a request is in flight only Esc does something.
    pub fn handle_key(
        &mut self,
        key: KeyEvent,
        now: DateTime<Utc>,
        zone: &Zone,
    ) -> DialogOutcome<Option<DateTime<Utc>>> {
        use StartFocus::*;
        if key.code == KeyCode::Esc {
            return DialogOutcome::Cancel;
        }
        if self.submission == Submission::InFlight {
            return DialogOutcome::Stay;
        }
        let order = self.focus_order();
        match (key.code, self.focus) {
            (KeyCode::Tab | KeyCode::Down, focus) => self.focus = step(order, focus, true),
            (KeyCode::BackTab | KeyCode::Up, focus) => self.focus = step(order, focus, false),
            (KeyCode::Left | KeyCode::Right, ReplayNo | ReplayYes) => {
                let yes = self.focus == ReplayNo;
                self.choose(yes);
                self.focus = if yes { ReplayYes } else { ReplayNo };
            }
            (KeyCode::Left | KeyCode::Right, StartButton) => self.focus = CancelButton,
            (KeyCode::Left | KeyCode::Right, CancelButton) => self.focus = StartButton,
            (KeyCode::Char(' '), ReplayNo) => self.choose(false),
            (KeyCode::Char(' '), ReplayYes) => self.choose(true),
            (KeyCode::Enter, ReplayNo) => {
                self.choose(false);
                self.focus = StartButton;
            }
            (KeyCode::Enter, ReplayYes) => {
                self.choose(true);
                self.focus = Timestamp;
            }
            (KeyCode::Enter, Timestamp | StartButton) => {
                return match self.check(now, zone).submission() {
                    Ok(replay_from) => {
                        self.error = None;
                        self.submission = Submission::InFlight;
                        DialogOutcome::Submit(replay_from)
                    }
                    Err(problem) => {
                        self.error = Some(problem);
                        DialogOutcome::Stay
                    }
                };
            }
            (KeyCode::Enter, CancelButton) => return DialogOutcome::Cancel,
            (_, Timestamp) if self.timestamp.handle_key(key) == Edit::Changed => {
                self.error = None;
            }
            _ => {}
        }
        DialogOutcome::Stay
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

    /// Handles a key: Tab/Shift-Tab/arrows toggle OK/Cancel, Enter activates, Esc cancels.
    /// While a request is in flight only Esc does something.
    pub fn handle_key(&mut self, key: KeyEvent) -> DialogOutcome<()> {
        if key.code == KeyCode::Esc {
            return DialogOutcome::Cancel;
        }
        if self.submission == Submission::InFlight {
            return DialogOutcome::Stay;
        }
        match key.code {
            KeyCode::Tab
            | KeyCode::BackTab
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Up
            | KeyCode::Down => {
                self.focus = match self.focus {
                    PauseFocus::Ok => PauseFocus::Cancel,
                    PauseFocus::Cancel => PauseFocus::Ok,
                };
            }
            KeyCode::Enter => match self.focus {
                PauseFocus::Cancel => return DialogOutcome::Cancel,
                PauseFocus::Ok => {
                    self.error = None;
                    self.submission = Submission::InFlight;
                    return DialogOutcome::Submit(());
                }
            },
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

    /// Handles a key: ↑/↓ (k/j, Tab) move, Space ticks (on "All regions" it clears the
    /// ticks), Enter applies, Esc cancels. Applying with nothing ticked gives the region under
    /// the cursor alone, or all regions on "All regions"; ticking every region means all.
    pub fn handle_key(
        &mut self,
        key: KeyEvent,
        regions: &[String],
    ) -> DialogOutcome<BTreeSet<String>> {
        let last = regions.len();
        match key.code {
            KeyCode::Esc => return DialogOutcome::Cancel,
            KeyCode::Up | KeyCode::BackTab | KeyCode::Char('k') => {
                self.cursor = self.cursor.saturating_sub(1);
            }
            KeyCode::Down | KeyCode::Tab | KeyCode::Char('j') => {
                self.cursor = (self.cursor + 1).min(last);
            }
            KeyCode::Home | KeyCode::Char('g') => self.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => self.cursor = last,
            KeyCode::Char(' ') => match self.region_at_cursor(regions) {
                None => self.chosen.clear(),
                Some(region) => {
                    if !self.chosen.remove(region) {
                        self.chosen.insert(region.clone());
                    }
                }
            },
            KeyCode::Enter => {
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
