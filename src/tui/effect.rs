//! What [`super::update::update`] asks the runtime to do. Effects are data: the runtime
//! performs them and feeds the results back as actions.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::search::{SearchHit, SearchIndex};

/// One piece of work for the runtime.
#[derive(Debug, Clone)]
pub enum Effect {
    /// `GET /v1/deployment` → `Action::DeploymentLoaded`.
    FetchDeployment,
    /// `GET /v1/writers`, then build the search index off the UI thread → `Action::FleetLoaded`.
    FetchFleet,
    /// Send `Action::RefreshDue` after this long (replaces any earlier schedule).
    ScheduleRefresh(Duration),
    /// Run a search off the UI thread → `Action::SearchDone`. A newer request makes an
    /// older one stale: the worker may skip it.
    Search(SearchRequest),
    /// `POST /v1/writers/{id}/start` with `If-Match: if_match` → `Action::StartFinished`.
    Start {
        id: String,
        replay_from: Option<DateTime<Utc>>,
        if_match: u64,
    },
    /// `POST /v1/writers/{id}/pause` with `If-Match: if_match` → `Action::PauseFinished`.
    Pause { id: String, if_match: u64 },
    /// `GET /v1/writers/{id}/audit` → `Action::AuditLoaded`.
    FetchAudit { id: String },
    /// Leave the console.
    Quit,
}

/// A search to run off the UI thread.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub generation: u64,
    pub query: String,
    /// Revision of the fleet `index` was built from.
    pub revision: u64,
    pub index: Arc<SearchIndex>,
    /// When the query only grew since a completed search on the same revision, that
    /// search's hits: only they can still match (`SearchIndex::search_within`).
    pub within: Option<Arc<Vec<SearchHit>>>,
}
