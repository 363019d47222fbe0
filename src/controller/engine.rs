//! The controller's core: the in-memory fleet and the database, with one serialised path for
//! every change. A change is computed from the fleet, committed to SQLite, and only then
//! applied in memory and acknowledged. Every function here blocks; the HTTP layer calls them
//! from `spawn_blocking`.
//!
//! Lock order: `db` before `fleet`. Readers take only `fleet`, briefly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::backend::{Operation, OperationRequest, Verdict, WriterView, judge, lock};
use super::db::{AuditReader, Db, NewAudit};
use super::error::ApiError;
use super::fleet::{Fleet, Slot, WriterJson, now_ms};
use super::list_body;
use crate::api::{AuditEntry, BackendInfo, Deployment};
use crate::domain::{SharedClock, Writer, WriterStatus};

/// The result of an accepted operation.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    /// The writer after the change.
    pub writer: Writer,
    /// When the writer entered a transitional state: its version, to settle it later.
    pub settle_version: Option<u64>,
}

/// Fleet plus database.
#[derive(Debug)]
pub(crate) struct Engine {
    db: Mutex<Option<Db>>,
    audit_reader: Mutex<Option<AuditReader>>,
    fleet: Mutex<Fleet>,
    clock: SharedClock,
    transition: Duration,
    /// Poked after every committed change.
    changes: Arc<Notify>,
}

impl Engine {
    pub fn new(
        db: Db,
        audit_reader: AuditReader,
        fleet: Fleet,
        clock: SharedClock,
        transition: Duration,
    ) -> Engine {
        Engine {
            db: Mutex::new(Some(db)),
            audit_reader: Mutex::new(Some(audit_reader)),
            fleet: Mutex::new(fleet),
            clock,
            transition,
            changes: Arc::new(Notify::new()),
        }
    }

    /// Notified after every committed change.
    pub fn changes(&self) -> Arc<Notify> {
        self.changes.clone()
    }

    /// Calls `visit` with the view of every writer now, under the fleet lock.
    pub fn visit(&self, visit: &mut dyn FnMut(&dyn WriterView)) {
        let now = now_ms(&self.clock);
        let fleet = lock(&self.fleet);
        for slot in fleet.iter() {
            visit(&SlotView {
                slot,
                json: slot.json(now),
                now,
            });
        }
    }

    /// How long starting and pausing last.
    pub fn transition(&self) -> Duration {
        self.transition
    }

    /// Number of writers.
    pub fn fleet_size(&self) -> usize {
        lock(&self.fleet).len()
    }

    /// `GET /v1/deployment`.
    pub fn deployment(&self) -> Deployment {
        let regions = lock(&self.fleet).regions().to_vec();
        Deployment {
            multi_region: regions.len() > 1,
            regions,
            backend: BackendInfo::default(),
        }
    }

    /// `GET /v1/writers/{id}`.
    pub fn writer(&self, id: &str) -> Result<Writer, ApiError> {
        let now = now_ms(&self.clock);
        let fleet = lock(&self.fleet);
        fleet
            .get(id)
            .map(|slot| slot.view(now))
            .ok_or_else(|| ApiError::writer_not_found(id))
    }

    /// `GET /v1/writers[?region=R]` at `revision`: the writers as they are now, serialised
    /// outside the fleet lock while the body streams. Call it within the Tokio runtime.
    pub fn list_body(&self, region: Option<&str>, revision: u64) -> Body {
        let now = now_ms(&self.clock);
        let slots = lock(&self.fleet).snapshot(region);
        list_body::writer_list(
            revision,
            slots,
            Arc::new(move |slot: &Slot, out: &mut Vec<u8>| {
                serde_json::to_writer(out, &slot.json(now))
            }),
        )
    }

    /// `GET /v1/writers/{id}/audit`.
    pub fn audit(&self, id: &str, limit: u32) -> Result<Vec<AuditEntry>, ApiError> {
        if lock(&self.fleet).get(id).is_none() {
            return Err(ApiError::writer_not_found(id));
        }
        let reader = lock(&self.audit_reader);
        let reader = reader.as_ref().ok_or_else(shutting_down)?;
        reader
            .audit(id, limit)
            .map_err(|e| ApiError::internal("reading the audit log failed", &e))
    }

    /// Applies a start or pause: 404, then If-Match (412), then the rules. Every request that
    /// reaches a writer is audited, refusals included.
    pub fn apply(&self, request: &OperationRequest) -> Result<Applied, ApiError> {
        let mut db_guard = lock(&self.db);
        let db = db_guard.as_mut().ok_or_else(shutting_down)?;
        let now = now_ms(&self.clock);
        let (view, state, revision) = {
            let fleet = lock(&self.fleet);
            let slot = fleet
                .get(&request.writer_id)
                .ok_or_else(|| ApiError::writer_not_found(&request.writer_id))?;
            (slot.view(now), slot.state.clone(), fleet.revision)
        };
        let audit = |result: &str, message: Option<String>| request.audit(now, result, message);
        let record = |db: &mut Db, entry: NewAudit| {
            db.record_audit(&entry)
                .map_err(|e| ApiError::internal("recording an audit entry failed", &e))
        };
        let (status, checkpoint) = match judge(request, &view, now) {
            Verdict::Refused(error) => {
                record(db, audit(error.code.as_str(), Some(error.message.clone())))?;
                return Err(error);
            }
            Verdict::NoOp => {
                record(db, audit("noop", None))?;
                return Ok(Applied {
                    writer: view,
                    settle_version: None,
                });
            }
            Verdict::Start { replay_from } => {
                let from = replay_from.or(view.checkpoint).unwrap_or(view.store.latest);
                (WriterStatus::Starting, Some(from))
            }
            Verdict::Pause => (WriterStatus::Pausing, None),
        };
        let immediate = self.transition.is_zero();
        let status = if immediate { status.settled() } else { status };
        let mut next = state.changed(status, checkpoint, now, view.store.latest);
        if matches!(request.operation, Operation::Start { .. }) {
            next.message = None;
        }
        let version = next.version;
        db.commit_change(
            &request.writer_id,
            &next,
            revision.saturating_add(1),
            Some(&audit("ok", None)),
        )
        .map_err(|e| ApiError::internal("saving a writer's change failed", &e))?;
        let writer = {
            let mut fleet = lock(&self.fleet);
            fleet.set_state(&request.writer_id, next, revision.saturating_add(1));
            fleet
                .get(&request.writer_id)
                .map(|slot| slot.view(now))
                .ok_or_else(|| ApiError::writer_not_found(&request.writer_id))?
        };
        self.changes.notify_one();
        Ok(Applied {
            writer,
            settle_version: (!immediate).then_some(version),
        })
    }

    /// Ends the transition of writer `id` if it is still at `version` (nothing changed it in
    /// the meantime): starting → running, pausing → stopped.
    pub fn settle(&self, id: &str, version: u64) -> Result<(), ApiError> {
        let mut db_guard = lock(&self.db);
        let Some(db) = db_guard.as_mut() else {
            return Ok(());
        };
        let now = now_ms(&self.clock);
        let (next, revision) = {
            let fleet = lock(&self.fleet);
            let Some(slot) = fleet.get(id) else {
                return Ok(());
            };
            if slot.state.version != version || !slot.state.status.is_transitional() {
                return Ok(());
            }
            let latest = slot.store.at(now).latest;
            let next = slot
                .state
                .changed(slot.state.status.settled(), None, now, latest);
            (next, fleet.revision.saturating_add(1))
        };
        db.commit_change(id, &next, revision, None)
            .map_err(|e| ApiError::internal("saving a finished transition failed", &e))?;
        lock(&self.fleet).set_state(id, next, revision);
        self.changes.notify_one();
        Ok(())
    }

    /// Persists the current checkpoints of running writers.
    pub fn flush_checkpoints(&self) -> Result<usize, rusqlite::Error> {
        let mut db_guard = lock(&self.db);
        let Some(db) = db_guard.as_mut() else {
            return Ok(0);
        };
        let now = now_ms(&self.clock);
        let checkpoints: Vec<_> = {
            let fleet = lock(&self.fleet);
            fleet
                .running()
                .filter_map(|slot| {
                    let latest = slot.store.at(now).latest;
                    let checkpoint = slot.state.checkpoint(now, latest)?;
                    Some((slot.identity.id.clone(), checkpoint, now))
                })
                .collect()
        };
        db.save_checkpoints(&checkpoints)?;
        Ok(checkpoints.len())
    }

    /// Flushes checkpoints and closes the database; later changes are refused.
    pub fn close(&self) {
        if let Err(e) = self.flush_checkpoints() {
            tracing::error!("saving checkpoints at shutdown failed: {e}");
        }
        drop(lock(&self.audit_reader).take());
        drop(lock(&self.db).take());
    }
}

/// A simulated writer as the change feed sees it.
struct SlotView<'a> {
    slot: &'a Slot,
    json: WriterJson<'a>,
    now: DateTime<Utc>,
}

impl WriterView for SlotView<'_> {
    fn id(&self) -> &str {
        self.json.id
    }

    fn region(&self) -> &str {
        self.json.region
    }

    /// The version: identities never change, and every change of state bumps it.
    fn stamp(&self) -> u64 {
        self.json.version
    }

    fn status(&self) -> WriterStatus {
        self.json.status
    }

    fn checkpoint(&self) -> Option<DateTime<Utc>> {
        self.json.checkpoint
    }

    fn latency_ms(&self) -> Option<u64> {
        self.json.latency_ms
    }

    fn writer(&self) -> Writer {
        self.slot.view(self.now)
    }
}

fn shutting_down() -> ApiError {
    ApiError::internal(
        "request refused",
        &"the controller is shutting down and its database is closed",
    )
}
