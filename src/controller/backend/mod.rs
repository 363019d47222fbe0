//! The seam below the HTTP layer: whoever owns the writers. HTTP, auth, request parsing and
//! the wire format stay above it and know only this trait; below it is the simulated fleet
//! (the demo and the embedded controller), and next an OMS.

mod simulated;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::error::ApiError;
use crate::api::{AuditEntry, Deployment};
use crate::domain::Writer;

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

/// The operation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Start { replay_from: Option<DateTime<Utc>> },
    Pause,
}

/// Whoever owns the writers: lists them, reads one, applies starts and pauses (checking
/// If-Match and the shared rules, and recording every request that reaches a writer in the
/// audit log), and reads that log back.
pub(crate) trait Backend: Send + Sync + fmt::Debug {
    /// Regions of the fleet.
    fn deployment(&self) -> Deployment;

    /// How many writers there are.
    fn fleet_size(&self) -> usize;

    /// One writer, or 404 `writer_not_found`.
    fn writer(&self, id: &str) -> Result<Writer, ApiError>;

    /// `GET /v1/writers[?region=R]`, serialised.
    fn list_json(self: Arc<Self>, region: Option<String>) -> BoxFuture<Result<Vec<u8>, ApiError>>;

    /// The newest `limit` audit entries of writer `id`, newest first.
    fn audit(
        self: Arc<Self>,
        id: String,
        limit: u32,
    ) -> BoxFuture<Result<Vec<AuditEntry>, ApiError>>;

    /// Applies a start or pause; answers the writer as it is after the change (unchanged for
    /// a no-op).
    fn apply(self: Arc<Self>, request: OperationRequest) -> BoxFuture<Result<Writer, ApiError>>;

    /// Stops its background work and saves what must survive a restart.
    fn close(self: Arc<Self>) -> BoxFuture<()>;
}
