//! The simulated fleet behind the seam: the engine (fleet in memory, the state store below).
//! The replica that leads ends each transition after the configured delay and saves the
//! running writers' checkpoints now and then; with a store other replicas share, every
//! replica also follows the changes they make through the shared revision log.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::{AuditFilter, Backend, BoxFuture, OperationRequest, WriterView, blocking};
use crate::api::{AuditEntry, Deployment};
use crate::controller::engine::Engine;
use crate::controller::error::ApiError;
use crate::domain::Writer;

/// How often the checkpoints of running writers are persisted.
const CHECKPOINT_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

/// How often the leader looks for transitions to end.
const SETTLE_EVERY: Duration = Duration::from_millis(50);

/// A replica that does not lead forgets the transitions others ended this often.
const FORGET_EVERY: u32 = 20;

/// How often the shared revision log is read: a change made through another replica is
/// served here within this and a scan of the change feed.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

/// The simulated fleet: the engine and its background tasks.
#[derive(Debug)]
pub(crate) struct Simulated {
    engine: Arc<Engine>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Simulated {
    /// Runs `engine` until `stopping` turns true, ending transitions and saving checkpoints
    /// while `leading`, following the shared revision log when `follow`.
    pub fn start(
        engine: Arc<Engine>,
        leading: watch::Receiver<bool>,
        follow: bool,
        stopping: watch::Receiver<bool>,
    ) -> Arc<Simulated> {
        let mut tasks = vec![
            tokio::spawn(flush_periodically(
                engine.clone(),
                leading.clone(),
                stopping.clone(),
            )),
            tokio::spawn(settle_periodically(
                engine.clone(),
                leading,
                stopping.clone(),
            )),
        ];
        if follow {
            tasks.push(tokio::spawn(follow_log(engine.clone(), stopping)));
        }
        Arc::new(Simulated {
            engine,
            tasks: Mutex::new(tasks),
        })
    }
}

impl Backend for Simulated {
    fn deployment(&self) -> Deployment {
        self.engine.deployment()
    }

    fn fleet_size(&self) -> usize {
        self.engine.fleet_size()
    }

    fn writer(&self, id: &str) -> Result<Writer, ApiError> {
        self.engine.writer(id)
    }

    fn list_body(
        self: Arc<Self>,
        region: Option<String>,
        revision: u64,
    ) -> BoxFuture<Result<Body, ApiError>> {
        Box::pin(blocking("listing writers failed", move || {
            Ok(self.engine.list_body(region.as_deref(), revision))
        }))
    }

    fn visit(&self, visit: &mut dyn FnMut(&dyn WriterView)) {
        self.engine.visit(visit);
    }

    fn changes(&self) -> Arc<Notify> {
        self.engine.changes()
    }

    fn audit(self: Arc<Self>, filter: AuditFilter) -> BoxFuture<Result<Vec<AuditEntry>, ApiError>> {
        Box::pin(blocking("reading the audit log failed", move || {
            self.engine.audit(&filter)
        }))
    }

    fn apply(self: Arc<Self>, request: OperationRequest) -> BoxFuture<Result<Writer, ApiError>> {
        Box::pin(blocking("applying an operation failed", move || {
            self.engine.apply(&request)
        }))
    }

    fn close(self: Arc<Self>) -> BoxFuture<()> {
        Box::pin(async move {
            let tasks =
                std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
            for task in tasks {
                let _ = task.await;
            }
            let engine = self.engine.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || engine.close()).await {
                tracing::error!("closing the database failed: {e}");
            }
        })
    }
}

async fn flush_periodically(
    engine: Arc<Engine>,
    leading: watch::Receiver<bool>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(CHECKPOINT_FLUSH_INTERVAL);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        if !*leading.borrow() {
            continue;
        }
        let engine = engine.clone();
        match tokio::task::spawn_blocking(move || engine.flush_checkpoints()).await {
            Ok(Ok(count)) => tracing::debug!(count, "checkpoints saved"),
            Ok(Err(e)) => tracing::error!("saving checkpoints failed: {e}"),
            Err(e) => tracing::error!("saving checkpoints failed: {e}"),
        }
    }
}

async fn settle_periodically(
    engine: Arc<Engine>,
    leading: watch::Receiver<bool>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(SETTLE_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u32;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        ticks = ticks.wrapping_add(1);
        let leads = *leading.borrow();
        if leads && !engine.any_due() || !leads && !ticks.is_multiple_of(FORGET_EVERY) {
            continue;
        }
        let engine = engine.clone();
        let done = tokio::task::spawn_blocking(move || {
            if leads {
                engine.settle_due();
            } else {
                engine.forget_ended();
            }
        })
        .await;
        if let Err(e) = done {
            tracing::error!("ending transitions failed: {e}");
        }
    }
}

async fn follow_log(engine: Arc<Engine>, mut stopping: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(FOLLOW_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        let following = engine.clone();
        match tokio::task::spawn_blocking(move || following.follow_log()).await {
            Ok(Ok(fresh)) => {
                if failing {
                    tracing::info!("the shared revision log is read again");
                    failing = false;
                }
                if fresh > 0 {
                    tracing::debug!(fresh, "changes followed from the revision log");
                }
            }
            Ok(Err(e)) => {
                if !failing {
                    tracing::warn!(
                        "reading the shared revision log failed ({e}); changes made through \
                         other replicas are not served here until it can be read"
                    );
                    failing = true;
                }
            }
            Err(e) => tracing::error!("reading the shared revision log failed: {e}"),
        }
    }
}
