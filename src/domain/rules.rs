//! The start/pause rules of the console page, enforced by the controller and checked early by
//! clients so operators hear about a problem before they submit.

use chrono::{DateTime, Utc};

use super::format::format_utc;
use super::writer::{Writer, WriterKind, WriterStatus};

/// Why a start or pause is refused. Each maps to one API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// The writer's status does not allow the operation.
    #[error("{name} is {status}; {advice}")]
    InvalidState {
        name: String,
        status: WriterStatus,
        advice: &'static str,
    },
    /// Replay was asked of a writer that is not an incremental-sync writer.
    #[error(
        "data replay applies only to incremental data synchronization writers; {name} is a full migration writer. Start it without replay"
    )]
    ReplayNotSupported { name: String },
    /// The replay timestamp is outside the store's retained range (or in the future).
    #[error(
        "replay timestamp {asked} is outside the range store {store} holds ({earliest} to {latest}); choose a timestamp in that range"
    )]
    ReplayOutOfRange {
        asked: String,
        store: String,
        earliest: String,
        latest: String,
    },
    /// Resuming from the checkpoint is impossible: that data has left the store.
    #[error(
        "checkpoint {checkpoint} of {name} is older than the earliest data store {store} still holds ({earliest}); start with replay from a timestamp at or after {earliest}"
    )]
    CheckpointExpired {
        name: String,
        checkpoint: String,
        store: String,
        earliest: String,
    },
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
    }
    match replay_from {
        Some(at) => {
            check_replay_range(writer, at, now)?;
            Ok(StartPlan::Start {
                replay_from: Some(at),
            })
        }
        None => {
            if let Some(checkpoint) = writer.checkpoint
                && checkpoint < writer.store.earliest
            {
                return Err(RuleViolation::CheckpointExpired {
                    name: writer.name.clone(),
                    checkpoint: format_utc(checkpoint),
                    store: writer.store.id.clone(),
                    earliest: format_utc(writer.store.earliest),
                });
            }
            Ok(StartPlan::Start { replay_from: None })
        }
    }
}

/// Decides whether `writer` may be paused.
pub fn plan_pause(writer: &Writer) -> Result<PausePlan, RuleViolation> {
    match writer.status {
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
            asked: format_utc(at),
            store: writer.store.id.clone(),
            earliest: format_utc(writer.store.earliest),
            latest: format_utc(writer.store.latest.min(now)),
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
            assert_eq!(asked, format_utc(at));
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
