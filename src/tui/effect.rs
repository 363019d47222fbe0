//! What [`super::update::update`] asks the runtime to do. Effects are data: the runtime
//! performs them and feeds the results back as actions.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::fleet::Fleet;
use super::memory::ViewMemory;
use crate::api::WriterDelta;
use crate::domain::HistoryWindow;
use crate::search::{SearchHit, SearchIndex};

/// One piece of work for the runtime.
#[derive(Debug, Clone)]
pub enum Effect {
    /// `GET /v1/deployment` → `Action::DeploymentLoaded`.
    FetchDeployment,
    /// `GET /v1/whoami` → `Action::IdentityLoaded`.
    FetchIdentity,
    /// `GET /v1/writers`, then build the search index off the UI thread → `Action::FleetLoaded`.
    FetchFleet,
    /// Open `GET /v1/events?since=REV`, replacing any stream open → `Action::DeltaArrived`
    /// per event, then `Action::StreamEnded`.
    Follow { stream: u64, since: u64 },
    /// `GET /v1/writers?since=REV` → `Action::DeltaLoaded`.
    FetchSince { since: u64 },
    /// Apply `deltas` (which add or remove writers) to `fleet` by building a new fleet off
    /// the UI thread, writers received `now` → `Action::FleetRebuilt`.
    Rebuild {
        fleet: Fleet,
        deltas: Vec<WriterDelta>,
        now: DateTime<Utc>,
    },
    /// `GET /v1/writers/{id}` → `Action::WriterLoaded`.
    FetchWriter { id: String },
    /// Send `Action::RefreshDue` after this long (replaces any earlier schedule).
    ScheduleRefresh(Duration),
    /// Run a search off the UI thread → `Action::SearchDone`. A newer request makes an
    /// older one stale: the worker may skip it.
    Search(SearchRequest),
    /// `POST /v1/writers/{id}/start|pause` with `If-Match` → `Action::OperationFinished`.
    Operate(Operation),
    /// `GET /v1/writers/{id}/audit` → `Action::AuditLoaded`.
    FetchAudit { id: String },
    /// `GET /v1/history?ids=…` (the 15 minute window) → `Action::TrendsLoaded`.
    FetchTrends { ids: Vec<String> },
    /// `GET /v1/writers/{id}/history?window=W` → `Action::HistoryLoaded`.
    FetchHistory { id: String, window: HistoryWindow },
    /// Put `text` on the clipboard of the operator's terminal (OSC 52).
    Copy(String),
    /// Save the view (regions, status filter, sort, search) and the command history.
    SaveView(ViewMemory),
    /// Leave the console.
    Quit,
}

/// A start or pause to send; the pending operation of a dialog or of one writer of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The writer's id.
    pub id: String,
    pub kind: OperationKind,
    /// The writer version the operator saw, sent as `If-Match`.
    pub if_match: u64,
    /// Who waits for the answer.
    pub origin: Origin,
}

/// Start (optionally replaying) or pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    Start { replay_from: Option<DateTime<Utc>> },
    Pause,
}

/// Who sent an operation and waits for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The Start or Pause dialog of one writer.
    Dialog,
    /// Writer `item` of batch `batch`.
    Batch { batch: u64, item: usize },
}

/// A search to run off the UI thread.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub generation: u64,
    pub query: String,
    /// Shape of the fleet `index` was built from.
    pub shape: u64,
    pub index: Arc<SearchIndex>,
    /// When the query only grew since a completed search on the same shape, that
    /// search's hits: only they can still match (`SearchIndex::search_within`).
    pub within: Option<Arc<Vec<SearchHit>>>,
}
