//! The Start form of the console page — "Whether to Replay Data" and the Timestamp — shared by
//! the Start dialog of one writer and the one of the marked writers. A replay that skips
//! change data for good asks a second, explicit confirmation before anything is sent.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::keymap::Command;
use super::state::TextInput;
use super::text_input::Edit;
use crate::domain::{Zone, parse_timestamp};

/// Focusable parts of the Start form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFocus {
    ReplayNo,
    ReplayYes,
    Timestamp,
    Submit,
    Cancel,
    /// "Skip the data and start", in the second confirmation.
    ConfirmSkip,
    /// "Back", in the second confirmation.
    Back,
}

/// The form's input and where the operator is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartForm {
    /// "Whether to Replay Data".
    pub replay: bool,
    /// The Timestamp field (used when `replay`).
    pub timestamp: TextInput,
    pub focus: StartFocus,
    /// Whether a missing timestamp may be pointed out: the operator left the field or tried
    /// to submit.
    pub touched: bool,
    /// The replay skips change data and the form asks for a second confirmation.
    pub confirming_skip: bool,
    /// Why the last submission did not go out, or the controller's answer; cleared on edits.
    pub error: Option<String>,
}

/// What the Timestamp field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayInput {
    /// "Whether to Replay Data" is No.
    NoReplay,
    /// Yes, but nothing typed.
    Missing,
    /// Yes, and the text is not a timestamp (the parser's message).
    Unreadable(String),
    /// Yes, and the text reads as this instant.
    At(DateTime<Utc>),
}

/// The text shown when replay is chosen without a timestamp.
pub const TIMESTAMP_REQUIRED: &str = "Timestamp is required when replaying data";

/// What the form's input means for the writers it would start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// What to send as `replay_from`, or why nothing can be sent.
    pub submission: Result<Option<DateTime<Utc>>, String>,
    /// Whether the replay skips change data of at least one writer.
    pub skips: bool,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormOutcome {
    Stay,
    Cancel,
    /// Send, replaying from this instant (or resuming from the checkpoint).
    Submit(Option<DateTime<Utc>>),
}

fn step(order: &[StartFocus], current: StartFocus, forward: bool) -> StartFocus {
    let len = order.len();
    let at = order.iter().position(|&f| f == current).unwrap_or(0);
    let next = if forward {
        (at + 1) % len
    } else {
        (at + len - 1) % len
    };
    order.get(next).copied().unwrap_or(current)
}

impl Default for StartForm {
    fn default() -> Self {
        StartForm::new()
    }
}

impl StartForm {
    /// No replay, focus on "No".
    pub fn new() -> Self {
        StartForm {
            replay: false,
            timestamp: TextInput::default(),
            focus: StartFocus::ReplayNo,
            touched: false,
            confirming_skip: false,
            error: None,
        }
    }

    /// The focusable parts in Tab order.
    pub fn focus_order(&self) -> &'static [StartFocus] {
        use StartFocus::*;
        if self.confirming_skip {
            &[ConfirmSkip, Back]
        } else if self.replay {
            &[ReplayNo, ReplayYes, Timestamp, Submit, Cancel]
        } else {
            &[ReplayNo, ReplayYes, Submit, Cancel]
        }
    }

    /// What the Timestamp field holds, read at `now` in `zone`.
    pub fn input(&self, now: DateTime<Utc>, zone: &Zone) -> ReplayInput {
        if !self.replay {
            return ReplayInput::NoReplay;
        }
        if self.timestamp.value.trim().is_empty() {
            return ReplayInput::Missing;
        }
        match parse_timestamp(&self.timestamp.value, now, zone) {
            Ok(at) => ReplayInput::At(at),
            Err(e) => ReplayInput::Unreadable(e.to_string()),
        }
    }

    fn choose(&mut self, replay: bool) {
        if self.replay != replay {
            self.error = None;
            self.touched = false;
        }
        self.replay = replay;
    }

    fn move_focus(&mut self, forward: bool) {
        if self.focus == StartFocus::Timestamp {
            self.touched = true;
        }
        self.focus = step(self.focus_order(), self.focus, forward);
    }

    /// Handles a key whose command in the Start keymap is `command`: the Timestamp field takes
    /// every key but focus moves, Enter and Esc; `judge` tells what a submission would do.
    /// Forward replays go through a second confirmation; Esc there goes back to the form.
    pub fn handle(
        &mut self,
        command: Option<Command>,
        key: KeyEvent,
        judge: impl FnOnce(&StartForm) -> Verdict,
    ) -> FormOutcome {
        use StartFocus::*;
        if self.confirming_skip {
            return self.handle_confirmation(command, judge);
        }
        let navigation = matches!(
            command,
            Some(
                Command::NextFocus
                    | Command::PrevFocus
                    | Command::Activate
                    | Command::Cancel
                    | Command::PageUp
                    | Command::PageDown
                    | Command::Quit
            )
        );
        if self.focus == Timestamp && !navigation {
            if self.timestamp.handle_key(key) == Edit::Changed {
                self.error = None;
            }
            return FormOutcome::Stay;
        }
        match (command, self.focus) {
            (Some(Command::Cancel), _) | (Some(Command::Activate), Cancel) => {
                return FormOutcome::Cancel;
            }
            (Some(Command::NextFocus), _) => self.move_focus(true),
            (Some(Command::PrevFocus), _) => self.move_focus(false),
            (Some(Command::Choose), ReplayNo | ReplayYes) => {
                let yes = self.focus == ReplayNo;
                self.choose(yes);
                self.focus = if yes { ReplayYes } else { ReplayNo };
            }
            (Some(Command::Choose), Submit) => self.focus = Cancel,
            (Some(Command::Choose), Cancel) => self.focus = Submit,
            (Some(Command::Toggle), ReplayNo) => self.choose(false),
            (Some(Command::Toggle), ReplayYes) => self.choose(true),
            (Some(Command::Activate), ReplayNo) => {
                self.choose(false);
                self.focus = Submit;
            }
            (Some(Command::Activate), ReplayYes) => {
                self.choose(true);
                self.focus = Timestamp;
            }
            (Some(Command::Activate), Timestamp | Submit) => {
                self.touched = true;
                let verdict = judge(self);
                return match verdict.submission {
                    Err(problem) => {
                        self.error = Some(problem);
                        FormOutcome::Stay
                    }
                    Ok(_) if verdict.skips => {
                        self.error = None;
                        self.confirming_skip = true;
                        self.focus = Back;
                        FormOutcome::Stay
                    }
                    Ok(replay_from) => {
                        self.error = None;
                        FormOutcome::Submit(replay_from)
                    }
                };
            }
            _ => {}
        }
        FormOutcome::Stay
    }

    fn handle_confirmation(
        &mut self,
        command: Option<Command>,
        judge: impl FnOnce(&StartForm) -> Verdict,
    ) -> FormOutcome {
        use StartFocus::*;
        match (command, self.focus) {
            (Some(Command::Cancel), _) | (Some(Command::Activate), Back) => {
                self.confirming_skip = false;
                self.focus = Timestamp;
            }
            (Some(Command::NextFocus | Command::PrevFocus | Command::Choose), focus) => {
                self.focus = if focus == ConfirmSkip {
                    Back
                } else {
                    ConfirmSkip
                };
            }
            (Some(Command::Activate), _) => {
                // Checked again: time has passed since the question was asked.
                let verdict = judge(self);
                self.confirming_skip = false;
                return match verdict.submission {
                    Ok(replay_from) => FormOutcome::Submit(replay_from),
                    Err(problem) => {
                        self.focus = Timestamp;
                        self.error = Some(problem);
                        FormOutcome::Stay
                    }
                };
            }
            _ => {}
        }
        FormOutcome::Stay
    }
}
