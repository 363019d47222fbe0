//! The simulated fleet behind the seam: the engine (fleet in memory, SQLite below), the end of
//! each transition after the configured delay, and the periodic saving of checkpoints.

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

/// The simulated fleet: the engine and its background tasks.
#[derive(Debug)]
pub(crate) struct Simulated {
    engine: Arc<Engine>,
    /// Turns true when the controller shuts down: pending transitions stop waiting.
    stopping: watch::Receiver<bool>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

impl Simulated {
    /// Runs `engine` until `stopping` turns true, saving checkpoints periodically.
    pub fn start(engine: Arc<Engine>, stopping: watch::Receiver<bool>) -> Arc<Simulated> {
        let flusher = tokio::spawn(flush_periodically(engine.clone(), stopping.clone()));
        Arc::new(Simulated {
            engine,
            stopping,
            flusher: Mutex::new(Some(flusher)),
        })
    }

    /// Ends the transition of writer `id` at `version` once the transition time has passed,
    /// unless the controller stops first.
    fn schedule_settle(&self, id: String, version: u64) {
        let engine = self.engine.clone();
        let mut stopping = self.stopping.clone();
        let delay = engine.transition();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stopping.wait_for(|stopping| *stopping) => return,
            }
            let settled = tokio::task::spawn_blocking(move || engine.settle(&id, version)).await;
            if let Ok(Err(error)) = settled {
                tracing::error!("a transition could not be completed: {}", error.message);
            }
        });
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
        Box::pin(async move {
            let engine = self.engine.clone();
            let applied = blocking("applying an operation failed", move || {
                engine.apply(&request)
            })
            .await?;
            if let Some(version) = applied.settle_version {
                self.schedule_settle(applied.writer.id.clone(), version);
            }
            Ok(applied.writer)
        })
    }

    fn close(self: Arc<Self>) -> BoxFuture<()> {
        Box::pin(async move {
            let flusher = self
                .flusher
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(flusher) = flusher {
                let _ = flusher.await;
            }
            let engine = self.engine.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || engine.close()).await {
                tracing::error!("closing the database failed: {e}");
            }
        })
    }
}

async fn flush_periodically(engine: Arc<Engine>, mut stopping: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(CHECKPOINT_FLUSH_INTERVAL);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        let engine = engine.clone();
        match tokio::task::spawn_blocking(move || engine.flush_checkpoints()).await {
            Ok(Ok(count)) => tracing::debug!(count, "checkpoints saved"),
            Ok(Err(e)) => tracing::error!("saving checkpoints failed: {e}"),
            Err(e) => tracing::error!("saving checkpoints failed: {e}"),
        }
    }
}
