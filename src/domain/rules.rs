//! The start/pause rules of the console page, enforced by the controller and checked early by
//! clients so operators hear about a problem before they submit.

use chrono::{DateTime, Utc};

use super::format::{format_duration_ms, format_range, format_utc};
use super::timestamp::Zone;
use super::writer::{Writer, WriterKind, WriterStatus};

/// Why a start or pause is refused. Each maps to one API error code.
///
/// `Display` writes instants as RFC 3339 in UTC (what the controller sends);
/// [`RuleViolation::describe`] writes them as wall times in the operator's zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// The writer's status does not allow the operation.
    #[error("{name} is {status}; {advice}")]
    InvalidState {
        name: String,
        status: WriterStatus,
        advice: &'static str,
    },
    /// The backend reports a status jwctl does not know: it neither starts nor pauses it.
    #[error(
        "{name} is in a state jwctl does not know ('{reported}', as its backend reports it); start or pause it from the OMS console"
    )]
    UnknownStatus { name: String, reported: String },
    /// Replay was asked of a writer that is not an incremental-sync writer.
    #[error(
        "data replay applies only to incremental data synchronization writers; {name} is a full migration writer. Start it without replay"
    )]
    ReplayNotSupported { name: String },
    /// The replay timestamp is outside the store's retained range (or in the future).
    #[error("{}", self.describe(None))]
    ReplayOutOfRange {
        asked: DateTime<Utc>,
        store: String,
        earliest: DateTime<Utc>,
        latest: DateTime<Utc>,
    },
    /// Resuming an incremental writer from its checkpoint is impossible: that data has left
    /// the store.
    #[error("{}", self.describe(None))]
    CheckpointExpired {
        name: String,
        checkpoint: DateTime<Utc>,
        store: String,
        earliest: DateTime<Utc>,
    },
}

impl RuleViolation {
    /// The refusal for an operator: instants as wall times in `zone` (RFC 3339 UTC without).
    pub fn describe(&self, zone: Option<&Zone>) -> String {
        let at = |t: DateTime<Utc>| zone.map_or_else(|| format_utc(t), |z| z.format(t));
        let in_zone = zone.map(|z| format!(", {z}")).unwrap_or_default();
        match self {
            RuleViolation::ReplayOutOfRange {
                asked,
                store,
                earliest,
                latest,
            } => format!(
                "replay timestamp {} is outside the change data {store} holds ({} to {}{in_zone}); \
                 choose a timestamp in that range",
                at(*asked),
                at(*earliest),
                at(*latest)
            ),
            RuleViolation::CheckpointExpired {
                name,
                checkpoint,
                store,
                earliest,
            } => format!(
                "checkpoint {} of {name} is older than the earliest change data {store} still \
                 holds ({}{in_zone}); start with replay from a timestamp at or after {}",
                at(*checkpoint),
                at(*earliest),
                at(*earliest)
            ),
            other => other.to_string(),
        }
    }
}

/// What replaying from a timestamp does, compared with resuming from the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaySpan {
    /// The timestamp is after the checkpoint: the change data `from..to` is never written to
    /// the destination.
    Skips {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// The timestamp is before the checkpoint: the change data `from..to` is written again.
    Rewrites {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// The timestamp is the checkpoint, or the writer has no checkpoint to compare with.
    Neither,
}

impl ReplaySpan {
    /// How replaying `writer` from `at` relates to its checkpoint.
    pub fn of(writer: &Writer, at: DateTime<Utc>) -> ReplaySpan {
        match writer.checkpoint {
            Some(checkpoint) if at > checkpoint => ReplaySpan::Skips {
                from: checkpoint,
                to: at,
            },
            Some(checkpoint) if at < checkpoint => ReplaySpan::Rewrites {
                from: at,
                to: checkpoint,
            },
            _ => ReplaySpan::Neither,
        }
    }

    /// Whether change data is lost for good.
    pub fn skips(self) -> bool {
        matches!(self, ReplaySpan::Skips { .. })
    }

    /// The length of the span in milliseconds (0 for `Neither`).
    pub fn millis(self) -> u64 {
        match self {
            ReplaySpan::Skips { from, to } | ReplaySpan::Rewrites { from, to } => {
                u64::try_from((to - from).num_milliseconds()).unwrap_or(0)
            }
            ReplaySpan::Neither => 0,
        }
    }

    /// `skips 1h 45m of change data, 2026-11-24 06:40:55 → 08:26:00 (UTC)`, or `writes … again`;
    /// `None` when nothing is skipped or written again.
    pub fn describe(self, zone: &Zone) -> Option<String> {
        match self {
            ReplaySpan::Skips { from, to } => Some(format!(
                "skips {} of change data, {} ({zone})",
                format_duration_ms(self.millis()),
                format_range(from, to, zone)
            )),
            ReplaySpan::Rewrites { from, to } => Some(format!(
                "writes {} of change data again, {} ({zone})",
                format_duration_ms(self.millis()),
                format_range(from, to, zone)
            )),
            ReplaySpan::Neither => None,
        }
    }
}

/// What a permitted start does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPlan {
    /// Already running or starting: nothing to do.
    AlreadyRunning,
    /// Move to `starting`; with `Some(ts)`, first reset the checkpoint to `ts` (replay).
    Start { replay_from: Option<DateTime<Utc>> },
}

/// What a permitted pause does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausePlan {
    /// Already stopped, failed or pausing: nothing to do.
    AlreadyStopped,
    /// Move to `pausing`, then `stopped`; the checkpoint is kept.
    Pause,
}

/// Decides whether `writer` may start at `now`, optionally replaying from `replay_from`.
pub fn plan_start(
    writer: &Writer,
    replay_from: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<StartPlan, RuleViolation> {
    if replay_from.is_some() {
        check_replay_kind(writer)?;
    }
    match writer.status {
        WriterStatus::Running | WriterStatus::Starting if replay_from.is_none() => {
            return Ok(StartPlan::AlreadyRunning);
        }
        WriterStatus::Running | WriterStatus::Starting => {
            return Err(RuleViolation::InvalidState {
                name: writer.name.clone(),
                status: writer.status,
                advice: "pause it before replaying data",
            });
        }
        WriterStatus::Pausing => {
            return Err(RuleViolation::InvalidState {
                name: writer.name.clone(),
                status: writer.status,
                advice: "wait until it has stopped, then start it",
            });
        }
        WriterStatus::Stopped | WriterStatus::Failed => {}
        WriterStatus::Unknown => return Err(unknown_status(writer)),
    }
    match replay_from {
        Some(at) => {
            check_replay_range(writer, at, now)?;
            Ok(StartPlan::Start {
                replay_from: Some(at),
            })
        }
        None => {
            // A full-migration writer does not read the incremental store.
            if writer.kind == WriterKind::Incremental
                && let Some(checkpoint) = writer.checkpoint
                && checkpoint < writer.store.earliest
            {
                return Err(RuleViolation::CheckpointExpired {
                    name: writer.name.clone(),
                    checkpoint,
                    store: writer.store.id.to_string(),
                    earliest: writer.store.earliest,
                });
            }
            Ok(StartPlan::Start { replay_from: None })
        }
    }
}

fn unknown_status(writer: &Writer) -> RuleViolation {
    RuleViolation::UnknownStatus {
        name: writer.name.clone(),
        reported: writer
            .backend_status
            .as_ref()
            .map_or_else(|| "unknown".into(), |word| word.to_string()),
    }
}

/// Decides whether `writer` may be paused.
pub fn plan_pause(writer: &Writer) -> Result<PausePlan, RuleViolation> {
    match writer.status {
        WriterStatus::Unknown => Err(unknown_status(writer)),
        WriterStatus::Running | WriterStatus::Starting => Ok(PausePlan::Pause),
        WriterStatus::Pausing | WriterStatus::Stopped | WriterStatus::Failed => {
            Ok(PausePlan::AlreadyStopped)
        }
    }
}

/// Checks a replay timestamp against the writer's kind and store range, as the Start dialog
/// does before submitting.
pub fn check_replay(
    writer: &Writer,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    check_replay_kind(writer)?;
    check_replay_range(writer, at, now)
}

fn check_replay_kind(writer: &Writer) -> Result<(), RuleViolation> {
    match writer.kind {
        WriterKind::Incremental => Ok(()),
        WriterKind::Full => Err(RuleViolation::ReplayNotSupported {
            name: writer.name.clone(),
        }),
    }
}

fn check_replay_range(
    writer: &Writer,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    if at < writer.store.earliest || at > now {
        return Err(RuleViolation::ReplayOutOfRange {
            asked: at,
            store: writer.store.id.to_string(),
            earliest: writer.store.earliest,
            latest: writer.store.latest.min(now),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::writer::{Project, Store};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn writer(status: WriterStatus, kind: WriterKind) -> Writer {
        let now = now();
        Writer {
            id: "10.0.0.1-9000:connector_v2:np_a-incr_trans-1-0:0000000001".into(),
            name: "np_a-incr_trans-1-0".into(),
            server_ip: "10.0.0.1".into(),
            region: "cn-hangzhou".into(),
            project: Project {
                id: "np_a".into(),
                name: "orders".into(),
            },
            kind,
            status,
            checkpoint: Some(now - Duration::minutes(5)),
            latency_ms: Some(300_000),
            store: Store {
                id: "store_a".into(),
                earliest: now - Duration::hours(24),
                latest: now,
            },
            message: None,
            version: 1,
            updated_at: now,
            backend_status: None,
        }
    }

    #[test]
    fn start_from_stopped_or_failed_starts() {
        for status in [WriterStatus::Stopped, WriterStatus::Failed] {
            let w = writer(status, WriterKind::Incremental);
            assert_eq!(
                plan_start(&w, None, now()),
                Ok(StartPlan::Start { replay_from: None })
            );
        }
    }

    #[test]
    fn start_when_running_is_a_no_op_and_pausing_is_refused() {
        for status in [WriterStatus::Running, WriterStatus::Starting] {
            let w = writer(status, WriterKind::Incremental);
            assert_eq!(plan_start(&w, None, now()), Ok(StartPlan::AlreadyRunning));
        }
        let w = writer(WriterStatus::Pausing, WriterKind::Incremental);
        assert!(matches!(
            plan_start(&w, None, now()),
            Err(RuleViolation::InvalidState { .. })
        ));
    }

    #[test]
    fn replay_on_a_full_writer_is_refused() {
        let w = writer(WriterStatus::Stopped, WriterKind::Full);
        let err = plan_start(&w, Some(now() - Duration::hours(1)), now());
        assert!(matches!(err, Err(RuleViolation::ReplayNotSupported { .. })));
    }

    #[test]
    fn replay_must_lie_between_earliest_and_now() {
        let w = writer(WriterStatus::Stopped, WriterKind::Incremental);
        let too_old = w.store.earliest - Duration::seconds(1);
        let future = now() + Duration::seconds(1);
        for at in [too_old, future] {
            let err = plan_start(&w, Some(at), now()).err();
            let Some(RuleViolation::ReplayOutOfRange { asked, .. }) = err else {
                panic!("expected out of range for {at}, got {err:?}");
            };
            assert_eq!(asked, at);
        }
        let inside = w.store.earliest;
        assert_eq!(
            plan_start(&w, Some(inside), now()),
            Ok(StartPlan::Start {
                replay_from: Some(inside)
            })
        );
    }

    #[test]
    fn expired_checkpoint_needs_replay() {
        let mut w = writer(WriterStatus::Stopped, WriterKind::Incremental);
        w.checkpoint = Some(w.store.earliest - Duration::minutes(1));
        let err = plan_start(&w, None, now()).err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("start with replay"), "{message}");
    }

    #[test]
    fn a_full_writer_with_an_old_checkpoint_starts_without_replay() {
        let mut w = writer(WriterStatus::Stopped, WriterKind::Full);
        w.checkpoint = Some(w.store.earliest - Duration::days(7));
        assert_eq!(
            plan_start(&w, None, now()),
            Ok(StartPlan::Start { replay_from: None })
        );
    }

    #[test]
    fn refusals_read_in_the_operators_zone() {
        let w = writer(WriterStatus::Stopped, WriterKind::Incremental);
        let err = plan_start(&w, Some(now() + Duration::hours(1)), now()).err();
        let Some(violation) = err else {
            panic!("a future timestamp is refused");
        };
        assert_eq!(
            violation.to_string(),
            "replay timestamp 2026-11-24T11:00:00Z is outside the change data store_a holds \
             (2026-11-23T10:00:00Z to 2026-11-24T10:00:00Z); choose a timestamp in that range"
        );
        let shanghai: Zone = "Asia/Shanghai".parse().unwrap_or_default();
        assert_eq!(
            violation.describe(Some(&shanghai)),
            "replay timestamp 2026-11-24 19:00:00 is outside the change data store_a holds \
             (2026-11-23 18:00:00 to 2026-11-24 18:00:00, Asia/Shanghai); choose a timestamp in \
             that range"
        );
    }

    #[test]
    fn replay_spans_say_what_is_skipped_or_written_again() {
        let w = writer(WriterStatus::Stopped, WriterKind::Incremental);
        let checkpoint = now() - Duration::minutes(5);
        let utc: Zone = "UTC".parse().unwrap_or_default();
        let forward = ReplaySpan::of(&w, checkpoint + Duration::minutes(105));
        assert!(forward.skips());
        assert_eq!(
            forward.describe(&utc).as_deref(),
            Some("skips 1h 45m of change data, 2026-11-24 09:55:00 → 11:40:00 (UTC)")
        );
        let backward = ReplaySpan::of(&w, checkpoint - Duration::hours(2));
        assert!(!backward.skips());
        assert_eq!(
            backward.describe(&utc).as_deref(),
            Some("writes 2h 00m of change data again, 2026-11-24 07:55:00 → 09:55:00 (UTC)")
        );
        assert_eq!(ReplaySpan::of(&w, checkpoint), ReplaySpan::Neither);
        let mut fresh = w.clone();
        fresh.checkpoint = None;
        assert_eq!(ReplaySpan::of(&fresh, now()).describe(&utc), None);
    }

    #[test]
    fn a_status_jwctl_does_not_know_is_neither_started_nor_paused() {
        let mut w = writer(WriterStatus::Unknown, WriterKind::Incremental);
        w.backend_status = Some("MONITORING".into());
        assert_eq!(w.status_label(), "MONITORING");
        for refused in [plan_start(&w, None, now()).err(), plan_pause(&w).err()] {
            let message = refused.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("'MONITORING'") && message.contains("OMS console"),
                "{message}"
            );
        }
        assert!(!WriterStatus::Unknown.can_start() && !WriterStatus::Unknown.can_pause());
    }

    #[test]
    fn pause_rules() {
        let cases = [
            (WriterStatus::Running, PausePlan::Pause),
            (WriterStatus::Starting, PausePlan::Pause),
            (WriterStatus::Pausing, PausePlan::AlreadyStopped),
            (WriterStatus::Stopped, PausePlan::AlreadyStopped),
            (WriterStatus::Failed, PausePlan::AlreadyStopped),
        ];
        for (status, plan) in cases {
            let w = writer(status, WriterKind::Incremental);
            assert_eq!(plan_pause(&w), Ok(plan), "{status}");
        }
    }
}
