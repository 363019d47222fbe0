//! What the Start dialog would send, and why the controller would refuse it — checked with the
//! shared rules before submitting. Used by `update` (to submit or not) and `view` (to explain).

use chrono::{DateTime, Utc};

use crate::domain::{Zone, parse_timestamp, plan_start};

use super::state::StartDialog;

/// The Start dialog's input, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartCheck {
    /// "Whether to Replay Data" is No; `problem` is the rules' objection, if any.
    NoReplay { problem: Option<String> },
    /// Yes, but no timestamp typed.
    Missing,
    /// Yes, and the text is not a timestamp (the parser's message).
    Unreadable(String),
    /// Yes, and the text reads as `at`; `problem` is the rules' objection, if any.
    Parsed {
        at: DateTime<Utc>,
        problem: Option<String>,
    },
}

impl StartCheck {
    /// What to send as `replay_from`, or why nothing can be sent yet.
    pub fn submission(&self) -> Result<Option<DateTime<Utc>>, String> {
        match self {
            StartCheck::NoReplay { problem: None } => Ok(None),
            StartCheck::Parsed { at, problem: None } => Ok(Some(*at)),
            StartCheck::NoReplay {
                problem: Some(problem),
            }
            | StartCheck::Parsed {
                problem: Some(problem),
                ..
            } => Err(problem.clone()),
            StartCheck::Missing => Err("Timestamp is required when replaying data".into()),
            StartCheck::Unreadable(message) => Err(message.clone()),
        }
    }
}

impl StartDialog {
    /// Judges the dialog's input at `now`, reading wall times in `zone`.
    pub fn check(&self, now: DateTime<Utc>, zone: &Zone) -> StartCheck {
        if !self.replay {
            let problem = plan_start(&self.writer, None, now)
                .err()
                .map(|e| e.to_string());
            return StartCheck::NoReplay { problem };
        }
        if self.timestamp.value.trim().is_empty() {
            return StartCheck::Missing;
        }
        match parse_timestamp(&self.timestamp.value, now, zone) {
            Ok(at) => StartCheck::Parsed {
                at,
                problem: plan_start(&self.writer, Some(at), now)
                    .err()
                    .map(|e| e.to_string()),
            },
            Err(e) => StartCheck::Unreadable(e.to_string()),
        }
    }
}
