//! Loading the writers and the deployment, backing off while the controller is away, and
//! `R` to refresh (or retry) now.

use std::sync::Arc;
use std::time::Duration;

use super::super::effect::Effect;
use super::super::state::{Column, ConnectionState, Fleet, NoticeLevel, State};
use super::super::table;
use super::{FIRST_BACKOFF, MAX_BACKOFF, batch, follow, notify, search};
use crate::client::ClientError;

pub(super) fn fetch_fleet(state: &mut State) -> Vec<Effect> {
    if state.refresh_in_flight {
        return Vec::new();
    }
    state.refresh_in_flight = true;
    // An OMS moves on by itself: its freshness (last poll, failed projects) comes with the
    // deployment, so it is asked for with every refresh.
    if state.oms_backend() {
        vec![Effect::FetchFleet, Effect::FetchDeployment]
    } else {
        vec![Effect::FetchFleet]
    }
}

/// `R`: load the writers now; during an outage, retry now instead of waiting out the backoff.
pub(super) fn refresh_now(state: &mut State) -> Vec<Effect> {
    if state.refresh_in_flight {
        let budget = state.controller.budget.as_secs();
        notify(
            state,
            NoticeLevel::Info,
            format!("A refresh is already under way (it gives up after {budget}s)"),
        );
        return Vec::new();
    }
    notify(state, NoticeLevel::Pending, "Refreshing …");
    let mut effects = fetch_fleet(state);
    if state.deployment.is_none() {
        effects.push(Effect::FetchDeployment);
    }
    effects
}

pub(super) fn on_deployment(
    state: &mut State,
    result: Result<crate::api::Deployment, ClientError>,
) -> Vec<Effect> {
    match result {
        Ok(deployment) => {
            let same_regions = state.deployment.as_ref().is_some_and(|d| {
                d.multi_region == deployment.multi_region && d.regions == deployment.regions
            });
            if same_regions {
                // Only the backend's freshness moved on: the table stays as it is. An answer
                // older than the one shown (two in flight, the later one first) is dropped.
                let older = state
                    .deployment
                    .as_ref()
                    .is_some_and(|shown| deployment.backend.last_poll < shown.backend.last_poll);
                if !older {
                    state.deployment = Some(deployment);
                }
                return Vec::new();
            }
            if !deployment.multi_region {
                state.filter.regions.clear();
                if state.sort.column == Column::Region {
                    state.sort = Default::default();
                }
            } else {
                state
                    .filter
                    .regions
                    .retain(|r| deployment.regions.contains(r));
            }
            state.deployment = Some(deployment);
            table::recompute(state);
        }
        // Tried again with the next refresh.
        Err(error) => tracing::warn!(%error, "loading the deployment failed"),
    }
    Vec::new()
}

/// A full list arrived: it replaces the fleet, and the console follows the changes from its
/// revision.
pub(super) fn on_fleet(state: &mut State, fleet: Fleet) -> Vec<Effect> {
    state.refresh_in_flight = false;
    state.connection = ConnectionState::Connected;
    state.last_refresh = Some(state.now);
    clear_pending_notice(state);
    state.follow.rebuilding = false;
    state.follow.waiting.clear();
    let mut effects = install(state, fleet);
    if state.deployment.is_none() {
        effects.push(Effect::FetchDeployment);
    }
    effects.extend(follow::follow(state));
    effects
}

/// Puts `fleet` in place of the one shown (a full list, or deltas applied off the UI
/// thread): search hits carried over or searched again, marks of writers gone dropped, the
/// table recomputed around the selection.
pub(super) fn install(state: &mut State, mut fleet: Fleet) -> Vec<Effect> {
    if fleet.received.len() != fleet.writers.len() {
        fleet.stamp(state.now);
    }
    let same_writers = Arc::ptr_eq(&state.fleet.writers, &fleet.writers)
        || (state.fleet.writers.len() == fleet.writers.len()
            && state
                .fleet
                .writers
                .iter()
                .zip(fleet.writers.iter())
                .all(|(old, new)| old.id == new.id));
    // Same writers in the same places: the old hits stay valid until the new search is in,
    // so the filtered table does not flicker.
    match &mut state.search.results {
        Some(results) if same_writers && results.shape == state.fleet.shape => {
            results.shape = fleet.shape;
        }
        _ => state.search.results = None,
    }
    state.fleet = fleet;
    // Marks of writers that are gone go with them.
    let fleet = &state.fleet;
    state.marks.retain(|id| fleet.row_of(id).is_some());
    let mut effects = Vec::new();
    if let Some(query) = state.query().map(str::to_string) {
        state.search.generation += 1;
        effects.push(search::search_effect(state, query, None));
    }
    table::recompute(state);
    batch::on_fleet(state);
    effects
}

/// Wait before retry number `attempts` (1-based): 1 s, 2 s, 4 s, … at most 30 s.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

pub(super) fn on_fleet_error(state: &mut State, error: &ClientError) -> Vec<Effect> {
    state.refresh_in_flight = false;
    let attempts = match &state.connection {
        ConnectionState::Failed { attempts, .. } => attempts.saturating_add(1),
        _ => 1,
    };
    let wait = backoff(attempts);
    let retry_at = state.now + chrono::Duration::from_std(wait).unwrap_or_default();
    state.connection = ConnectionState::Failed {
        error: error.to_string(),
        attempts,
        retry_at,
    };
    clear_pending_notice(state);
    vec![Effect::ScheduleRefresh(wait)]
}

/// A refresh ended: the notice that announced it goes.
pub(super) fn clear_pending_notice(state: &mut State) {
    if state
        .notice
        .as_ref()
        .is_some_and(|n| n.level == NoticeLevel::Pending)
    {
        state.notice = None;
    }
}
