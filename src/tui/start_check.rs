//! What the Start dialog of one writer would send, and why the controller would refuse it —
//! checked with the shared rules before submitting. Used by `update` (to submit or not) and
//! `view` (to explain).

use chrono::{DateTime, Utc};

use super::dialogs::StartDialog;
use super::start_form::{ReplayInput, TIMESTAMP_REQUIRED, Verdict};
use crate::domain::{ReplaySpan, Zone, plan_start};

/// The Start dialog's input, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartCheck {
    /// "Whether to Replay Data" is No; `problem` is the rules' objection, if any.
    NoReplay { problem: Option<String> },
    /// Yes, but no timestamp typed.
    Missing,
    /// Yes, and the text is not a timestamp (the parser's message).
    Unreadable(String),
    /// Yes, and the text reads as `at`; `problem` is the rules' objection, if any; `span` is
    /// what the replay skips or writes again.
    Parsed {
        at: DateTime<Utc>,
        problem: Option<String>,
        span: ReplaySpan,
    },
}

impl StartCheck {
    /// What to send as `replay_from`, or why nothing can be sent yet.
    pub fn submission(&self) -> Result<Option<DateTime<Utc>>, String> {
        match self {
            StartCheck::NoReplay { problem: None } => Ok(None),
            StartCheck::Parsed {
                at, problem: None, ..
            } => Ok(Some(*at)),
            StartCheck::NoReplay {
                problem: Some(problem),
            }
            | StartCheck::Parsed {
                problem: Some(problem),
                ..
            } => Err(problem.clone()),
            StartCheck::Missing => Err(TIMESTAMP_REQUIRED.into()),
            StartCheck::Unreadable(message) => Err(message.clone()),
        }
    }

    /// The submission, and whether it skips change data.
    pub fn verdict(&self) -> Verdict {
        Verdict {
            submission: self.submission(),
            skips: matches!(self, StartCheck::Parsed { span, .. } if span.skips()),
        }
    }
}

impl StartDialog {
    /// Judges the dialog's input at `now`, reading and showing wall times in `zone`.
    pub fn check(&self, now: DateTime<Utc>, zone: &Zone) -> StartCheck {
        let problem = |replay_from| {
            plan_start(&self.writer, replay_from, now)
                .err()
                .map(|violation| violation.describe(Some(zone)))
        };
        match self.form.input(now, zone) {
            ReplayInput::NoReplay => StartCheck::NoReplay {
                problem: problem(None),
            },
            ReplayInput::Missing => StartCheck::Missing,
            ReplayInput::Unreadable(message) => StartCheck::Unreadable(message),
            ReplayInput::At(at) => StartCheck::Parsed {
                at,
                problem: problem(Some(at)),
                span: ReplaySpan::of(&self.writer, at),
            },
        }
    }
}
