//! The seam below the HTTP layer: whoever owns the writers. HTTP, auth, request parsing and
//! the wire format stay above it and know only this trait; below it is the simulated fleet
//! (the demo and the embedded controller), and next an OMS.

mod oms;
mod simulated;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Body;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::error::ApiError;
use super::store::NewAudit;
use crate::api::{AuditAction, AuditEntry, Deployment};
use crate::domain::{
    PausePlan, SharedStr, StartPlan, Writer, WriterStatus, plan_pause, plan_start,
};

pub(crate) use oms::Oms;
pub(crate) use simulated::Simulated;

/// A future a backend returns; `'static` so the HTTP layer can await it anywhere.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A start or pause asked for by an operator.
#[derive(Debug, Clone)]
pub(crate) struct OperationRequest {
    pub writer_id: String,
    pub operation: Operation,
    /// The writer version the operator saw; a different one refuses the request (412).
    pub if_match: Option<u64>,
    /// Who asks, for the audit log.
    pub actor: String,
}

/// Which audit entries to read: each field given narrows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuditFilter {
    pub writer: Option<String>,
    pub actor: Option<String>,
    /// At or after this instant.
    pub since: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// The operation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Start { replay_from: Option<DateTime<Utc>> },
    Pause,
}

impl OperationRequest {
    /// The audit entry recording this request at `at` with its `result`.
    pub(crate) fn audit(
        &self,
        at: DateTime<Utc>,
        result: &str,
        message: Option<String>,
    ) -> NewAudit {
        let (action, replay_from) = match self.operation {
            Operation::Start { replay_from } => (AuditAction::Start, replay_from),
            Operation::Pause => (AuditAction::Pause, None),
        };
        NewAudit {
            at,
            actor: self.actor.clone(),
            writer_id: self.writer_id.clone(),
            action,
            replay_from,
            result: result.to_string(),
            message,
        }
    }
}

/// Locks `mutex`, going on after a panic elsewhere poisoned it rather than failing every
/// later request.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `work` on the blocking pool (SQLite blocks), `what` naming it if the task fails.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(what, &e))?
}

/// What a request comes to against the writer as its backend has it now, before anything
/// changes. Every backend judges with this one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 412 (If-Match), or the shared rules' refusal (409, 422): record it and answer it.
    Refused(ApiError),
    /// Nothing to do: already running, already stopped.
    NoOp,
    /// Start, replaying from this instant when given.
    Start { replay_from: Option<DateTime<Utc>> },
    /// Pause.
    Pause,
}

/// Judges `request` against `writer` at `now`: If-Match first, then the shared rules.
pub(crate) fn judge(request: &OperationRequest, writer: &Writer, now: DateTime<Utc>) -> Verdict {
    if let Some(expected) = request.if_match
        && expected != writer.version
    {
        return Verdict::Refused(ApiError::version_mismatch(writer.clone(), expected));
    }
    let refused = |violation: crate::domain::RuleViolation| {
        ApiError::new(violation.code(), violation.to_string())
    };
    match request.operation {
        Operation::Start { replay_from } => match plan_start(writer, replay_from, now) {
            Err(violation) => Verdict::Refused(refused(violation)),
            Ok(StartPlan::AlreadyRunning) => Verdict::NoOp,
            Ok(StartPlan::Start { replay_from }) => Verdict::Start { replay_from },
        },
        Operation::Pause => match plan_pause(writer) {
            Err(violation) => Verdict::Refused(refused(violation)),
            Ok(PausePlan::AlreadyStopped) => Verdict::NoOp,
            Ok(PausePlan::Pause) => Verdict::Pause,
        },
    }
}

/// A writer as the change feed sees it on each scan, borrowed from the backend's fleet: what
/// the feed compares with what it last published, without a [`Writer`] allocated per writer
/// per scan. [`WriterView::writer`] builds the whole writer, only for those published whole.
pub(crate) trait WriterView {
    /// The writer's id.
    fn id(&self) -> &str;
    /// The same id, to keep: shared with the backend's own copy where it has one.
    fn shared_id(&self) -> SharedStr {
        SharedStr::from(self.id())
    }
    /// Its region (for `?region=` on deltas).
    fn region(&self) -> &SharedStr;
    /// Changes whenever anything about the writer changes except its progress (a running
    /// writer's checkpoint and latency, any writer's latency) and its store's range sliding
    /// with time — its region, name, message and placement included: a version, or a hash of
    /// the fields shown.
    fn stamp(&self) -> u64;
    /// Its status.
    fn status(&self) -> WriterStatus;
    /// Its checkpoint now.
    fn checkpoint(&self) -> Option<DateTime<Utc>>;
    /// Its latency now, in milliseconds.
    fn latency_ms(&self) -> Option<u64>;
    /// The whole writer as the API shows it now.
    fn writer(&self) -> Writer;
}

/// Whoever owns the writers: lists them, reads one, applies starts and pauses, and reads the
/// audit log back. Applying judges the request with [`judge`] against the writer as the
/// backend has it at that moment, records every request that reaches a writer in the audit
/// log, refusals included, and only then acts (the simulated backend commits the change and
/// its audit entry in one SQLite transaction).
pub(crate) trait Backend: Send + Sync + fmt::Debug {
    /// Regions of the fleet.
    fn deployment(&self) -> Deployment;

    /// How many writers there are.
    fn fleet_size(&self) -> usize;

    /// One writer, or 404 `writer_not_found`.
    fn writer(&self, id: &str) -> Result<Writer, ApiError>;

    /// The JSON body of `GET /v1/writers[?region=R]` with `revision` (the change feed's, read
    /// before this snapshot is taken), streamed as it is serialised.
    fn list_body(
        self: Arc<Self>,
        region: Option<String>,
        revision: u64,
    ) -> BoxFuture<Result<Body, ApiError>>;

    /// Calls `visit` with every writer's current view, in the backend's order, holding its
    /// fleet lock: `visit` must be quick and must not call back into the backend.
    fn visit(&self, visit: &mut dyn FnMut(&dyn WriterView));

    /// Notified (`notify_one`) after anything but progress may have changed (an operation
    /// applied, a transition ended, a poll taken in), so the change feed scans at once.
    fn changes(&self) -> Arc<Notify>;

    /// The newest `filter.limit` audit entries `filter` admits, newest first.
    fn audit(self: Arc<Self>, filter: AuditFilter) -> BoxFuture<Result<Vec<AuditEntry>, ApiError>>;

    /// Applies a start or pause; answers the writer as it is after the change (unchanged for
    /// a no-op).
    fn apply(self: Arc<Self>, request: OperationRequest) -> BoxFuture<Result<Writer, ApiError>>;

    /// Stops its background work and saves what must survive a restart.
    fn close(self: Arc<Self>) -> BoxFuture<()>;
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::api::ErrorCode;
    use crate::domain::{Project, Store, WriterKind, WriterStatus};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn writer(status: WriterStatus) -> Writer {
        Writer {
            id: "w".into(),
            name: "w".into(),
            server_ip: "10.0.0.1".into(),
            region: "cn-hangzhou".into(),
            project: Project {
                id: "np_a".into(),
                name: "orders".into(),
            },
            kind: WriterKind::Incremental,
            status,
            checkpoint: Some(now() - Duration::minutes(5)),
            latency_ms: Some(300_000),
            store: Store {
                id: "store_a".into(),
                earliest: now() - Duration::hours(24),
                latest: now(),
            },
            message: None,
            version: 4,
            updated_at: now(),
            backend_status: None,
        }
    }

    fn request(operation: Operation, if_match: Option<u64>) -> OperationRequest {
        OperationRequest {
            writer_id: "w".into(),
            operation,
            if_match,
            actor: "ops".into(),
        }
    }

    #[test]
    fn if_match_comes_first_then_the_shared_rules() {
        let stopped = writer(WriterStatus::Stopped);
        let start = Operation::Start { replay_from: None };
        let stale = judge(&request(start, Some(3)), &stopped, now());
        assert!(
            matches!(&stale, Verdict::Refused(e) if e.code == ErrorCode::VersionMismatch),
            "{stale:?}"
        );
        assert_eq!(
            judge(&request(start, Some(4)), &stopped, now()),
            Verdict::Start { replay_from: None }
        );
        assert_eq!(
            judge(&request(Operation::Pause, None), &stopped, now()),
            Verdict::NoOp
        );
        let future = Operation::Start {
            replay_from: Some(now() + Duration::hours(1)),
        };
        let refused = judge(&request(future, None), &stopped, now());
        assert!(
            matches!(&refused, Verdict::Refused(e) if e.code == ErrorCode::ReplayOutOfRange),
            "{refused:?}"
        );
        assert_eq!(
            judge(
                &request(Operation::Pause, None),
                &writer(WriterStatus::Running),
                now()
            ),
            Verdict::Pause
        );
    }
}
