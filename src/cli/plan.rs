//! What `jwctl start` and `jwctl pause` will do to each writer, decided by the shared rules
//! before anything is sent, and what the operator is told and asked about it.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::domain::{
    PausePlan, ReplaySpan, StartPlan, Writer, WriterStatus, Zone, format_ago, plan_pause,
    plan_start,
};

/// How many names a prompt lists before "and N more".
const NAMES_SHOWN: usize = 5;

/// The second question of a replay that skips change data.
pub const SKIP_QUESTION: &str = "The destination never receives that data. Skip it for good?";

/// A start (optionally replaying from a timestamp) or a pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Start { replay_from: Option<DateTime<Utc>> },
    Pause,
}

impl Operation {
    /// `start` or `pause`.
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Start { .. } => "start",
            Operation::Pause => "pause",
        }
    }

    /// `started` or `paused`.
    pub fn done(self) -> &'static str {
        match self {
            Operation::Start { .. } => "started",
            Operation::Pause => "paused",
        }
    }
}

/// What happens to one writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The rules allow it: the request is sent.
    Send,
    /// Nothing to do (already running, already stopped): nothing is sent.
    NoOp,
    /// The rules refuse it, for this reason (wall times in the operator's zone): nothing is
    /// sent.
    Refused(String),
}

/// Decides `operation` for `writer` at `now` with the shared rules.
pub fn step(operation: Operation, writer: &Writer, zone: &Zone, now: DateTime<Utc>) -> Step {
    let plan = match operation {
        Operation::Start { replay_from } => {
            plan_start(writer, replay_from, now).map(|plan| plan == StartPlan::AlreadyRunning)
        }
        Operation::Pause => plan_pause(writer).map(|plan| plan == PausePlan::AlreadyStopped),
    };
    match plan {
        Ok(true) => Step::NoOp,
        Ok(false) => Step::Send,
        Err(violation) => Step::Refused(violation.describe(Some(zone))),
    }
}

/// A writer and its step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub writer: Writer,
    pub step: Step,
}

/// The steps of a batch, in the order the writers were named or selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub operation: Operation,
    pub writers: Vec<Planned>,
}

impl Plan {
    /// Plans `operation` for each of `writers`.
    pub fn new(
        operation: Operation,
        writers: Vec<Writer>,
        zone: &Zone,
        now: DateTime<Utc>,
    ) -> Plan {
        let writers = writers
            .into_iter()
            .map(|writer| Planned {
                step: step(operation, &writer, zone, now),
                writer,
            })
            .collect();
        Plan { operation, writers }
    }

    /// The writers a request is sent for.
    pub fn sending(&self) -> Vec<&Writer> {
        self.writers
            .iter()
            .filter(|p| p.step == Step::Send)
            .map(|p| &p.writer)
            .collect()
    }

    /// What the operator is asked before anything is sent: the no-ops and refusals, then
    /// `Pause 3 writers: a, b, c?`.
    pub fn question(&self, zone: &Zone, now: DateTime<Utc>) -> String {
        let mut text = String::new();
        for status in WriterStatus::ALL {
            let idle: Vec<&Writer> = self
                .writers
                .iter()
                .filter(|p| p.step == Step::NoOp && p.writer.status == status)
                .map(|p| &p.writer)
                .collect();
            if !idle.is_empty() {
                let _ = writeln!(
                    text,
                    "{} already {status} (skipped): {}",
                    idle.len(),
                    names(&idle)
                );
            }
        }
        let refused: Vec<(&Writer, &str)> = self
            .writers
            .iter()
            .filter_map(|p| match &p.step {
                Step::Refused(reason) => Some((&p.writer, reason.as_str())),
                _ => None,
            })
            .collect();
        if !refused.is_empty() {
            let _ = writeln!(text, "{} refused by the rules:", refused.len());
            for (writer, reason) in refused.iter().take(NAMES_SHOWN) {
                let _ = writeln!(text, "  {}: {reason}", writer.name);
            }
            if refused.len() > NAMES_SHOWN {
                let _ = writeln!(text, "  and {} more", refused.len() - NAMES_SHOWN);
            }
        }
        let sending = self.sending();
        let what = match self.operation {
            Operation::Start {
                replay_from: Some(at),
            } => format!(
                "Start {}, replaying data from {} ({zone}, {})",
                writers(sending.len()),
                zone.format(at),
                format_ago(at, now)
            ),
            Operation::Start { replay_from: None } => {
                format!("Start {}, each from its checkpoint", writers(sending.len()))
            }
            Operation::Pause => format!("Pause {}", writers(sending.len())),
        };
        let _ = write!(text, "{what}: {}?", names(&sending));
        text
    }
}

/// What replaying from a timestamp does to the writers about to be started, compared with
/// resuming them from their checkpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans<'a> {
    skipping: Vec<(&'a Writer, ReplaySpan)>,
    rewriting: Vec<(&'a Writer, ReplaySpan)>,
}

impl<'a> Spans<'a> {
    /// The spans of `writers` under `operation` (none without replay).
    pub fn of(operation: Operation, writers: &[&'a Writer]) -> Spans<'a> {
        let mut spans = Spans::default();
        let Operation::Start {
            replay_from: Some(at),
        } = operation
        else {
            return spans;
        };
        for &writer in writers {
            match ReplaySpan::of(writer, at) {
                ReplaySpan::Neither => {}
                span if span.skips() => spans.skipping.push((writer, span)),
                span => spans.rewriting.push((writer, span)),
            }
        }
        spans
    }

    /// Whether change data is skipped for good: the operator is asked a second time.
    pub fn skip_data(&self) -> bool {
        !self.skipping.is_empty()
    }

    /// The lines printed before anything is asked: for one writer its span
    /// (`w skips 1h 45m of change data, …`), for several how many and the largest span.
    pub fn lines(&self, zone: &Zone) -> Vec<String> {
        [
            (&self.skipping, "skip change data"),
            (&self.rewriting, "write change data again"),
        ]
        .into_iter()
        .filter_map(|(group, what)| {
            let (writer, span) = group.iter().max_by_key(|(_, span)| span.millis())?;
            let described = span.describe(zone)?;
            Some(match group.len() {
                1 => format!("{} {described}", writer.name),
                n => format!("{n} writers {what}; the most: {} {described}", writer.name),
            })
        })
        .collect()
    }
}

/// `1 writer`, `3 writers`.
pub fn writers(count: usize) -> String {
    match count {
        1 => "1 writer".into(),
        n => format!("{n} writers"),
    }
}

/// The first names of `writers`, then how many more: `a, b, c, d, e and 12 more`.
fn names(writers: &[&Writer]) -> String {
    let shown: Vec<&str> = writers
        .iter()
        .take(NAMES_SHOWN)
        .map(|w| w.name.as_str())
        .collect();
    let mut text = shown.join(", ");
    if writers.len() > NAMES_SHOWN {
        let _ = write!(text, " and {} more", writers.len() - NAMES_SHOWN);
    }
    text
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::cli::resolve::tests::writer;

    fn utc() -> Zone {
        "UTC".parse().unwrap_or_default()
    }

    fn named(name: &str, status: WriterStatus) -> Writer {
        let mut w = writer(&format!("id-{name}"), name, "cn-hangzhou", "Orders");
        w.status = status;
        w
    }

    #[test]
    fn each_writer_gets_the_rules_verdict() {
        let running = named("r", WriterStatus::Running);
        let stopped = named("s", WriterStatus::Stopped);
        let pausing = named("p", WriterStatus::Pausing);
        let now = stopped.updated_at + Duration::minutes(1);
        let start = Operation::Start { replay_from: None };
        assert_eq!(step(start, &stopped, &utc(), now), Step::Send);
        assert_eq!(step(start, &running, &utc(), now), Step::NoOp);
        assert_eq!(
            step(start, &pausing, &utc(), now),
            Step::Refused("p is pausing; wait until it has stopped, then start it".into())
        );
        assert_eq!(step(Operation::Pause, &running, &utc(), now), Step::Send);
        assert_eq!(step(Operation::Pause, &stopped, &utc(), now), Step::NoOp);
        // Refusals name wall times in the operator's zone.
        let shanghai: Zone = "Asia/Shanghai".parse().unwrap_or_default();
        let too_old = Operation::Start {
            replay_from: Some(stopped.store.earliest - Duration::hours(1)),
        };
        let Step::Refused(reason) = step(too_old, &stopped, &shanghai, now) else {
            panic!("out of range");
        };
        assert!(
            reason.starts_with("replay timestamp 2026-11-23 17:00:00 is outside"),
            "{reason}"
        );
        assert!(reason.contains("Asia/Shanghai"), "{reason}");
    }

    #[test]
    fn the_question_counts_and_names_the_first_five() {
        let mut writers: Vec<Writer> = (1..=7)
            .map(|i| named(&format!("w{i}"), WriterStatus::Running))
            .collect();
        writers.push(named("idle-1", WriterStatus::Stopped));
        writers.push(named("idle-2", WriterStatus::Stopped));
        writers.push(named("broken", WriterStatus::Failed));
        let now = writers[0].updated_at;
        let plan = Plan::new(Operation::Pause, writers, &utc(), now);
        assert_eq!(plan.sending().len(), 7);
        assert_eq!(
            plan.question(&utc(), now),
            "2 already stopped (skipped): idle-1, idle-2\n\
             1 already failed (skipped): broken\n\
             Pause 7 writers: w1, w2, w3, w4, w5 and 2 more?"
        );
    }

    #[test]
    fn refusals_are_listed_with_their_reasons() {
        let mut writers: Vec<Writer> = (1..=7)
            .map(|i| named(&format!("p{i}"), WriterStatus::Pausing))
            .collect();
        writers.push(named("s", WriterStatus::Stopped));
        let now = writers[0].updated_at + Duration::hours(1);
        let at = now - Duration::hours(2);
        let plan = Plan::new(
            Operation::Start {
                replay_from: Some(at),
            },
            writers,
            &utc(),
            now,
        );
        let question = plan.question(&utc(), now);
        let lines: Vec<&str> = question.lines().collect();
        assert_eq!(lines[0], "7 refused by the rules:");
        assert_eq!(
            lines[1],
            "  p1: p1 is pausing; wait until it has stopped, then start it"
        );
        assert_eq!(lines[6], "  and 2 more");
        assert_eq!(
            lines[7],
            "Start 1 writer, replaying data from 2026-11-24 09:00:00 (UTC, 2h 00m ago): s?"
        );
    }

    #[test]
    fn forward_replays_skip_data_and_the_largest_span_is_named() {
        let mut near = named("near", WriterStatus::Stopped);
        let mut far = named("far", WriterStatus::Stopped);
        let mut behind = named("behind", WriterStatus::Stopped);
        let at = near.updated_at;
        near.checkpoint = Some(at - Duration::minutes(10));
        far.checkpoint = Some(at - Duration::minutes(105));
        behind.checkpoint = Some(at + Duration::minutes(30));
        let replay = Operation::Start {
            replay_from: Some(at),
        };
        let spans = Spans::of(replay, &[&near, &far, &behind]);
        assert!(spans.skip_data());
        assert_eq!(
            spans.lines(&utc()),
            [
                "2 writers skip change data; the most: far skips 1h 45m of change data, \
                 2026-11-24 08:15:00 → 10:00:00 (UTC)",
                "behind writes 30m 00s of change data again, 2026-11-24 10:00:00 → 10:30:00 (UTC)",
            ]
        );
        let one = Spans::of(replay, &[&near]);
        assert_eq!(
            one.lines(&utc()),
            ["near skips 10m 00s of change data, 2026-11-24 09:50:00 → 10:00:00 (UTC)"]
        );
        let back = Spans::of(replay, &[&behind]);
        assert!(!back.skip_data());
        assert!(
            Spans::of(Operation::Start { replay_from: None }, &[&near])
                .lines(&utc())
                .is_empty()
        );
        assert!(!Spans::of(Operation::Pause, &[&near]).skip_data());
    }
}
