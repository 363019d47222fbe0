//! What `jwctl start` and `jwctl pause` print for a batch: a result table on stdout, one row
//! per writer, and a one-line summary on stderr.

use chrono::{DateTime, Utc};

use crate::cli::plan::Operation;
use crate::cli::table::{Cell, align, status_cell};
use crate::domain::{Writer, WriterStatus, Zone};

const HEADERS: [&str; 4] = ["NAME", "RESULT", "STATUS", "DETAIL"];

/// How one writer of a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The controller did it.
    Ok,
    /// Nothing to do; nothing was sent.
    NoOp,
    /// The rules refuse it; nothing was sent.
    Refused,
    /// Sent, and the controller refused it or could not be asked.
    Failed,
}

impl Outcome {
    /// The RESULT cell: `ok`, `no-op`, `refused`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NoOp => "no-op",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    fn ansi(self) -> &'static str {
        match self {
            Outcome::Ok => "32",
            Outcome::NoOp => "2",
            Outcome::Refused | Outcome::Failed => "31",
        }
    }
}

/// One row of the result table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub outcome: Outcome,
    /// The writer's status afterwards, when known.
    pub status: Option<WriterStatus>,
    /// The controller's message, the rules' reason, or what was done.
    pub detail: String,
}

/// The result table: NAME, RESULT, STATUS (afterwards), DETAIL, aligned like `jwctl list`.
/// With `colour`, RESULT and STATUS are coloured.
pub fn render(rows: &[Row], colour: bool) -> String {
    let cells: Vec<[Cell; 4]> = rows
        .iter()
        .map(|row| {
            [
                Cell::plain(row.name.clone()),
                Cell::coloured(row.outcome.as_str(), row.outcome.ansi(), colour),
                status_cell(row.status, colour),
                Cell::plain(row.detail.clone()),
            ]
        })
        .collect();
    align(HEADERS, &cells, &[])
}

/// `3 paused, 1 no-op, 1 refused, 0 failed`.
pub fn summary(rows: &[Row], operation: Operation) -> String {
    let count = |outcome| rows.iter().filter(|r| r.outcome == outcome).count();
    format!(
        "{} {}, {} no-op, {} refused, {} failed",
        count(Outcome::Ok),
        operation.done(),
        count(Outcome::NoOp),
        count(Outcome::Refused),
        count(Outcome::Failed)
    )
}

/// Whether any writer was refused or failed: the command exits 1.
pub fn incomplete(rows: &[Row]) -> bool {
    rows.iter()
        .any(|r| matches!(r.outcome, Outcome::Refused | Outcome::Failed))
}

/// Where a started writer `before` picks up: `replaying from 2026-11-24 10:30:00 UTC`,
/// `resuming from checkpoint …`, or `no checkpoint yet`.
pub fn start_detail(before: &Writer, replay_from: Option<DateTime<Utc>>, zone: &Zone) -> String {
    match (replay_from, before.checkpoint) {
        (Some(at), _) => format!("replaying from {} {zone}", zone.format(at)),
        (None, Some(at)) => format!("resuming from checkpoint {} {zone}", zone.format(at)),
        (None, None) => "no checkpoint yet".into(),
    }
}

/// What a paused writer `after` keeps: `checkpoint 2026-11-24 10:30:00 UTC kept`.
pub fn pause_detail(after: &Writer, zone: &Zone) -> String {
    after
        .checkpoint
        .map(|at| format!("checkpoint {} {zone} kept", zone.format(at)))
        .unwrap_or_else(|| "no checkpoint".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, outcome: Outcome, status: Option<WriterStatus>, detail: &str) -> Row {
        Row {
            name: name.into(),
            outcome,
            status,
            detail: detail.into(),
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            row(
                "np_a-incr_trans-1-0",
                Outcome::Ok,
                Some(WriterStatus::Pausing),
                "checkpoint 2026-11-24 18:00:00 Asia/Shanghai kept",
            ),
            row(
                "b",
                Outcome::NoOp,
                Some(WriterStatus::Stopped),
                "already stopped",
            ),
            row(
                "c-2",
                Outcome::Failed,
                None,
                "the controller at http://x:1 did not answer within 15s; try again",
            ),
        ]
    }

    #[test]
    fn the_table_lines_up_and_has_no_trailing_blanks() {
        let expected = "\
NAME                 RESULT  STATUS   DETAIL
np_a-incr_trans-1-0  ok      pausing  checkpoint 2026-11-24 18:00:00 Asia/Shanghai kept
b                    no-op   stopped  already stopped
c-2                  failed  -        the controller at http://x:1 did not answer within 15s; try again
";
        assert_eq!(render(&rows(), false), expected);
    }

    #[test]
    fn colour_wraps_only_result_and_status() {
        let table = render(&rows()[..1], true);
        assert!(table.contains("\x1b[32mok\x1b[0m"), "{table}");
        assert!(table.contains("\x1b[33mpausing\x1b[0m"), "{table}");
        assert_eq!(table.matches('\x1b').count(), 4, "{table}");
        // Escapes do not widen the columns.
        let plain = render(&rows()[..1], false);
        let strip = table
            .replace("\x1b[32m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[0m", "");
        assert_eq!(strip, plain);
    }

    #[test]
    fn the_summary_counts_each_outcome_and_says_when_to_exit_1() {
        let mut rows = rows();
        assert_eq!(
            summary(&rows, Operation::Pause),
            "1 paused, 1 no-op, 0 refused, 1 failed"
        );
        assert!(incomplete(&rows));
        rows.pop();
        assert!(!incomplete(&rows));
        rows.push(row(
            "d",
            Outcome::Refused,
            Some(WriterStatus::Stopped),
            "no",
        ));
        assert_eq!(
            summary(&rows, Operation::Start { replay_from: None }),
            "1 started, 1 no-op, 1 refused, 0 failed"
        );
        assert!(incomplete(&rows));
    }
}
