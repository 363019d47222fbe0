//! How fresh the data of an OMS backend is, as the status bar, the table and the detail view
//! show it. Pure: computed from the deployment and `state.now`.

use chrono::{DateTime, Utc};

use crate::api::{BackendKind, Deployment, FailedProject};

use super::state::{ConnectionState, State};

/// Poll intervals without a complete poll after which the data is shown as stale.
pub const STALE_POLLS: u64 = 3;

/// The freshness of an OMS backend's data at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freshness {
    /// Milliseconds since the end of the last complete poll (`None` before the first).
    pub age_ms: Option<u64>,
    /// Poll intervals elapsed since the last complete poll, when the data is stale: more
    /// than [`STALE_POLLS`] intervals.
    pub stale_polls: Option<u64>,
    /// Projects whose last describe failed.
    pub failed_projects: usize,
}

impl Freshness {
    /// The freshness of `deployment`'s data at `now`; `None` unless its backend is an OMS.
    pub fn of(deployment: &Deployment, now: DateTime<Utc>) -> Option<Freshness> {
        let backend = &deployment.backend;
        if backend.kind != BackendKind::Oms {
            return None;
        }
        let age_ms = backend
            .last_poll
            .map(|at| u64::try_from((now - at).num_milliseconds()).unwrap_or(0));
        let stale_polls = match (age_ms, backend.poll_secs) {
            (Some(age), Some(secs)) if secs > 0 && age > secs * 1000 * STALE_POLLS => {
                Some(age / (secs * 1000))
            }
            _ => None,
        };
        Some(Freshness {
            age_ms,
            stale_polls,
            failed_projects: backend.failed_projects.len(),
        })
    }
}

impl State {
    /// Whether the writers are owned by an OMS (the deployment is then refetched with each
    /// refresh).
    pub fn oms_backend(&self) -> bool {
        self.deployment
            .as_ref()
            .is_some_and(|d| d.backend.kind == BackendKind::Oms)
    }

    /// The freshness of the OMS backend's data now; `None` for a simulated backend.
    pub fn oms_freshness(&self) -> Option<Freshness> {
        Freshness::of(self.deployment.as_ref()?, self.now)
    }

    /// Whether the rows shown may be out of date: the controller is unreachable, or the OMS
    /// behind it has missed more than [`STALE_POLLS`] polls.
    pub fn data_stale(&self) -> bool {
        matches!(self.connection, ConnectionState::Failed { .. })
            || self
                .oms_freshness()
                .is_some_and(|f| f.stale_polls.is_some())
    }

    /// The failed project `project_id` of the last OMS poll, if it failed.
    pub fn failed_project(&self, project_id: &str) -> Option<&FailedProject> {
        self.deployment
            .as_ref()?
            .backend
            .failed_projects
            .iter()
            .find(|p| p.id == project_id)
    }
}
