//! Every writer's latency and status history, built from what the change feed's scans see
//! (the same for the simulated fleet and for OMS polls): the last 15 minutes at 10 s steps and
//! the last 6 hours at 1 minute steps. Before the controller saw a writer, its points are
//! null.

mod series;
mod store;

use chrono::{DateTime, Utc};

pub(crate) use series::Series;
pub(crate) use store::{load, save};

use crate::api::{AuditAction, AuditEntry, HistoryEvent, HistoryEventKind, HistoryPoint};
use crate::domain::{WriterStatus, format_utc};

/// The events of a window: the operations in `audit` (newest first, as the audit log answers)
/// that acted (refusals and no-ops changed nothing) at or after `from`, and the status changes between consecutive seen `points`;
/// oldest first.
pub(crate) fn events(
    points: &[HistoryPoint],
    audit: &[AuditEntry],
    from: DateTime<Utc>,
) -> Vec<HistoryEvent> {
    // The audit comes newest first: reversed, operations at the same instant keep their
    // order through the (stable) sort below.
    let mut events: Vec<HistoryEvent> = audit
        .iter()
        .rev()
        .filter(|entry| entry.result == "ok" && entry.at >= from)
        .map(operation_event)
        .collect();
    let mut last: Option<WriterStatus> = None;
    for point in points {
        let Some(status) = point.status else {
            continue;
        };
        if let Some(before) = last
            && before != status
        {
            events.push(HistoryEvent {
                t: point.t,
                kind: HistoryEventKind::Status,
                actor: None,
                detail: format!("{} → {}", before.as_str(), status.as_str()),
                replay_from: None,
            });
        }
        last = Some(status);
    }
    events.sort_by_key(|e| e.t);
    events
}

fn operation_event(entry: &AuditEntry) -> HistoryEvent {
    let actor = &entry.actor;
    let (kind, detail) = match (entry.action, entry.replay_from) {
        (AuditAction::Pause, _) => (HistoryEventKind::Pause, format!("paused by {actor}")),
        (AuditAction::Start, None) => (HistoryEventKind::Start, format!("started by {actor}")),
        (AuditAction::Start, Some(from)) => (
            HistoryEventKind::Replay,
            format!("started by {actor}, replaying from {}", format_utc(from)),
        ),
    };
    HistoryEvent {
        t: entry.at,
        kind,
        actor: Some(actor.clone()),
        detail,
        replay_from: entry.replay_from,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
    }

    fn entry(at: DateTime<Utc>, action: AuditAction, replay: bool, result: &str) -> AuditEntry {
        AuditEntry {
            id: 1,
            at,
            actor: "alice".into(),
            writer_id: "w".into(),
            action,
            replay_from: replay.then(|| t0() - Duration::hours(1)),
            result: result.into(),
            message: None,
        }
    }

    fn point(secs: i64, status: Option<WriterStatus>) -> HistoryPoint {
        HistoryPoint {
            t: t0() + Duration::seconds(secs),
            latency_ms: None,
            status,
        }
    }

    #[test]
    fn events_are_the_operations_that_acted_and_the_status_changes_oldest_first() {
        let audit = [
            entry(t0() + Duration::seconds(25), AuditAction::Start, true, "ok"),
            entry(t0() + Duration::seconds(5), AuditAction::Pause, false, "ok"),
            entry(
                t0() + Duration::seconds(6),
                AuditAction::Pause,
                false,
                "noop",
            ),
            entry(
                t0() + Duration::seconds(7),
                AuditAction::Start,
                false,
                "stale_replay",
            ),
            entry(t0() - Duration::seconds(1), AuditAction::Start, false, "ok"),
        ];
        let points = [
            point(0, None),
            point(10, Some(WriterStatus::Running)),
            point(20, Some(WriterStatus::Stopped)),
            point(30, None),
            point(40, Some(WriterStatus::Stopped)),
            point(50, Some(WriterStatus::Running)),
        ];
        let events = events(&points, &audit, t0());
        let summary: Vec<(i64, HistoryEventKind, &str)> = events
            .iter()
            .map(|e| ((e.t - t0()).num_seconds(), e.kind, e.detail.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (5, HistoryEventKind::Pause, "paused by alice"),
                (20, HistoryEventKind::Status, "running → stopped"),
                (
                    25,
                    HistoryEventKind::Replay,
                    "started by alice, replaying from 2026-11-24T09:00:00Z"
                ),
                (50, HistoryEventKind::Status, "stopped → running"),
            ]
        );
        assert_eq!(events[2].replay_from, Some(t0() - Duration::hours(1)));
        assert_eq!(events[1].actor, None);
    }

    #[test]
    fn operations_at_the_same_instant_keep_their_order() {
        // Newest first, as the audit log answers: the start came after the pause.
        let audit = [
            entry(t0(), AuditAction::Start, false, "ok"),
            entry(t0(), AuditAction::Pause, false, "ok"),
        ];
        let kinds: Vec<HistoryEventKind> =
            events(&[], &audit, t0()).iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [HistoryEventKind::Pause, HistoryEventKind::Start]);
    }
}
