//! Start or pause the marked writers through one dialog: what will happen to each (checked
//! with the shared rules), then the requests with at most [`MAX_IN_FLIGHT`] in flight, each
//! with its own If-Match, then the results. Pure state transitions; `update` wires them to
//! keys and answers.

use chrono::{DateTime, Utc};

use super::dialogs::PauseFocus;
use super::effect::{Operation, OperationKind, Origin};
use super::start_form::{ReplayInput, StartForm, TIMESTAMP_REQUIRED, Verdict};
use super::state::Mode;
use crate::client::ClientError;
use crate::domain::{
    PausePlan, ReplaySpan, RuleViolation, StartPlan, Writer, WriterStatus, Zone, localize_times,
    plan_pause, plan_start,
};

/// Most requests of a batch in flight at once.
pub const MAX_IN_FLIGHT: usize = 8;

/// What a batch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Start,
    Pause,
}

impl BatchKind {
    /// `Start` / `Pause`.
    pub fn verb(self) -> &'static str {
        match self {
            BatchKind::Start => "Start",
            BatchKind::Pause => "Pause",
        }
    }
}

/// What will happen to one writer, by the rules, before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The request goes out (for Start: replaying from this instant, if any).
    Send {
        replay_from: Option<DateTime<Utc>>,
        span: ReplaySpan,
    },
    /// Nothing to do (already running, already stopped); not sent.
    NoOp(&'static str),
    /// The rules refuse it; not sent. (`short` for the summary, `reason` for the writer.)
    Refused { short: String, reason: String },
}

/// What became of one writer of a running or finished batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Waiting for a free slot.
    Queued { replay_from: Option<DateTime<Utc>> },
    /// Sent; no answer yet.
    InFlight,
    /// Done; the writer's status after the change.
    Done(WriterStatus),
    /// Nothing to do, known before sending (the reason).
    NoOp(&'static str),
    /// Sent, and the controller changed nothing.
    Unchanged,
    /// Not sent: the rules refused it, or the operator stopped the batch first.
    NotSent(String),
    /// The controller refused it (its message).
    Refused(String),
    /// No answer, or the controller failed (the error).
    Failed(String),
}

impl Outcome {
    /// The word the results list shows.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Queued { .. } => "queued",
            Outcome::InFlight => "sending",
            Outcome::Done(_) => "ok",
            Outcome::NoOp(_) | Outcome::Unchanged => "no-op",
            Outcome::NotSent(_) => "not sent",
            Outcome::Refused(_) => "refused",
            Outcome::Failed(_) => "failed",
        }
    }

    /// Whether it was sent and did not succeed (`r` retries these).
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Refused(_) | Outcome::Failed(_))
    }

    fn is_pending(&self) -> bool {
        matches!(self, Outcome::Queued { .. } | Outcome::InFlight)
    }
}

/// One writer of a running or finished batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunItem {
    /// The writer as the operator confirmed it (its version is the If-Match).
    pub writer: Writer,
    pub outcome: Outcome,
}

/// A batch after confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRun {
    pub items: Vec<RunItem>,
    /// How many requests are in flight.
    pub in_flight: usize,
    /// The operator stopped sending the rest.
    pub stopped: bool,
}

impl BatchRun {
    /// How many requests have an answer, and how many are to be sent in all (answered, in
    /// flight or queued), in one pass.
    pub fn progress(&self) -> (usize, usize) {
        self.items
            .iter()
            .fold((0, 0), |(answered, to_send), item| match item.outcome {
                Outcome::Done(_)
                | Outcome::Unchanged
                | Outcome::Refused(_)
                | Outcome::Failed(_) => (answered + 1, to_send + 1),
                Outcome::InFlight | Outcome::Queued { .. } => (answered, to_send + 1),
                Outcome::NoOp(_) | Outcome::NotSent(_) => (answered, to_send),
            })
    }

    /// How many writers ended with each label, in the order the summary shows them.
    pub fn tally(&self) -> Vec<(&'static str, usize)> {
        [
            "ok", "no-op", "not sent", "refused", "failed", "sending", "queued",
        ]
        .into_iter()
        .map(|label| {
            let count = self
                .items
                .iter()
                .filter(|i| i.outcome.label() == label)
                .count();
            (label, count)
        })
        .filter(|(_, count)| *count > 0)
        .collect()
    }
}

/// Where a batch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchStage {
    /// The dialog: what will happen, and for Start the replay choice.
    Confirm,
    /// Requests going out.
    Running(BatchRun),
    /// Every answer is in (or the operator stopped the batch).
    Results(BatchRun),
}

/// The dialog of a batch; it holds the pending operations as data.
#[derive(Debug, Clone)]
pub struct BatchDialog {
    /// Tags this batch's answers.
    pub id: u64,
    pub kind: BatchKind,
    /// The marked writers as shown when the dialog opened or last refreshed, by name.
    pub writers: Vec<Writer>,
    /// How many of them the current filters hide.
    pub hidden: usize,
    /// The replay choice (Start).
    pub form: StartForm,
    /// OK or Cancel (Pause).
    pub pause_focus: PauseFocus,
    /// What will happen to each writer (parallel to `writers`), kept current while confirming.
    pub plan: Vec<Plan>,
    pub stage: BatchStage,
    /// First line of the writer list shown.
    pub scroll: usize,
}

/// Counts of a plan, for the dialog's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSummary {
    pub send: usize,
    pub no_op: usize,
    /// Refusals grouped by reason, most frequent first.
    pub refused: Vec<(String, usize)>,
    /// Writers whose replay skips change data, and the longest span skipped (ms).
    pub skipping: usize,
    pub longest_skip_ms: u64,
    /// Writers whose replay writes data again, and the longest span (ms).
    pub rewriting: usize,
    pub longest_rewrite_ms: u64,
}

impl BatchDialog {
    /// The dialog for `writers` (marked, by name), planned at `now`.
    pub fn new(
        id: u64,
        kind: BatchKind,
        writers: Vec<Writer>,
        hidden: usize,
        now: DateTime<Utc>,
        zone: &Zone,
    ) -> Self {
        let mut dialog = BatchDialog {
            id,
            kind,
            writers,
            hidden,
            form: StartForm::new(),
            pause_focus: PauseFocus::Cancel,
            plan: Vec::new(),
            stage: BatchStage::Confirm,
            scroll: 0,
        };
        dialog.replan(now, zone);
        dialog
    }

    /// The mode its keys work in.
    pub fn mode(&self) -> Mode {
        match (&self.stage, self.kind) {
            (BatchStage::Confirm, BatchKind::Start) => Mode::Start,
            (BatchStage::Confirm, BatchKind::Pause) => Mode::Pause,
            (BatchStage::Running(_), _) => Mode::BatchRunning,
            (BatchStage::Results(_), _) => Mode::BatchResults,
        }
    }

    /// How many rows the writer list has.
    pub fn rows(&self) -> usize {
        match &self.stage {
            BatchStage::Confirm => self.writers.len(),
            BatchStage::Running(run) | BatchStage::Results(run) => run.items.len(),
        }
    }

    /// The replay timestamp the form gives (`None` for Pause, no replay or bad input).
    fn replay_from(&self, now: DateTime<Utc>, zone: &Zone) -> Option<DateTime<Utc>> {
        match (self.kind, self.form.input(now, zone)) {
            (BatchKind::Start, ReplayInput::At(at)) => Some(at),
            _ => None,
        }
    }

    /// Plans every writer again (after an edit, a refresh, or as time passes).
    pub fn replan(&mut self, now: DateTime<Utc>, zone: &Zone) {
        let replay_from = self.replay_from(now, zone);
        self.plan = self
            .writers
            .iter()
            .map(|w| plan(self.kind, w, replay_from, now, zone))
            .collect();
    }

    /// Counts of the current plan.
    pub fn summary(&self) -> PlanSummary {
        let mut summary = PlanSummary::default();
        for plan in &self.plan {
            match plan {
                Plan::Send { span, .. } => {
                    summary.send += 1;
                    match span {
                        ReplaySpan::Skips { .. } => {
                            summary.skipping += 1;
                            summary.longest_skip_ms = summary.longest_skip_ms.max(span.millis());
                        }
                        ReplaySpan::Rewrites { .. } => {
                            summary.rewriting += 1;
                            summary.longest_rewrite_ms =
                                summary.longest_rewrite_ms.max(span.millis());
                        }
                        ReplaySpan::Neither => {}
                    }
                }
                Plan::NoOp(_) => summary.no_op += 1,
                Plan::Refused { short, .. } => {
                    match summary.refused.iter_mut().find(|(r, _)| r == short) {
                        Some((_, count)) => *count += 1,
                        None => summary.refused.push((short.clone(), 1)),
                    }
                }
            }
        }
        summary
            .refused
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        summary
    }

    /// What confirming would do: the replay timestamp to send, or why nothing can be sent.
    pub fn verdict(&self, now: DateTime<Utc>, zone: &Zone) -> Verdict {
        let submission = match self.form.input(now, zone) {
            ReplayInput::Missing if self.kind == BatchKind::Start => {
                Err(TIMESTAMP_REQUIRED.to_string())
            }
            ReplayInput::Unreadable(message) if self.kind == BatchKind::Start => Err(message),
            _ => Ok(self.replay_from(now, zone)),
        };
        let summary = self.summary();
        let submission = submission.and_then(|replay_from| {
            if summary.send == 0 {
                Err(format!(
                    "nothing to {}: every marked writer is a no-op or refused by the rules",
                    self.kind.verb().to_lowercase()
                ))
            } else {
                Ok(replay_from)
            }
        });
        Verdict {
            submission,
            skips: summary.skipping > 0,
        }
    }

    /// Confirms: the writers planned to be sent are queued and the first
    /// [`MAX_IN_FLIGHT`] requests returned; the others are recorded as they are.
    pub fn begin(&mut self) -> Vec<Operation> {
        let items = self
            .writers
            .iter()
            .zip(&self.plan)
            .map(|(writer, plan)| RunItem {
                writer: writer.clone(),
                outcome: match plan {
                    Plan::Send { replay_from, .. } => Outcome::Queued {
                        replay_from: *replay_from,
                    },
                    Plan::NoOp(reason) => Outcome::NoOp(reason),
                    Plan::Refused { reason, .. } => Outcome::NotSent(reason.clone()),
                },
            })
            .collect();
        self.scroll = 0;
        self.stage = BatchStage::Running(BatchRun {
            items,
            in_flight: 0,
            stopped: false,
        });
        self.launch()
    }

    /// Requests for queued writers while fewer than [`MAX_IN_FLIGHT`] are in flight; moves
    /// to the results when nothing is pending.
    fn launch(&mut self) -> Vec<Operation> {
        let BatchStage::Running(run) = &mut self.stage else {
            return Vec::new();
        };
        let mut operations = Vec::new();
        for (at, item) in run.items.iter_mut().enumerate() {
            if run.in_flight >= MAX_IN_FLIGHT || run.stopped {
                break;
            }
            let Outcome::Queued { replay_from } = item.outcome else {
                continue;
            };
            let kind = match self.kind {
                BatchKind::Start => OperationKind::Start { replay_from },
                BatchKind::Pause => OperationKind::Pause,
            };
            operations.push(Operation {
                id: item.writer.id.clone(),
                kind,
                if_match: item.writer.version,
                origin: Origin::Batch {
                    batch: self.id,
                    item: at,
                },
            });
            item.outcome = Outcome::InFlight;
            run.in_flight += 1;
        }
        if run.in_flight == 0 && !run.items.iter().any(|i| i.outcome.is_pending()) {
            let run = std::mem::replace(run, empty_run());
            self.stage = BatchStage::Results(run);
        }
        operations
    }

    /// Records the answer for writer `item` and returns the next requests to send.
    pub fn finished(
        &mut self,
        item: usize,
        result: &Result<Writer, ClientError>,
        zone: &Zone,
    ) -> Vec<Operation> {
        let BatchStage::Running(run) = &mut self.stage else {
            return Vec::new();
        };
        let Some(slot) = run.items.get_mut(item) else {
            return Vec::new();
        };
        if slot.outcome != Outcome::InFlight {
            return Vec::new();
        }
        slot.outcome = match result {
            Ok(after) if after.version == slot.writer.version => Outcome::Unchanged,
            Ok(after) => Outcome::Done(after.status),
            Err(error) => failure(error, zone),
        };
        run.in_flight = run.in_flight.saturating_sub(1);
        self.launch()
    }

    /// Esc while sending: the writers not sent yet stay as they are; the results show once
    /// the requests in flight are answered.
    pub fn stop(&mut self) {
        if let BatchStage::Running(run) = &mut self.stage {
            run.stopped = true;
            for item in &mut run.items {
                if matches!(item.outcome, Outcome::Queued { .. }) {
                    item.outcome = Outcome::NotSent("stopped before it was sent".into());
                }
            }
        }
        self.launch();
    }

    /// Ids of the writers whose request did not succeed, for `r`.
    pub fn failed_ids(&self) -> Vec<String> {
        match &self.stage {
            BatchStage::Results(run) => run
                .items
                .iter()
                .filter(|i| i.outcome.is_failure())
                .map(|i| i.writer.id.clone())
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn empty_run() -> BatchRun {
    BatchRun {
        items: Vec::new(),
        in_flight: 0,
        stopped: false,
    }
}

/// What the rules say for one writer.
pub fn plan(
    kind: BatchKind,
    writer: &Writer,
    replay_from: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    zone: &Zone,
) -> Plan {
    match kind {
        BatchKind::Start => match plan_start(writer, replay_from, now) {
            Ok(StartPlan::Start { replay_from }) => Plan::Send {
                replay_from,
                span: replay_from.map_or(ReplaySpan::Neither, |at| ReplaySpan::of(writer, at)),
            },
            Ok(StartPlan::AlreadyRunning) => Plan::NoOp(no_op_reason(writer.status)),
            Err(violation) => refused(&violation, zone),
        },
        BatchKind::Pause => match plan_pause(writer) {
            Ok(PausePlan::Pause) => Plan::Send {
                replay_from: None,
                span: ReplaySpan::Neither,
            },
            Ok(PausePlan::AlreadyStopped) => Plan::NoOp(no_op_reason(writer.status)),
            Err(violation) => refused(&violation, zone),
        },
    }
}

/// Why nothing needs doing to a writer in `status`.
fn no_op_reason(status: WriterStatus) -> &'static str {
    match status {
        WriterStatus::Running => "already running",
        WriterStatus::Starting => "already starting",
        WriterStatus::Pausing => "already pausing",
        WriterStatus::Stopped => "already stopped",
        WriterStatus::Failed => "failed, not running",
        WriterStatus::Unknown => "in a state jwctl does not know",
    }
}

fn refused(violation: &RuleViolation, zone: &Zone) -> Plan {
    let short = match violation {
        RuleViolation::InvalidState { status, advice, .. } => format!("{status}: {advice}"),
        RuleViolation::UnknownStatus { .. } => {
            "in a state jwctl does not know: act on it from the OMS console".into()
        }
        RuleViolation::ReplayNotSupported { .. } => {
            "full migration writers cannot replay: start them without replay".into()
        }
        RuleViolation::ReplayOutOfRange { .. } => "timestamp outside the store's range".into(),
        RuleViolation::CheckpointExpired { .. } => {
            "checkpoint no longer in the store: start with replay".into()
        }
    };
    Plan::Refused {
        short,
        reason: violation.describe(Some(zone)),
    }
}

/// The outcome of a request that did not succeed; a version mismatch says what the writer is
/// now.
fn failure(error: &ClientError, zone: &Zone) -> Outcome {
    match (error, error.current_writer()) {
        (ClientError::Api { .. }, Some(now)) => Outcome::Refused(format!(
            "changed by someone else: now {} (version {})",
            now.status, now.version
        )),
        (ClientError::Api { status, .. }, None) if *status < 500 => {
            Outcome::Refused(localize_times(&error.to_string(), zone))
        }
        _ => Outcome::Failed(localize_times(&error.to_string(), zone)),
    }
}
