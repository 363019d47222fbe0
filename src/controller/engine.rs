//! The controller's core: the in-memory fleet and the state store, with one serialised path
//! for every change. A change is computed from the fleet, committed to the store, and only
//! then applied in memory and acknowledged. Every function here blocks; the HTTP layer calls them
//! from `spawn_blocking`.
//!
//! A change is judged against the writer as the store has it, inside the store's transaction
//! (with replicas sharing the store, another may have changed it); changes other replicas
//! commit come in through [`Engine::follow_log`].
//!
//! Lock order: `db`, `log_cursor`, `fleet`, `pending`. Readers take only `fleet`, briefly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::backend::{AuditFilter, Operation, OperationRequest, Verdict, WriterView, judge, lock};
use super::error::ApiError;
use super::fleet::{Fleet, Slot, StoreModel, WriterJson, WriterState, now_ms};
use super::list_body;
use super::store::{Decision, SavedCheckpoint, StateStore, StoreError};
use crate::api::{AuditEntry, BackendInfo, Deployment};
use crate::domain::{SharedClock, SharedStr, Writer, WriterStatus};

/// Writers a scan of the fleet visits under one hold of its lock.
const VISIT_SLICE: usize = 8_192;

/// Running writers whose checkpoints are saved in one transaction.
const FLUSH_BATCH: usize = 10_000;

/// Changes read from the shared revision log at a time.
const LOG_BATCH: usize = 10_000;

/// A writer whose transition ends at `due`, unless it changed since (its version is no longer
/// `version`); the leader ends it.
#[derive(Debug)]
struct Pending {
    id: SharedStr,
    version: u64,
    due: Instant,
}

/// Whether the engine's state store takes changes.
#[derive(Debug)]
enum Database {
    /// A demo fleet is being written to it: changes wait until it is.
    Seeding,
    Open,
    /// The demo fleet could not be written: why.
    Failed(String),
    /// Shut down: changes are refused.
    Closed,
}

/// A demo fleet served from memory while it is written to the database.
#[derive(Debug)]
pub(crate) struct DemoSeed {
    pub stores: Vec<StoreModel>,
    pub slots: Vec<Slot>,
}

/// Fleet plus state store.
#[derive(Debug)]
pub(crate) struct Engine {
    store: Arc<dyn StateStore>,
    /// Held by a change from its computation to its commit, and by a demo fleet's write
    /// until its outcome is settled: changes go one at a time.
    db: Mutex<Database>,
    /// Notified when the database leaves [`Database::Seeding`].
    db_ready: Condvar,
    /// Set at shutdown: a demo fleet still being written is given up.
    abandon_seeding: AtomicBool,
    fleet: Mutex<Fleet>,
    clock: SharedClock,
    transition: Duration,
    /// Poked after every committed change.
    changes: Arc<Notify>,
    /// Transitions to end, in no particular order.
    pending: Mutex<Vec<Pending>>,
    /// The revision of the last change read from the shared revision log.
    log_cursor: Mutex<u64>,
}

impl Engine {
    /// An engine serving `fleet`, loaded from `store` at fleet revision `revision`.
    pub fn new(
        store: Arc<dyn StateStore>,
        fleet: Fleet,
        revision: u64,
        clock: SharedClock,
        transition: Duration,
    ) -> Engine {
        Engine::with(Database::Open, store, fleet, revision, clock, transition)
    }

    /// An engine serving `fleet` from memory while [`Engine::seed`] writes it to the database:
    /// changes wait until it is written.
    pub fn seeding(
        store: Arc<dyn StateStore>,
        fleet: Fleet,
        clock: SharedClock,
        transition: Duration,
    ) -> Engine {
        Engine::with(Database::Seeding, store, fleet, 0, clock, transition)
    }

    fn with(
        db: Database,
        store: Arc<dyn StateStore>,
        fleet: Fleet,
        revision: u64,
        clock: SharedClock,
        transition: Duration,
    ) -> Engine {
        let now = now_ms(&clock);
        let pending = fleet
            .slice(0, fleet.len())
            .iter()
            .filter(|slot| slot.state.status.is_transitional())
            .map(|slot| Pending {
                id: slot.identity.id.clone(),
                version: slot.state.version,
                due: due(&slot.state, now, transition),
            })
            .collect();
        Engine {
            store,
            db: Mutex::new(db),
            db_ready: Condvar::new(),
            abandon_seeding: AtomicBool::new(false),
            log_cursor: Mutex::new(revision),
            fleet: Mutex::new(fleet),
            clock,
            transition,
            changes: Arc::new(Notify::new()),
            pending: Mutex::new(pending),
        }
    }

    /// Writes the demo fleet `seed` (the fleet this engine serves) to the store in one
    /// transaction, then lets the changes waiting for it through. Blocks for as long as that
    /// takes.
    pub fn seed(&self, seed: DemoSeed) {
        let started = std::time::Instant::now();
        // Held until the state says how the write went: a shutdown's flush waits for it, so
        // the checkpoints reached while the fleet was written are saved on top of it.
        let mut state = lock(&self.db);
        let written = self
            .store
            .seed(&seed.stores, &seed.slots, &self.abandon_seeding);
        if matches!(*state, Database::Seeding) {
            *state = match written {
                Ok(_) => {
                    tracing::info!(
                        writers = seed.slots.len(),
                        ms = started.elapsed().as_millis() as u64,
                        "demo fleet written to the database"
                    );
                    Database::Open
                }
                Err(_) if self.abandon_seeding.load(Ordering::Acquire) => {
                    tracing::info!("the demo fleet was not written: the controller shut down");
                    Database::Closed
                }
                Err(e) => {
                    tracing::error!("writing the demo fleet to the database failed: {e}");
                    Database::Failed(e.to_string())
                }
            };
        }
        drop(state);
        self.db_ready.notify_all();
        drop(seed);
        crate::resources::release_free_memory();
    }

    /// The database, once no demo fleet is being written to it.
    fn database(&self) -> MutexGuard<'_, Database> {
        self.db_ready
            .wait_while(lock(&self.db), |db| matches!(db, Database::Seeding))
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Notified after every committed change.
    pub fn changes(&self) -> Arc<Notify> {
        self.changes.clone()
    }

    /// Calls `visit` with the view of every writer now, by name, taking the fleet lock for
    /// [`VISIT_SLICE`] writers at a time: an operation waits for one slice, not for a scan of
    /// the whole fleet (the simulated fleet never gains or loses a writer, so positions hold
    /// between slices).
    pub fn visit(&self, visit: &mut dyn FnMut(&dyn WriterView)) {
        let mut from = 0;
        loop {
            let now = now_ms(&self.clock);
            let fleet = lock(&self.fleet);
            let slice = fleet.slice(from, VISIT_SLICE);
            if slice.is_empty() {
                return;
            }
            for slot in slice {
                visit(&SlotView {
                    slot,
                    json: slot.json(now),
                    now,
                });
            }
            from += slice.len();
        }
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
            // Known above the backend, which fills them in.
            replicas: Vec::new(),
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

    /// The audit entries `filter` admits, newest first.
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, ApiError> {
        self.store
            .audit(filter)
            .map_err(|e| ApiError::store("reading the audit log failed", &e))
    }

    /// Applies a start or pause: 404, then If-Match (412), then the rules, judged against the
    /// writer as the store has it, holding it there: with replicas sharing the store, two
    /// requests on the same writer through two of them take turns and the second sees the
    /// first's change. Every request that reaches a writer is audited, refusals included.
    pub fn apply(&self, request: &OperationRequest) -> Result<Writer, ApiError> {
        let db_guard = self.database();
        open(&db_guard)?;
        let now = now_ms(&self.clock);
        let id = request.writer_id.as_str();
        let known = lock(&self.fleet).get(id).cloned();
        let Some(known) = known else {
            return Err(ApiError::writer_not_found(id));
        };
        let immediate = self.transition.is_zero();
        // What the request came to: none when a change was saved.
        let mut answer: Option<Result<Writer, ApiError>> = None;
        let changed = self
            .store
            .change_writer(id, &mut |stored| {
                let state = current(&known.state, stored);
                let slot = Slot {
                    state: state.clone(),
                    ..known.clone()
                };
                let view = slot.view(now);
                let audit = |result: &str, message| request.audit(now, result, message);
                let (status, checkpoint) = match judge(request, &view, now) {
                    Verdict::Refused(error) => {
                        let entry = audit(error.code.as_str(), Some(error.message.clone()));
                        answer = Some(Err(error));
                        return Decision::Record(entry);
                    }
                    Verdict::NoOp => {
                        answer = Some(Ok(view));
                        return Decision::Record(audit("noop", None));
                    }
                    Verdict::Start { replay_from } => {
                        let from = replay_from.or(view.checkpoint).unwrap_or(view.store.latest);
                        (WriterStatus::Starting, Some(from))
                    }
                    Verdict::Pause => (WriterStatus::Pausing, None),
                };
                let status = if immediate { status.settled() } else { status };
                let mut next = state.changed(status, checkpoint, now, view.store.latest);
                if matches!(request.operation, Operation::Start { .. }) {
                    next.message = None;
                }
                answer = None;
                Decision::Save(next, Some(audit("ok", None)))
            })
            .map_err(|e| ApiError::store("saving a writer's change failed", &e))?
            .ok_or_else(|| ApiError::writer_not_found(id))?;
        self.remember(id, changed);
        answer.unwrap_or_else(|| self.writer(id))
    }

    /// Ends the transition of writer `id` if it is still at `version` (nothing changed it in
    /// the meantime): starting → running, pausing → stopped.
    fn settle(&self, id: &str, version: u64) -> Result<(), ApiError> {
        let db_guard = self.database();
        let Database::Open = &*db_guard else {
            return Ok(());
        };
        let now = now_ms(&self.clock);
        let known = lock(&self.fleet).get(id).cloned();
        let Some(known) = known else {
            return Ok(());
        };
        let changed = self
            .store
            .change_writer(id, &mut |stored| {
                if stored.version != version || !stored.status.is_transitional() {
                    return Decision::Nothing;
                }
                let state = current(&known.state, stored);
                let latest = known.store.at(now).latest;
                Decision::Save(
                    state.changed(state.status.settled(), None, now, latest),
                    None,
                )
            })
            .map_err(|e| ApiError::store("saving a finished transition failed", &e))?;
        if let Some(state) = changed {
            self.remember(id, state);
        }
        Ok(())
    }

    /// Ends the transitions that are due (the leader's work).
    pub fn settle_due(&self) {
        let now = Instant::now();
        let due: Vec<Pending> = {
            let mut pending = lock(&self.pending);
            let (due, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut *pending)
                .into_iter()
                .partition(|p| p.due <= now);
            *pending = later;
            due
        };
        for (at, p) in due.iter().enumerate() {
            if let Err(error) = self.settle(&p.id, p.version) {
                tracing::error!("a transition could not be completed: {}", error.message);
                // Tried again on the next round, with those not tried yet.
                lock(&self.pending)
                    .extend(due.into_iter().skip(at).map(|p| Pending { due: now, ..p }));
                return;
            }
        }
    }

    /// Whether a transition is due.
    pub fn any_due(&self) -> bool {
        let now = Instant::now();
        lock(&self.pending).iter().any(|p| p.due <= now)
    }

    /// Forgets the transitions another replica ended (a replica that does not lead).
    pub fn forget_ended(&self) {
        let fleet = lock(&self.fleet);
        lock(&self.pending).retain(|p| {
            fleet
                .get(&p.id)
                .is_some_and(|slot| slot.state.version == p.version)
        });
    }

    /// Reads the changes other replicas made from the shared revision log, and serves them:
    /// answers how many were new here.
    pub fn follow_log(&self) -> Result<usize, StoreError> {
        let Some(shared) = self.store.shared() else {
            return Ok(0);
        };
        let mut cursor = lock(&self.log_cursor);
        let mut fresh = 0;
        loop {
            let changes = shared.changes_since(*cursor, LOG_BATCH)?;
            let full = changes.len() == LOG_BATCH;
            for change in changes {
                *cursor = (*cursor).max(change.revision);
                if self.remember(&change.id, change.state) {
                    fresh += 1;
                }
            }
            if !full {
                return Ok(fresh);
            }
        }
    }

    /// Serves writer `id`'s stored `state`, unless what is served is as new: answers whether
    /// it was older. A transitional state is ended in time by the leader.
    fn remember(&self, id: &str, state: WriterState) -> bool {
        let now = now_ms(&self.clock);
        let mut fleet = lock(&self.fleet);
        let Some(slot) = fleet.get(id) else {
            return false;
        };
        if slot.state.version >= state.version {
            return false;
        }
        if state.status.is_transitional() {
            lock(&self.pending).push(Pending {
                id: slot.identity.id.clone(),
                version: state.version,
                due: due(&state, now, self.transition),
            });
        }
        fleet.set_state(id, state);
        drop(fleet);
        self.changes.notify_one();
        true
    }

    /// Persists the current checkpoints of running writers, [`FLUSH_BATCH`] writers per
    /// transaction: the database is free for operations between batches (a million writers
    /// take seconds to save), and a writer changed since its checkpoint was read is left as
    /// its change saved it.
    pub fn flush_checkpoints(&self) -> Result<usize, StoreError> {
        let now = now_ms(&self.clock);
        let mut saved = 0;
        let mut from = 0;
        // A batch at a time, so the copy stays small (a million writers' checkpoints at once
        // are 50 MB) and the fleet's lock is held only while a batch is read.
        loop {
            let batch: Vec<SavedCheckpoint> = {
                let fleet = lock(&self.fleet);
                if from >= fleet.len() {
                    break;
                }
                let slice = fleet.slice(from, FLUSH_BATCH);
                from += slice.len();
                slice
                    .iter()
                    .filter(|slot| slot.state.status == WriterStatus::Running)
                    .filter_map(|slot| {
                        let latest = slot.store.at(now).latest;
                        Some(SavedCheckpoint {
                            id: slot.identity.id.clone(),
                            checkpoint: slot.state.checkpoint(now, latest)?,
                            at: now,
                            version: slot.state.version,
                        })
                    })
                    .collect()
            };
            if batch.is_empty() {
                continue;
            }
            // Waits for a demo fleet being written (its write holds the lock), then saves on
            // top of it; none when it was given up.
            let db_guard = lock(&self.db);
            let Database::Open = &*db_guard else {
                return Ok(0);
            };
            self.store.save_checkpoints(&batch)?;
            saved += batch.len();
        }
        Ok(saved)
    }

    /// Flushes checkpoints and closes the database; later changes are refused. A demo fleet
    /// still being written is given up (it stops within a few rows and does not commit), and
    /// the next start seeds again.
    pub fn close(&self) {
        self.abandon_seeding.store(true, Ordering::Release);
        if let Err(e) = self.flush_checkpoints() {
            tracing::error!("saving checkpoints at shutdown failed: {e}");
        }
        *lock(&self.db) = Database::Closed;
        self.db_ready.notify_all();
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

    fn shared_id(&self) -> SharedStr {
        self.slot.identity.id.clone()
    }

    fn region(&self) -> &SharedStr {
        &self.slot.identity.region
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

/// The state to change: `memory`'s when the store holds the same version (memory may have
/// re-anchored it at a restart), else the store's, which another replica changed.
fn current(memory: &WriterState, stored: &WriterState) -> WriterState {
    if memory.version == stored.version {
        memory.clone()
    } else {
        stored.clone()
    }
}

/// When the transition `state` entered ends: `transition` after it began, by `now`.
fn due(state: &WriterState, now: DateTime<Utc>, transition: Duration) -> Instant {
    let elapsed = (now - state.updated_at).to_std().unwrap_or_default();
    Instant::now() + transition.saturating_sub(elapsed)
}

/// Whether the store takes changes, or why they are refused.
fn open(db: &MutexGuard<'_, Database>) -> Result<(), ApiError> {
    match &**db {
        Database::Open => Ok(()),
        Database::Failed(why) => Err(ApiError::internal(
            "request refused",
            &format!(
                "the demo fleet could not be written to the database ({why}); restart the \
                 controller"
            ),
        )),
        Database::Seeding | Database::Closed => Err(shutting_down()),
    }
}

fn shutting_down() -> ApiError {
    ApiError::internal(
        "request refused",
        &"the controller is shutting down and its database is closed",
    )
}
